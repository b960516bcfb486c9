import PinS3
import Testing

@Suite struct S3LocationTests {
    @Test(arguments: [
        ("s3://models", "models", ""),
        ("s3://models/", "models", ""),
        ("s3://models/team/a", "models", "team/a"),
        ("s3://models/team/a/", "models", "team/a"),
        ("s3://my.bucket-1/x", "my.bucket-1", "x"),
    ])
    func parses(text: String, bucket: String, prefix: String) throws {
        let location = try S3Location(parsing: text)
        #expect(location.bucket == bucket)
        #expect(location.prefix == prefix)
        #expect(location.key("blobs/sha256/ab") == (prefix.isEmpty ? "" : prefix + "/") + "blobs/sha256/ab")
    }

    @Test(arguments: [
        "models", "s3:/models", "https://models", "s3://", "s3://ab", "s3://Models", "s3://-models", "s3://models-",
        "s3://a..b", "s3://192.168.1.1", "s3://xn--abc", "s3://bucket-s3alias", "s3://b_c", "s3://" + String(repeating: "a", count: 64),
        "s3://models/a//b", "s3://models/../x", "s3://models/a/./b", "s3://models/a\u{1}b", "s3://models/a\\b",
    ])
    func refuses(text: String) {
        #expect(throws: S3Error.self) { try S3Location(parsing: text) }
    }
}
