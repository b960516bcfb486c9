import PinAudit
import PinLock
import PinStore
public import SystemPackage

extension Workspace {
    /// `mirror DIR`: every blob the lock at `lockPath` names, and the lock itself, copied from
    /// the store into `directory` (the store's own layout), each checked against the lock.
    public func mirror(lockAt lockPath: FilePath, into directory: FilePath) throws -> MirrorWriter.Outcome {
        try audited("mirror") { workspace in
            guard let (parsed, text) = try Project.readLockfile(lockPath) else { throw ProjectError.lockMissing(lockPath) }
            workspace.noteLock(at: lockPath)
            workspace.audit?.operation("directory", .string(directory.string))
            for model in parsed.models { workspace.audit?.model(.model(model)) }
            return try MirrorWriter(store: try workspace.openStore(.readOnly)).write(parsed, lockText: text, to: directory)
        }
    }
}
