public import SystemPackage
import PinDigest
public import PinModel
import PinStore

/// Keeps pulled weights out of git: `models/.gitignore` holding `*` (which ignores itself
/// too, so the directory never shows in `git status`), as uv keeps `.venv` out with
/// `.venv/.gitignore`. Without it, gigabytes of weights are one `git add .` away from a commit.
///
/// Written only when modelpin makes the project's `models` directory itself (`init`, or the
/// first `add` or `pull` that lays a model out there), never over an existing file: a
/// `models` directory that already exists may be the user's own (Python packages often have
/// one for model code), and ignoring everything in it would hide their next file from git.
public enum ModelsIgnore {
    /// The directory modelpin lays models out in by default (`models/ORG/NAME`).
    public static let directory = "models"
    /// The one it lays datasets out in (`datasets/ORG/NAME`): a dataset and a model of the same
    /// owner/name are two repos, so they never share a directory.
    public static let datasetDirectory = "datasets"

    /// Where a repo is laid out by default, relative to the project (or the working directory):
    /// `models/ORG/NAME` for a model, `datasets/ORG/NAME` for a dataset.
    public static func defaultDirectory(for repo: RepoID) -> String {
        "\(repo.kind == .dataset ? datasetDirectory : directory)/\(repo.owner)/\(repo.name)"
    }

    /// The same for a repo as a manifest writes it; text that is no repo id (refused later, by
    /// the name gate) is kept below `models/` as written, where `ModelDirectory` checks it.
    /// A registry repository, `oci://HOST[:PORT]/PATH`, goes to `models/HOST[-PORT]/PATH`.
    public static func defaultDirectory(for repo: String) -> String {
        if repo.hasPrefix("oci://") {
            let rest = repo.dropFirst("oci://".count)
            return "\(directory)/" + String(rest.map { $0 == ":" ? "-" : $0 })
        }
        return (try? RepoID(parsing: repo)).map(defaultDirectory(for:)) ?? "\(directory)/\(repo)"
    }

    /// The file's text: why it is there, then the rule.
    public static let text = """
        # Written by modelpin: this directory holds model weights that `modelpin pull` lays
        # out from the store (modelpin.lock pins them), so git ignores all of it.
        *

        """

    /// What was done for one model directory.
    public enum Outcome: Sendable, Equatable {
        /// modelpin made the `models` directory and this `.gitignore` in it.
        case wrote(FilePath)
        /// `models` existed already: left as it is.
        case present
        /// The model is laid out outside `models/`, in this directory of a git work tree, and
        /// the project's `.gitignore` does not name it: the user should (`/RELATIVE/`).
        case outside(relative: String)
        /// Outside `models/`, and nothing to say (not a git work tree, or ignored already).
        case none
    }

    /// For a model laid out at `relative` below `project`: makes `models/.gitignore` with the
    /// `models` directory when it does not exist yet (`datasets/` likewise for a dataset's), or
    /// says what to ignore for a model outside them. Never follows a symbolic link; never writes
    /// over a file.
    public static func prepare(model relative: String, in project: FilePath) throws -> Outcome {
        let parts = relative.split(separator: "/").filter { $0 != "." }
        guard let first = parts.first.map(String.init), [directory, datasetDirectory].contains(first) else {
            return outsideNote(parts.joined(separator: "/"), in: project)
        }
        return try prepare(in: project, directory: first)
    }

    /// Makes `models/` (or `directory`) below `project`, and its `.gitignore`, if it does not exist.
    public static func prepare(in project: FilePath, directory: String = directory) throws -> Outcome {
        do throws(DirectoryRoot.Failure) {
            let root = try DirectoryRoot.open(project, create: false)
            guard try root.status(directory) == nil else { return .present }
            let models = try root.directory(directory, create: true)
            let file = try models.createFile(".gitignore")  // O_EXCL: never over an existing file
            defer { try? file.close() }
            do {
                _ = try file.writeAll(Array(text.utf8))
            } catch {
                throw DirectoryRoot.Failure(path: models.path.appending(".gitignore"), errno: error as? Errno ?? .ioError, symbolicLink: false)
            }
            return .wrote(models.path.appending(".gitignore"))
        } catch let failure where failure.errno == .fileExists {
            return .present  // made by another process meanwhile
        } catch {
            throw PullError.unsafeDestination(error.path, reason: error.description)
        }
    }

    /// `.outside` when `project` is in a git work tree and its `.gitignore` has no line naming
    /// `relative` (with or without the leading and trailing `/`); else `.none`.
    static func outsideNote(_ relative: String, in project: FilePath) -> Outcome {
        guard isGitWorkTree(project) else { return .none }
        let lines = (try? RegularFile.contents(of: project.appending(".gitignore"), limit: 1 << 20)) ?? nil
        let names = Set(String(decoding: lines ?? [], as: UTF8.self).split(whereSeparator: \.isNewline).map {
            $0.trimmingPrefix("/").split(separator: "/").joined(separator: "/")
        })
        return names.contains(relative) ? .none : .outside(relative: relative)
    }

    /// Whether `directory` or one above it holds `.git` (a directory, or a file as in a
    /// worktree or submodule).
    static func isGitWorkTree(_ directory: FilePath) -> Bool {
        var current = directory.lexicallyNormalized()
        while true {
            if (try? Stat(current.appending(".git"), followTargetSymlink: false)) != nil { return true }
            let parent = current.removingLastComponent()
            if parent == current || parent.isEmpty { return false }
            current = parent
        }
    }
}
