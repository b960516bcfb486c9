@testable import PinS3
import PinTransport
import Testing

/// SigV4 against the examples AWS publishes in the S3 API reference ("Examples: Signature
/// calculations", header-based and query-string authentication): the same credentials, time and
/// requests must give exactly the signatures printed there.
@Suite struct SigV4Tests {
    static let credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let signer = SigV4(credentials: credentials, region: "us-east-1")
    /// 2013-05-24T00:00:00Z, the examples' time.
    static let time: Int64 = 1_369_353_600

    func authorization(_ lines: [String]) -> String {
        lines.first { $0.hasPrefix("Authorization: ") }!
    }

    @Test func getObjectWithRange() {
        let url = HTTPURL("https://examplebucket.s3.amazonaws.com/test.txt")!
        let lines = Self.signer.signedHeaders(method: "GET", url: url, headers: [("Range", "bytes=0-9")],
                                              payloadHash: SigV4.emptyPayloadHash, time: Self.time)
        #expect(authorization(lines) == "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(lines.contains("x-amz-date: 20130524T000000Z"))
        #expect(lines.contains("x-amz-content-sha256: \(SigV4.emptyPayloadHash)"))
    }

    @Test func putObjectWithEncodedKeyAndPayload() {
        // The key `test$file.text`: `$` must be encoded as %24 in the path.
        let endpoint = try! S3Endpoint(url: HTTPURL("https://s3.amazonaws.com")!, region: "us-east-1", addressing: .virtual)
        let url = endpoint.objectURL(bucket: "examplebucket", key: "test$file.text")
        #expect(url.description == "https://examplebucket.s3.amazonaws.com/test%24file.text")
        #expect(SigV4.hex(Digests.sha256(Array("Welcome to Amazon S3.".utf8))) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let lines = Self.signer.signedHeaders(
            method: "PUT", url: url,
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", time: Self.time)
        #expect(authorization(lines).hasSuffix("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
    }

    @Test func getBucketLifecycleWithValuelessQuery() {
        let url = HTTPURL("https://examplebucket.s3.amazonaws.com/?" + SigV4.encodeQuery([("lifecycle", "")]))!
        let lines = Self.signer.signedHeaders(method: "GET", url: url, payloadHash: SigV4.emptyPayloadHash, time: Self.time)
        #expect(authorization(lines).hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"))
    }

    @Test func listObjectsWithSortedQuery() {
        let url = HTTPURL("https://examplebucket.s3.amazonaws.com/?" + SigV4.encodeQuery([("prefix", "J"), ("max-keys", "2")]))!
        #expect(url.pathAndQuery == "/?max-keys=2&prefix=J")
        let lines = Self.signer.signedHeaders(method: "GET", url: url, payloadHash: SigV4.emptyPayloadHash, time: Self.time)
        #expect(authorization(lines).hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"))
    }

    @Test func presignedGet() {
        let url = Self.signer.presign(url: HTTPURL("https://examplebucket.s3.amazonaws.com/test.txt")!, expires: 86_400, time: Self.time)
        #expect(url.description == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    }

    @Test func sessionTokenIsSignedAndSent() {
        let withToken = SigV4(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                                         sessionToken: "TOKEN/+="), region: "us-east-1")
        let url = HTTPURL("https://examplebucket.s3.amazonaws.com/test.txt")!
        let lines = withToken.signedHeaders(method: "GET", url: url, payloadHash: SigV4.emptyPayloadHash, time: Self.time)
        #expect(lines.contains("x-amz-security-token: TOKEN/+="))
        #expect(authorization(lines).contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        let presigned = withToken.presign(url: url, expires: 60, time: Self.time)
        #expect(presigned.pathAndQuery.contains("X-Amz-Security-Token=TOKEN%2F%2B%3D"))
    }

    @Test(arguments: [
        (Int64(0), "19700101T000000Z"), (Int64(951_782_400), "20000229T000000Z"), (Int64(1_369_353_600), "20130524T000000Z"),
        (Int64(4_102_444_799), "20991231T235959Z"),
    ])
    func timestamps(time: Int64, text: String) {
        #expect(SigV4.timestamp(time) == text)
    }

    @Test func encoding() {
        #expect(SigV4.encode("a b+c/d~e") == "a%20b%2Bc%2Fd~e")
        #expect(SigV4.encodePath("blobs/sha256/ab cd") == "blobs/sha256/ab%20cd")
        #expect(SigV4.encode("ключ") == "%D0%BA%D0%BB%D1%8E%D1%87")
    }
}
