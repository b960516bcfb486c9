public import PinModel
public import PinTransport
import Dispatch
import Synchronization
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// How `S3Uploader` splits and sends a file.
public struct S3UploadOptions: Sendable {
    /// Files of at least this many bytes go up in parts; smaller ones in one PUT.
    public var multipartThreshold: Int64 = 64 << 20
    /// The part size asked for; raised to S3's 5 MiB minimum, and as far as needed to stay
    /// within 10000 parts. Deterministic from the file size, so a rerun lays parts out the same
    /// way and can resume.
    public var partSize: Int64 = 64 << 20
    /// Parts in flight at once, each on its own thread with its own connection.
    public var parallelism = 4
    /// After completing, abort the other unfinished uploads of the same key. Keys are
    /// content-addressed (`blobs/sha256/<hex>`), so such uploads are of these very bytes and
    /// stale once one completes; still off by default, as they may be another writer's.
    public var abortOtherUploads = false

    public static let minimumPartSize: Int64 = 5 << 20
    public static let maximumParts: Int64 = 10_000

    public init() {}

    /// The part size used for a file of `size` bytes.
    public func partSize(forFileOf size: Int64) -> Int64 {
        var part = max(partSize, Self.minimumPartSize)
        while (size + part - 1) / part > Self.maximumParts { part *= 2 }
        return part
    }
}

/// What an upload did.
public struct S3UploadResult: Sendable, Equatable {
    public let multipart: Bool
    /// Parts (or 1 for a single PUT) sent in this run.
    public let partsSent: Int
    /// Parts an earlier, interrupted run had sent and this run verified and kept.
    public let partsReused: Int
    public let bytesSent: Int64
}

/// Uploads one file to a key: in one PUT below the threshold, else as a resumable multipart upload.
///
/// Resuming: an earlier run that was interrupted left its multipart upload open. This run
/// lists the key's unfinished uploads, lists each one's parts, and continues the one whose
/// parts fit this file's layout (same part size); a part is kept only if its size and ETag
/// (the MD5 S3 reports for a part) or SHA-256 checksum match this file's bytes, and is sent
/// again otherwise. Every part carries `Content-MD5` and a signed SHA-256 payload hash, so
/// the server checks the bytes it stores. On failure or cancellation the upload stays open for
/// the next run. Memory is constant: parts are file regions, streamed and hashed in 1 MiB steps.
public struct S3Uploader: Sendable {
    public let bucket: String
    public let configuration: S3Configuration
    public let policy: TransportPolicy
    public let options: S3UploadOptions
    let transport: any HTTPTransport

    public init(
        bucket: String, configuration: S3Configuration, policy: TransportPolicy,
        options: S3UploadOptions = S3UploadOptions(), transport: any HTTPTransport = CurlTransport()
    ) {
        self.bucket = bucket
        self.configuration = configuration
        self.policy = policy
        self.options = options
        self.transport = transport
    }

    /// Uploads `size` bytes of `file` as `key`. `sha256` is the file's digest (the blob's name):
    /// a single PUT is signed with it, so the server refuses bytes that do not match it.
    /// `progress` is called with each part's byte count as it is stored (from worker threads).
    public func upload(
        file: String, size: Int64, sha256: SHA256Digest, key: String,
        cancellation: CancellationFlag = CancellationFlag(), progress: (@Sendable (Int64) -> Void)? = nil
    ) throws(S3Error) -> S3UploadResult {
        let client = try S3Client(bucket: bucket, configuration: configuration, policy: policy, cancellation: cancellation, transport: transport)
        guard size >= options.multipartThreshold else {
            let (_, md5) = try Digests.ofRegion(path: file, offset: 0, length: size, cancellation: cancellation)
            let body: HTTPBody = size == 0 ? .bytes([]) : .file(path: file, offset: 0, length: size)
            try client.putObject(key: key, body: body, sha256: Self.bytes(sha256), md5: md5)
            progress?(size)
            return S3UploadResult(multipart: false, partsSent: 1, partsReused: 0, bytesSent: size)
        }
        let plan = Plan(size: size, partSize: options.partSize(forFileOf: size))
        let (uploadID, existing, others) = try resumable(client: client, key: key, plan: plan)
        let outcome = try sendParts(plan: plan, file: file, key: key, uploadID: uploadID, existing: existing,
                                    cancellation: cancellation, progress: progress)
        try client.completeMultipartUpload(key: key, uploadID: uploadID, parts: outcome.parts)
        guard let info = try client.headObject(key: key), info.size == size else {
            throw .uploadMismatch(bucket: bucket, key: key, reason: "the completed object is not \(size) bytes long")
        }
        if options.abortOtherUploads {
            for other in others { try client.abortMultipartUpload(key: key, uploadID: other) }
        }
        return S3UploadResult(multipart: true, partsSent: outcome.sent, partsReused: outcome.reused, bytesSent: outcome.bytes)
    }

    /// The parts of a file: numbers 1…count, all `partSize` long but the last.
    struct Plan {
        let size: Int64
        let partSize: Int64
        var count: Int { Int((size + partSize - 1) / partSize) }
        func offset(_ number: Int) -> Int64 { Int64(number - 1) * partSize }
        func length(_ number: Int) -> Int64 { min(partSize, size - offset(number)) }
    }

    /// The upload to continue (its id, and its parts that fit the plan by number and size), and
    /// the ids of the key's other unfinished uploads. A new upload when none fits.
    private func resumable(client: S3Client, key: String, plan: Plan) throws(S3Error) -> (String, [Int: S3Part], [String]) {
        let uploads = try client.listMultipartUploads(key: key)
        var best: (id: String, parts: [Int: S3Part])?
        for upload in uploads.sorted(by: { $0.initiated > $1.initiated }) {
            let parts = try client.listParts(key: key, uploadID: upload.uploadID)
            // A part with a number or size this plan would not produce: another layout.
            let fits = parts.allSatisfy { $0.number <= plan.count && $0.size == plan.length($0.number) }
            if fits, parts.count > best?.parts.count ?? -1 {
                best = (upload.uploadID, Dictionary(parts.map { ($0.number, $0) }, uniquingKeysWith: { $1 }))
            }
        }
        let others = uploads.map(\.uploadID).filter { $0 != best?.id }
        if let best { return (best.id, best.parts, others) }
        return (try client.createMultipartUpload(key: key), [:], others)
    }

    private struct Outcome {
        var parts: [S3Part] = []
        var sent = 0
        var reused = 0
        var bytes: Int64 = 0
        var failure: S3Error?
    }

    /// Sends every part not already stored, on `options.parallelism` threads, each with its own
    /// client. The first failure cancels the others (through a child of `cancellation`).
    private func sendParts(
        plan: Plan, file: String, key: String, uploadID: String, existing: [Int: S3Part],
        cancellation: CancellationFlag, progress: (@Sendable (Int64) -> Void)?
    ) throws(S3Error) -> Outcome {
        let stop = CancellationFlag(parent: cancellation)
        let next = Atomic<Int>(1)
        let state = Mutex(Outcome())
        let threads = max(1, min(options.parallelism, plan.count))
        let uploader = self
        runOnThreads(threads) { _ in
            do throws(S3Error) {
                let client = try S3Client(bucket: uploader.bucket, configuration: uploader.configuration, policy: uploader.policy,
                                          cancellation: stop, transport: uploader.transport)
                while true {
                    let number = next.add(1, ordering: .relaxed).oldValue
                    guard number <= plan.count else { return }
                    if stop.isCancelled { throw .cancelled }
                    let (part, sent) = try uploader.sendPart(number, plan: plan, file: file, key: key, uploadID: uploadID,
                                                             existing: existing[number], client: client)
                    state.withLock { outcome in
                        outcome.parts.append(part)
                        if sent { outcome.sent += 1; outcome.bytes += part.size } else { outcome.reused += 1 }
                    }
                    if sent { progress?(part.size) }
                }
            } catch {
                state.withLock { outcome in
                    // The first real failure wins over the cancellations it causes in others.
                    if outcome.failure == nil || outcome.failure.map({ if case .cancelled = $0 { true } else { false } }) == true {
                        outcome.failure = error
                    }
                }
                stop.cancel()
            }
        }
        let outcome = state.withLock { $0 }
        if let failure = outcome.failure { throw failure }
        if cancellation.isCancelled { throw .cancelled }
        return outcome
    }

    /// Part `number`: kept when `existing` holds these very bytes, else sent. Returns the part
    /// and whether it was sent.
    private func sendPart(
        _ number: Int, plan: Plan, file: String, key: String, uploadID: String, existing: S3Part?, client: S3Client
    ) throws(S3Error) -> (S3Part, Bool) {
        let offset = plan.offset(number), length = plan.length(number)
        let (sha256, md5) = try Digests.ofRegion(path: file, offset: offset, length: length, cancellation: client.cancellation)
        if let existing, existing.size == length,
           existing.etag.lowercased() == SigV4.hex(md5) || existing.checksumSHA256 == Self.base64(sha256) {
            return (existing, false)
        }
        let part = try client.uploadPart(key: key, uploadID: uploadID, number: number,
                                         body: .file(path: file, offset: offset, length: length), sha256: sha256, md5: md5)
        return (part, true)
    }

    static func bytes(_ digest: SHA256Digest) -> [UInt8] {
        let hex = Array(digest.hex.utf8)
        return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }

    static func base64(_ bytes: [UInt8]) -> String { Base64.encode(bytes) }
}

/// Base64 (RFC 4648, padded) for S3's checksum headers.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
