import Crypto
import Foundation
@testable import PinS3
import PinModel
import PinTestSupport
import PinTransport
import Testing

/// PinS3 against a real S3 server (SeaweedFS, PinTestSupport's S3Server) on 127.0.0.1: one
/// server for the whole suite, a bucket per test.
@Suite(.serialized) struct S3ServerTests {
    let server: S3Server
    let bucket: String

    init() throws {
        server = try S3Server.shared
        bucket = try server.makeBucket()
    }

    func configuration(secret: String? = nil, virtual: Bool = false) throws -> S3Configuration {
        let endpoint = try S3Endpoint(url: HTTPURL(virtual ? server.virtualHostEndpoint : server.endpoint)!, region: server.region,
                                      addressing: virtual ? .virtual : nil)
        return S3Configuration(endpoint: endpoint, credentials: S3Credentials(accessKeyID: server.accessKeyID,
                                                                              secretAccessKey: secret ?? server.secretAccessKey))
    }

    func client(secret: String? = nil, virtual: Bool = false, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) throws -> S3Client {
        try S3Client(bucket: bucket, configuration: configuration(secret: secret, virtual: virtual), policy: TransportPolicy(), clock: clock)
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
    static func md5(_ bytes: [UInt8]) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }

    func get(_ client: S3Client, _ key: String, range: ByteRange? = nil) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try client.getObject(key: key, range: range) { bytes.append(contentsOf: $0) }
        return bytes
    }

    @Test func putHeadGetRoundTrip() throws {
        let client = try client()
        let bytes = Array("the weights, exactly these bytes\n".utf8)
        for key in ["blobs/sha256/\(SigV4.hex(Self.sha256(bytes)))", "odd keys/a b+c=d/ü~x"] {
            #expect(try client.headObject(key: key) == nil)
            let etag = try client.putObject(key: key, body: .bytes(bytes), sha256: Self.sha256(bytes), md5: Self.md5(bytes))
            #expect(etag == SigV4.hex(Self.md5(bytes)))
            #expect(try client.headObject(key: key) == S3ObjectInfo(size: Int64(bytes.count), etag: etag))
            #expect(try get(client, key) == bytes)
            #expect(try get(client, key, range: ByteRange(first: 4, last: 10)) == Array(bytes[4...10]))
        }
        let listed = try client.listObjects(prefix: "odd keys/")
        #expect(listed.map(\.key) == ["odd keys/a b+c=d/ü~x"])
    }

    @Test func putFromAFileRegion() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("blob").path
            let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let region = Array(bytes[1000..<51000])
            let client = try client()
            try client.putObject(key: "region", body: .file(path: file, offset: 1000, length: 50000), sha256: Self.sha256(region))
            #expect(try get(client, "region") == region)
        }
    }

    @Test func aLyingChecksumIsRefused() throws {
        let client = try client()
        let bytes = Array("honest bytes".utf8)
        let other = Array("other bytes!".utf8)
        do {
            try client.putObject(key: "lie-sha", body: .bytes(bytes), sha256: Self.sha256(other))
            Issue.record("a PUT whose SHA-256 lies was accepted")
        } catch {
            #expect(error.kind == .refused, "\(error)")
        }
        do {
            try client.putObject(key: "lie-md5", body: .bytes(bytes), sha256: Self.sha256(bytes), md5: Self.md5(other))
            Issue.record("a PUT whose Content-MD5 lies was accepted")
        } catch {
            #expect(error.kind == .refused, "\(error)")
        }
        let upload = try client.createMultipartUpload(key: "lie-part")
        do {
            _ = try client.uploadPart(key: "lie-part", uploadID: upload, number: 1, body: .bytes(bytes), sha256: Self.sha256(bytes), md5: Self.md5(other))
            Issue.record("a part whose Content-MD5 lies was accepted")
        } catch {
            #expect(error.kind == .refused, "\(error)")
        }
        #expect(try client.headObject(key: "lie-sha") == nil)
        #expect(try client.headObject(key: "lie-md5") == nil)
        try client.abortMultipartUpload(key: "lie-part", uploadID: upload)
    }

    @Test func wrongSecretNamesBucketAndKeyIDButNotTheSecret() throws {
        let wrong = "wrong/Secret+Value=WRONGWRONGWRONG"
        let client = try client(secret: wrong)
        for operation in [{ _ = try client.headObject(key: "x") }, { _ = try client.putObject(key: "x", body: .bytes([1]), sha256: Self.sha256([1])) },
                          { _ = try client.listMultipartUploads(key: "x") }] as [() throws -> Void] {
            do {
                try operation()
                Issue.record("a wrong secret was accepted")
            } catch let error as S3Error {
                guard case .credentialsRefused(let bucket, let keyID, _, _) = error else { Issue.record("\(error)"); continue }
                #expect(bucket == self.bucket)
                #expect(keyID == server.accessKeyID)
                let text = [error.description, error.causes.joined(), error.hint ?? "", String(reflecting: error)].joined(separator: "\n")
                #expect(text.contains(server.accessKeyID) && text.contains(self.bucket))
                #expect(!text.contains(wrong), "\(text)")
                #expect(!text.contains(server.secretAccessKey), "\(text)")
            }
        }
    }

    @Test func noSuchBucket() throws {
        let client = try S3Client(bucket: "no-such-bucket-\(UInt32.random(in: 0...UInt32.max))", configuration: configuration(), policy: TransportPolicy())
        #expect(throws: S3Error.self) { try client.putObject(key: "x", body: .bytes([1]), sha256: Self.sha256([1])) }
        do {
            _ = try client.listMultipartUploads(key: "x")
        } catch {
            guard case .noSuchBucket = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func presignedGetNeedsNoHeaderAndExpires() throws {
        let client = try client()
        let bytes = Array("presigned bytes".utf8)
        try client.putObject(key: "p/obj", body: .bytes(bytes), sha256: Self.sha256(bytes))
        var policy = TransportPolicy()
        policy.plainHTTPOrigins = [HTTPURL(server.endpoint)!.origin]
        let plain = try HTTPClient(policy: policy)
        let url = client.presignedGetURL(key: "p/obj", expires: 300)
        #expect(!url.pathAndQuery.contains(server.secretAccessKey))
        #expect(try plain.fetch(url).1 == bytes)
        // Signed 20 seconds ago for 5 seconds: expired.
        let past = try self.client(clock: { Int64(Date().timeIntervalSince1970) - 20 })
        let expired = past.presignedGetURL(key: "p/obj", expires: 5)
        #expect(throws: TransportError.self) { _ = try plain.fetch(expired) }
        // Tampered: another key under the same signature.
        let tampered = HTTPURL(url.description.replacingOccurrences(of: "/p/obj?", with: "/p/obk?"))!
        #expect(throws: TransportError.self) { _ = try plain.fetch(tampered) }
    }

    @Test func virtualHostedAddressing() throws {
        let client = try client(virtual: true)
        let bytes = Array("virtual".utf8)
        try client.putObject(key: "v/obj", body: .bytes(bytes), sha256: Self.sha256(bytes))
        #expect(try get(client, "v/obj") == bytes)
        #expect(try self.client().headObject(key: "v/obj")?.size == Int64(bytes.count))
        var policy = TransportPolicy()
        let url = client.presignedGetURL(key: "v/obj", expires: 60)
        #expect(url.host == "\(bucket).localhost")
        policy.plainHTTPOrigins = [url.origin]
        #expect(try HTTPClient(policy: policy).fetch(url).1 == bytes)
    }

    @Test func multipartCalls() throws {
        let client = try client()
        let key = "mp/object"
        let upload = try client.createMultipartUpload(key: key)
        #expect(try client.listMultipartUploads(key: key).map(\.uploadID) == [upload])
        let first = [UInt8](repeating: 7, count: 5 << 20)
        let second = Array("tail".utf8)
        let part1 = try client.uploadPart(key: key, uploadID: upload, number: 1, body: .bytes(first), sha256: Self.sha256(first), md5: Self.md5(first))
        let listed = try client.listParts(key: key, uploadID: upload)
        #expect(listed.map(\.number) == [1])
        #expect(listed.first?.etag == SigV4.hex(Self.md5(first)))
        #expect(listed.first?.size == Int64(first.count))
        let part2 = try client.uploadPart(key: key, uploadID: upload, number: 2, body: .bytes(second), sha256: Self.sha256(second), md5: Self.md5(second))
        try client.completeMultipartUpload(key: key, uploadID: upload, parts: [part1, part2])
        #expect(try get(client, key) == first + second)
        #expect(try client.listMultipartUploads(key: key).isEmpty)

        let abandoned = try client.createMultipartUpload(key: key)
        try client.abortMultipartUpload(key: key, uploadID: abandoned)
        #expect(try client.listMultipartUploads(key: key).isEmpty)
    }
}
