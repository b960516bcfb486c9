import PinModel
@testable import PinS3
import PinTestSupport
import PinTransport
import Testing

/// The client against hostile or failing answers, served in process (no socket): S3 error
/// documents mapped to clear errors that never carry the secret, a 200 whose body is an Error,
/// malformed documents, transient failures retried.
@Suite struct S3ClientResponseTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRET=="
    static let token = "IQoJb3JpZ2luX2VjEJr//SESSIONTOKEN"

    func client(_ answer: @escaping InProcessHTTP.Handler) throws -> S3Client {
        let http = InProcessHTTP()
        http.route("https://s3.test", to: answer)
        let endpoint = try S3Endpoint(url: HTTPURL("https://s3.test")!, region: "us-east-1")
        let credentials = S3Credentials(accessKeyID: "AKIATESTKEYID", secretAccessKey: Self.secret, sessionToken: Self.token)
        var policy = TransportPolicy()
        policy.retry.baseDelay = 0.001
        policy.retry.maxDelay = 0.001
        return try S3Client(bucket: "models", configuration: S3Configuration(endpoint: endpoint, credentials: credentials),
                            policy: policy, transport: http)
    }

    static func xml(_ status: Int, _ text: String) -> LoopbackHTTPServer.Response {
        LoopbackHTTPServer.Response(status: status, headers: [("Content-Type", "application/xml")], body: .bytes(Array(text.utf8)))
    }

    static func errorDocument(_ code: String, message: String) -> String {
        "<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>1</RequestId></Error>"
    }

    func expectNoSecret(_ error: S3Error) {
        let texts = [error.description, error.causes.joined(separator: "\n"), error.hint ?? "", "\(error)", String(reflecting: error)]
        for text in texts {
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(!text.contains(Self.token), "\(text)")
        }
    }

    @Test(arguments: ["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"])
    func refusedCredentialsNameBucketAndKeyID(code: String) throws {
        // A server that echoes the secret and the token in its message (some quote the string to sign).
        let client = try client { _ in Self.xml(403, Self.errorDocument(code, message: "bad: \(Self.secret) \(Self.token)")) }
        do {
            _ = try client.listParts(key: "k", uploadID: "u")
            Issue.record("no error")
        } catch {
            guard case .credentialsRefused(let bucket, let keyID, let got, _) = error else { Issue.record("\(error)"); return }
            #expect(bucket == "models")
            #expect(keyID == "AKIATESTKEYID")
            #expect(got == code)
            #expect(error.description == "credentials for key id AKIATESTKEYID were refused by bucket models (\(code))")
            expectNoSecret(error)
        }
    }

    @Test func headWithoutBodyMapsStatus() throws {
        #expect(try client { _ in Self.xml(404, "") }.headObject(key: "k") == nil)
        let refusing = try client { _ in Self.xml(403, "") }
        do {
            _ = try refusing.headObject(key: "k")
            Issue.record("no error")
        } catch {
            guard case .credentialsRefused = error else { Issue.record("\(error)"); return }
            expectNoSecret(error)
        }
    }

    @Test func completeAnswering200WithAnErrorIsAnError() throws {
        let client = try client { _ in Self.xml(200, Self.errorDocument("InternalError", message: "We encountered an internal error.")) }
        do {
            try client.completeMultipartUpload(key: "k", uploadID: "u", parts: [S3Part(number: 1, etag: "e", size: 1)])
            Issue.record("no error")
        } catch {
            guard case .service(_, _, let operation, 200, "InternalError", _, true) = error else { Issue.record("\(error)"); return }
            #expect(operation == "CompleteMultipartUpload")
        }
    }

    @Test func transientFailuresAreRetried() throws {
        final class Counter: @unchecked Sendable { var count = 0 }
        let counter = Counter()
        let client = try client { _ in
            counter.count += 1
            if counter.count < 3 { return Self.xml(503, Self.errorDocument("SlowDown", message: "Please reduce your request rate.")) }
            return Self.xml(200, "<InitiateMultipartUploadResult><Bucket>models</Bucket><Key>k</Key><UploadId>up-1</UploadId></InitiateMultipartUploadResult>")
        }
        #expect(try client.createMultipartUpload(key: "k") == "up-1")
        #expect(counter.count == 3)
    }

    @Test func persistentSlowDownGivesUpAsUnavailable() throws {
        let client = try client { _ in Self.xml(503, Self.errorDocument("SlowDown", message: "slow")) }
        do {
            _ = try client.createMultipartUpload(key: "k")
            Issue.record("no error")
        } catch {
            #expect(error.isTransient)
            #expect(error.kind == .unavailable)
        }
    }

    @Test(arguments: [
        "<NotWhatWasAsked/>", "<ListPartsResult><Part><PartNumber>x</PartNumber></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>0</PartNumber><ETag>e</ETag><Size>1</Size></Part></ListPartsResult>",
        "<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>-1</Size></Part></ListPartsResult>",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><ListPartsResult/>", "not xml",
        "<ListPartsResult><IsTruncated>true</IsTruncated></ListPartsResult>",
    ])
    func malformedListingsAreRefused(_ body: String) throws {
        let client = try client { _ in Self.xml(200, body) }
        #expect(throws: S3Error.self) { _ = try client.listParts(key: "k", uploadID: "u") }
    }

    @Test func checksumRefusals() throws {
        for code in ["BadDigest", "XAmzContentSHA256Mismatch", "InvalidDigest"] {
            let client = try client { _ in Self.xml(400, Self.errorDocument(code, message: "mismatch")) }
            do {
                _ = try client.uploadPart(key: "k", uploadID: "u", number: 1, body: .bytes([1]), sha256: Array(repeating: 0, count: 32),
                                          md5: Array(repeating: 0, count: 16))
                Issue.record("no error")
            } catch {
                guard case .checksumRefused = error else { Issue.record("\(error)"); return }
                #expect(error.kind == .refused)
            }
        }
    }
}
