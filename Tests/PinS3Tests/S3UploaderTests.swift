import Crypto
import Foundation
@testable import PinS3
import PinModel
import PinTestSupport
import PinTransport
import Synchronization
import Testing

/// The resumable multipart uploader against the real server: interrupted, then resumed without
/// sending again what is already there.
@Suite(.serialized) struct S3UploaderTests {
    let server: S3Server
    let bucket: String

    init() throws {
        server = try S3Server.shared
        bucket = try server.makeBucket("upload")
    }

    func uploader(parallelism: Int, abortOthers: Bool = false) throws -> S3Uploader {
        var options = S3UploadOptions()
        options.multipartThreshold = 5 << 20
        options.partSize = 5 << 20
        options.parallelism = parallelism
        options.abortOtherUploads = abortOthers
        let endpoint = try S3Endpoint(url: HTTPURL(server.endpoint)!, region: server.region)
        let credentials = S3Credentials(accessKeyID: server.accessKeyID, secretAccessKey: server.secretAccessKey)
        return S3Uploader(bucket: bucket, configuration: S3Configuration(endpoint: endpoint, credentials: credentials),
                          policy: TransportPolicy(), options: options)
    }

    /// A file of `size` pseudo-random bytes, and its digest.
    func makeFile(_ directory: URL, size: Int) throws -> (String, PinModel.SHA256Digest) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<size / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } } + [UInt8](repeating: 1, count: size % 8)
        let path = directory.appendingPathComponent("blob").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, PinModel.SHA256Digest(bytes: Array(SHA256.hash(data: bytes)))!)
    }

    func objectDigest(_ key: String) throws -> PinModel.SHA256Digest {
        let client = try S3Client(bucket: bucket, configuration: uploader(parallelism: 1).configuration, policy: TransportPolicy())
        var hasher = SHA256()
        try client.getObject(key: key) { hasher.update(bufferPointer: $0) }
        return PinModel.SHA256Digest(bytes: Array(hasher.finalize()))!
    }

    @Test func smallFilesGoInOnePut() throws {
        try withTemporaryDirectory { directory in
            let (path, digest) = try makeFile(directory, size: 1 << 20)
            let result = try uploader(parallelism: 2).upload(file: path, size: 1 << 20, sha256: digest, key: "small")
            #expect(result == S3UploadResult(multipart: false, partsSent: 1, partsReused: 0, bytesSent: 1 << 20))
            #expect(try objectDigest("small") == digest)
        }
    }

    @Test func parallelMultipartUpload() throws {
        try withTemporaryDirectory { directory in
            let size = (5 << 20) * 3 + 12345
            let (path, digest) = try makeFile(directory, size: size)
            let result = try uploader(parallelism: 3).upload(file: path, size: Int64(size), sha256: digest, key: "parallel")
            #expect(result == S3UploadResult(multipart: true, partsSent: 4, partsReused: 0, bytesSent: Int64(size)))
            #expect(try objectDigest("parallel") == digest)
        }
    }

    @Test func interruptedThenResumedSendsOnlyTheRest() throws {
        try withTemporaryDirectory { directory in
            let size = (5 << 20) * 2 + 777
            let (path, digest) = try makeFile(directory, size: size)
            let cancellation = CancellationFlag()
            let stored = Atomic<Int>(0)
            // Cancelled as soon as the first part is stored: one worker, so part 2 never completes.
            let first = try uploader(parallelism: 1)
            do throws(S3Error) {
                _ = try first.upload(file: path, size: Int64(size), sha256: digest, key: "resume", cancellation: cancellation) { _ in
                    stored.add(1, ordering: .relaxed)
                    cancellation.cancel()
                }
                Issue.record("the cancelled upload completed")
            } catch {
                guard case .cancelled = error else { Issue.record("\(error)"); return }
            }
            #expect(stored.load(ordering: .relaxed) == 1)
            let client = try S3Client(bucket: bucket, configuration: uploader(parallelism: 1).configuration, policy: TransportPolicy())
            #expect(try client.headObject(key: "resume") == nil)
            let open = try client.listMultipartUploads(key: "resume")
            #expect(open.count == 1)
            #expect(try client.listParts(key: "resume", uploadID: open[0].uploadID).map(\.number) == [1])

            let sent = Mutex<[Int64]>([])
            let result = try uploader(parallelism: 2).upload(file: path, size: Int64(size), sha256: digest, key: "resume") { bytes in
                sent.withLock { $0.append(bytes) }
            }
            #expect(result == S3UploadResult(multipart: true, partsSent: 2, partsReused: 1, bytesSent: Int64(size - (5 << 20))))
            #expect(sent.withLock { $0.sorted() } == [777, 5 << 20])
            #expect(try objectDigest("resume") == digest)
            #expect(try client.listMultipartUploads(key: "resume").isEmpty)
        }
    }

    @Test func aStoredPartWithOtherBytesIsSentAgain() throws {
        try withTemporaryDirectory { directory in
            let size = (5 << 20) + 100
            let (path, digest) = try makeFile(directory, size: size)
            let client = try S3Client(bucket: bucket, configuration: uploader(parallelism: 1).configuration, policy: TransportPolicy())
            // An earlier upload of this key whose part 1 holds other bytes of the right size.
            let upload = try client.createMultipartUpload(key: "stale")
            let wrong = [UInt8](repeating: 9, count: 5 << 20)
            _ = try client.uploadPart(key: "stale", uploadID: upload, number: 1, body: .bytes(wrong),
                                      sha256: Array(SHA256.hash(data: wrong)), md5: Array(Insecure.MD5.hash(data: wrong)))
            let result = try uploader(parallelism: 2).upload(file: path, size: Int64(size), sha256: digest, key: "stale")
            #expect(result.partsReused == 0)
            #expect(result.partsSent == 2)
            #expect(try objectDigest("stale") == digest)
        }
    }
}
