import PinModel
import PinStore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The log's signed checkpoint, written into a project after an operation's entries
/// (`--audit-checkpoint FILE`, or the manifest's `audit-checkpoint`), so that a committed lock
/// says which log state it was made under and `audit consistency FILE` can check later that
/// the log only grew since. Readers see the old checkpoint or the new one, never a mix.
enum AuditCheckpointFile {
    /// At `path`, which the person named on the command line (as `--to`): written as the
    /// lockfile is (`AtomicFile`).
    static func write(_ text: String, to path: FilePath) throws(AuditCheckpointError) {
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            throw .unwritable(path, reason: error.description)
        }
    }

    /// At `relative` below `directory` (the manifest's setting, which a pull request can edit):
    /// every directory on the way opened without following a link (`DirectoryRoot`), the text
    /// written to a new temp file beside the target and renamed over it.
    static func write(_ text: String, relative: String, below directory: FilePath) throws(AuditCheckpointError) {
        let shown = directory.appending(relative)
        let names = relative.split(separator: "/").map(String.init)
        let parent = names.dropLast().joined(separator: "/")
        let temporary = (parent.isEmpty ? "" : parent + "/") + ".\(names.last ?? "checkpoint").\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        do throws(DirectoryRoot.Failure) {
            let root = try DirectoryRoot.open(directory, create: false)
            let file = try root.createFile(temporary)
            do throws(DirectoryRoot.Failure) {
                if let errno = Self.fill(file, with: text) { throw DirectoryRoot.Failure(path: shown, errno: errno, symbolicLink: false) }
                try root.rename(temporary, to: relative)
            } catch {
                _ = try? root.removeFile(temporary) { _ in true }
                throw error
            }
            try root.sync(parent)
        } catch {
            throw .unwritable(shown, reason: error.description)
        }
    }

    /// Writes and flushes `text` into the new file and closes it: nil when all went well,
    /// else the errno.
    private static func fill(_ file: FileDescriptor, with text: String) -> Errno? {
        defer { try? file.close() }
        do {
            _ = try file.writeAll(Array(text.utf8))
        } catch {
            return error as? Errno ?? .ioError
        }
        return fsync(file.rawValue) == 0 ? nil : Errno(rawValue: errno)
    }
}

/// A checkpoint that cannot be written where it was asked for.
enum AuditCheckpointError: ModelpinError {
    /// The entries are in the log already; only the project's copy of its state is missing.
    case unwritable(FilePath, reason: String)
    /// `--audit-checkpoint` with `MODELPIN_AUDIT=off`: there is no log to take a checkpoint of.
    case auditOff(FilePath)

    var kind: FailureKind {
        switch self {
        case .unwritable: .operational
        case .auditOff: .usage
        }
    }

    var description: String {
        switch self {
        case .unwritable(let path, _): "cannot write the audit checkpoint `\(path)`"
        case .auditOff(let path): "--audit-checkpoint \(path) asks for the audit log's checkpoint, but \(AuditSettings.variable)=off turns the log off"
        }
    }

    var causes: [String] {
        if case .unwritable(_, let reason) = self { return [reason] }
        return []
    }

    var hint: String? {
        switch self {
        case .unwritable:
            "the operation's entries are in the store's audit log; fix the path (`audit-checkpoint` in modelpin.toml, or --audit-checkpoint) and run it again to write the checkpoint"
        case .auditOff:
            "unset \(AuditSettings.variable), or drop --audit-checkpoint"
        }
    }
}
