import PinModel
/// One way a lockfile no longer answers its manifest: what `--locked` refuses and `modelpin lock`
/// would change. Resolution is not part of it (a branch that moved on the Hub is not drift: the
/// lock still answers the request; `modelpin lock --update` is how to follow it).
public enum LockDrift: Sendable, Equatable, CustomStringConvertible {
    /// In the manifest, not in the lock.
    case added(alias: String)
    /// In the lock, not in the manifest.
    case removed(alias: String)
    /// Asked for differently: `field` is `repo`, `revision`, `include`, `exclude` or `endpoint`
    /// (callers may use others, such as `commit`); the values are shown as written (lists in
    /// TOML array form).
    case changed(alias: String, field: String, locked: String, requested: String)

    public var description: String {
        switch self {
        case .added(let alias):
            "`\(alias)` is in \(Manifest.fileName) but not in \(Lockfile.fileName)"
        case .removed(let alias):
            "`\(alias)` is in \(Lockfile.fileName) but no longer in \(Manifest.fileName)"
        case .changed(let alias, let field, let locked, let requested):
            "`\(alias)`: \(field) is `\(locked)` in \(Lockfile.fileName) but `\(requested)` in \(Manifest.fileName)"
        }
    }
}

extension Lockfile {
    /// What would change if the lock were made from `manifest` now (resolution aside), sorted by
    /// alias, and for one alias in the order repo, revision, include, exclude, endpoint. Empty:
    /// the lock answers the manifest.
    ///
    /// `endpoint` is the endpoint the manifest resolves to (its own, or the environment's); it is
    /// compared with each locked model's after dropping trailing slashes, which do not change
    /// which server is asked. Lists are compared as written, order included: the lock records
    /// the request exactly, and a reordered list costs one relock, not a wrong download.
    public func drift(from manifest: Manifest, endpoint: String) -> [LockDrift] {
        let aliases = Set(models.map(\.alias)).union(manifest.models.map(\.alias)).sorted()
        var drift: [LockDrift] = []
        for alias in aliases {
            switch (model(alias), manifest.model(alias)) {
            case (nil, .some): drift.append(.added(alias: alias.rawValue))
            case (.some, nil): drift.append(.removed(alias: alias.rawValue))
            case (let locked?, let requested?):
                let fields: [(String, String, String)] = [
                    ("repo", locked.requestedRepo, requested.repo),
                    ("revision", locked.requestedRevision, requested.revision),
                    ("include", TOMLText.stringArray(locked.include), TOMLText.stringArray(requested.include)),
                    ("exclude", TOMLText.stringArray(locked.exclude), TOMLText.stringArray(requested.exclude)),
                    ("endpoint", Self.normalized(locked.endpoint), Self.normalized(endpoint)),
                    ("signers", TOMLText.stringArray(locked.signers.sorted().map(\.hex)), TOMLText.stringArray(requested.signers.sorted().map(\.hex))),
                ]
                for (field, old, new) in fields where old != new {
                    drift.append(.changed(alias: alias.rawValue, field: field, locked: old, requested: new))
                }
            case (nil, nil): break
            }
        }
        return drift
    }

    private static func normalized(_ endpoint: String) -> String {
        var endpoint = Substring(endpoint)
        while endpoint.hasSuffix("/") { endpoint = endpoint.dropLast() }
        return String(endpoint)
    }
}
