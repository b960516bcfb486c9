import PinModel
/// One way a lockfile no longer answers its manifest: what `--locked` refuses and `modelpin lock`
/// would change. Resolution is not part of it (a branch that moved on the Hub is not drift: the
/// lock still answers the request; `modelpin lock --update` is how to follow it), and neither is
/// the endpoint: it is where a model was resolved, not what it is. Repo, commit and digests pin
/// the content, and any source serving those bytes is as good as the one recorded.
public enum LockDrift: Sendable, Equatable, CustomStringConvertible {
    /// In the manifest, not in the lock.
    case added(alias: String)
    /// In the lock, not in the manifest.
    case removed(alias: String)
    /// Asked for differently: `field` is `repo`, `revision`, `include`, `exclude` or `signers`
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
    /// alias, and for one alias in the order repo, revision, include, exclude, signers. Empty:
    /// the lock answers the manifest.
    ///
    /// The endpoint is not compared: a lock made against the Hub answers a manifest pulled
    /// through a mirror (`MODELPIN_ENDPOINT`), since the bytes are checked against the lock
    /// wherever they come from. Lists are compared as written, order included: the lock records
    /// the request exactly, and a reordered list costs one relock, not a wrong download.
    public func drift(from manifest: Manifest) -> [LockDrift] {
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
                    ("signers", TOMLText.stringArray(locked.pinnedSigners.map(\.description)), TOMLText.stringArray(requested.pinnedSigners.map(\.description))),
                ]
                for (field, old, new) in fields where old != new {
                    drift.append(.changed(alias: alias.rawValue, field: field, locked: old, requested: new))
                }
            case (nil, nil): break
            }
        }
        return drift
    }
}
