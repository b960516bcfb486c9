public import SystemPackage
import PinModel
import PinStore

/// Where a model is laid out, and how much of that path is trusted.
///
/// A directory the user typed (`pull ORG/NAME --to DIR`) is theirs: a symbolic link in it is
/// one they chose, and is followed, as `cp -r x DIR` would. A directory that comes from a
/// project — `to` in modelpin.toml, or the default `models/ORG/NAME` — comes from files anyone
/// can change in a pull request, so it is resolved below the project directory one component
/// at a time without following any link (a committed `models -> /home/you` is refused), and
/// it may not use a version-control or tool directory (`to = ".git"`). Below the model's
/// directory, nothing is ever followed, whichever way it was given.
public struct ModelDirectory: Sendable, Equatable, CustomStringConvertible {
    /// Where it is (absolute, normalized), for messages and summaries.
    public let path: FilePath
    let anchor: Anchor

    enum Anchor: Sendable, Equatable {
        case chosen
        /// `relative` below `project`, reached without following links.
        case below(project: FilePath, relative: String)
    }

    /// A directory the user chose on the command line.
    public static func chosen(_ path: FilePath) -> ModelDirectory {
        ModelDirectory(path: path.lexicallyNormalized(), anchor: .chosen)
    }

    /// `relative` below `project` (`.` and empty components dropped). Refuses a path that
    /// `PathSafety` refuses: `..`, absolute, a version-control or tool directory.
    public static func below(_ project: FilePath, relative: String) throws(PullError) -> ModelDirectory {
        let components = relative.split(separator: "/").filter { $0 != "." }
        let cleaned = components.joined(separator: "/")
        let shown = project.appending(relative).lexicallyNormalized()
        if relative.hasPrefix("/") || cleaned.isEmpty {
            throw .unsafeDestination(shown, reason: "a model's directory must be below the project's directory")
        }
        if let reason = PathSafety.reason(cleaned) {
            throw .unsafeDestination(shown, reason: reason)
        }
        return ModelDirectory(path: project.appending(cleaned).lexicallyNormalized(), anchor: .below(project: project, relative: cleaned))
    }

    public var description: String { path.string }

    /// The directory if it exists, nil if it does not; nothing is created. For looking at what
    /// is there before anything is written.
    func openExisting() throws(PullError) -> DirectoryRoot? {
        do {
            switch anchor {
            case .chosen:
                return try DirectoryRoot.open(path, create: false)
            case .below(let project, let relative):
                return try DirectoryRoot.open(project, create: false).directory(relative, create: false)
            }
        } catch let failure where failure.errno == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .unsafeDestination(path, reason: error.description)
        }
    }

    /// Opens the directory; `create`: making it (and, for a chosen path, its ancestors) if
    /// missing.
    func open(create: Bool = true) throws(PullError) -> DirectoryRoot {
        do {
            switch anchor {
            case .chosen:
                return try DirectoryRoot.open(path, create: create)
            case .below(let project, let relative):
                return try DirectoryRoot.open(project, create: false).directory(relative, create: create)
            }
        } catch {
            throw .unsafeDestination(path, reason: error.description)
        }
    }
}
