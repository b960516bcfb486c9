
public import SystemPackage

extension Workspace {
    /// `serve --blob-redirect s3://…|https://…`: redirects to a bucket (presigned GETs) or to a
    /// mirror directory served over http(s) (its plain URLs). `log` hears why a blob is served
    /// directly instead.
    public func blobRedirect(_ text: String, log: @escaping @Sendable (String) -> Void) throws -> MirrorBlobRedirect {
        if text.hasPrefix("s3://") { return MirrorBlobRedirect(mirror: try bucket(text), log: log) }
        guard case .server(let base) = try MirrorSource(parsing: text) else {
            throw ProjectError.badMirror(text, reason: "--blob-redirect sends clients elsewhere: it needs an s3:// bucket or an http(s):// mirror, not a directory")
        }
        return MirrorBlobRedirect(mirror: HTTPMirror(base: base, policy: try configuration.transportPolicy()), log: log)
    }

    /// A `--mirror` value as a blob source, and whether reading it needs the network.
    public func mirrorSource(parsing text: String, relativeTo base: FilePath?) throws -> (source: any BlobSource, isRemote: Bool) {
        if text.hasPrefix("s3://") { return (S3MirrorSource(bucket: try bucket(text)), true) }
        let mirror = try MirrorSource(parsing: text, relativeTo: base)
        return (mirror, mirror.isRemote)
    }

}
