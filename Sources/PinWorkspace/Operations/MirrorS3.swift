import PinAudit
import PinLock
import PinStore
public import SystemPackage

extension Workspace {
    /// `mirror s3://BUCKET/PREFIX`: every blob the lock at `lockPath` names uploaded from the
    /// store (each hashed and compared with the lock first), then the lock and its signature
    /// under `projects/<NAME>/`, NAME being `name` or the lock's directory's (two projects
    /// sharing a bucket keep their own locks).
    public func mirror(lockAt lockPath: FilePath, toBucket text: String, name: String? = nil) throws -> S3MirrorWriter.Outcome {
        try mirror(lockAt: lockPath, to: try bucket(text), name: name)
    }

    public func mirror(lockAt lockPath: FilePath, to bucket: any S3Bucket, name: String? = nil) throws -> S3MirrorWriter.Outcome {
        try audited("mirror") { workspace in
            guard let (parsed, lockText) = try Project.readLockfile(lockPath) else { throw ProjectError.lockMissing(lockPath) }
            workspace.noteLock(at: lockPath)
            workspace.audit?.operation("bucket", .string(bucket.description))
            for model in parsed.models { workspace.audit?.model(.model(model)) }
            let files = try Self.mirroredLockFiles(lockPath: lockPath, text: lockText, project: name ?? Self.projectName(of: lockPath))
            let writer = S3MirrorWriter(store: try workspace.openStore(.readOnly), bucket: bucket, events: workspace.events)
            return try writer.write(parsed, files: files)
        }
    }

    /// The name a lock is published under: its directory's name.
    static func projectName(of lockPath: FilePath) -> String {
        lockPath.removingLastComponent().lastComponent?.string ?? "default"
    }

    /// The lock's detached signature (`modelpin.lock.asc` beside it), if it has one: published
    /// with it so a consumer can `pull --require-signed-lock` from the bucket's copy.
    static func signature(of lockPath: FilePath) throws -> [UInt8]? {
        let path = FilePath(lockPath.string + ".asc")
        guard (try? Stat(path)) != nil else { return nil }
        return try ConfigFile.read(path, what: "lock signature", limit: 64 << 10)
    }
}
