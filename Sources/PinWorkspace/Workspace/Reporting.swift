public import PinHub
import PinModel

/// `PullReporter` with the resolution described in workspace values: what a renderer (the
/// CLI's progress display) implements, so that it needs neither PinHub nor PinTransport.
public protocol ResolutionReporter: PullReporter {
    func resolved(_ resolution: Resolution)
}

/// A resolved snapshot and what its pull will download.
public struct Resolution: Sendable {
    public struct File: Sendable {
        public let path: String
        public let size: Int64
        /// The store holds it already: nothing to download.
        public let present: Bool
    }

    public let repo: String
    public let revision: String
    /// 40 lowercase hex digits.
    public let commit: String
    public let files: [File]
}

extension ResolutionReporter {
    public func resolved(_ snapshot: Snapshot, files: [PlannedFile]) {
        resolved(Resolution(
            repo: snapshot.repo.description, revision: snapshot.revision, commit: snapshot.commit,
            files: files.map { Resolution.File(path: $0.file.path, size: $0.file.size, present: $0.present != nil) }))
    }
}

/// Hears nothing: for operations that report only through their result (verify, mirror).
public struct SilentReporter: ResolutionReporter {
    public init() {}
    public func warning(_ message: String) {}
    public func resolved(_ resolution: Resolution) {}
    public func received(_ path: String, bytes: Int64) {}
    public func resumed(_ path: String, bytes: Int64) {}
    public func finished(_ path: String, size: Int64, downloaded: Bool) {}
    public func retrying(_ path: String, attempt: Int, afterSeconds: Double, reason: String) {}
}
