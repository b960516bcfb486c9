@testable import PinS3
import PinTransport
import Testing

@Suite struct S3EndpointTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let environment: [String: String]
        let url: String
        let region: String
        let addressing: S3Addressing
        let objectURL: String
        var testDescription: String { objectURL }
    }

    @Test(arguments: [
        Case(environment: [:], url: "https://s3.us-east-1.amazonaws.com/", region: "us-east-1", addressing: .virtual,
             objectURL: "https://models.s3.us-east-1.amazonaws.com/a/b%20c"),
        Case(environment: ["AWS_REGION": "eu-west-3"], url: "https://s3.eu-west-3.amazonaws.com/", region: "eu-west-3", addressing: .virtual,
             objectURL: "https://models.s3.eu-west-3.amazonaws.com/a/b%20c"),
        Case(environment: ["AWS_DEFAULT_REGION": "eu-west-1"], url: "https://s3.eu-west-1.amazonaws.com/", region: "eu-west-1", addressing: .virtual,
             objectURL: "https://models.s3.eu-west-1.amazonaws.com/a/b%20c"),
        Case(environment: ["AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "eu-west-1"], url: "https://s3.eu-west-3.amazonaws.com/",
             region: "eu-west-3", addressing: .virtual, objectURL: "https://models.s3.eu-west-3.amazonaws.com/a/b%20c"),
        Case(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:8333"], url: "http://127.0.0.1:8333/", region: "us-east-1", addressing: .path,
             objectURL: "http://127.0.0.1:8333/models/a/b%20c"),
        Case(environment: ["AWS_ENDPOINT_URL": "https://ignored.example", "AWS_ENDPOINT_URL_S3": "https://rgw.example/"],
             url: "https://rgw.example/", region: "us-east-1", addressing: .path, objectURL: "https://rgw.example/models/a/b%20c"),
        Case(environment: ["AWS_ENDPOINT_URL_S3": "http://localhost:9000", "MODELPIN_S3_ADDRESSING": "virtual"],
             url: "http://localhost:9000/", region: "us-east-1", addressing: .virtual, objectURL: "http://models.localhost:9000/a/b%20c"),
        Case(environment: ["MODELPIN_S3_ADDRESSING": "path"], url: "https://s3.us-east-1.amazonaws.com/", region: "us-east-1", addressing: .path,
             objectURL: "https://s3.us-east-1.amazonaws.com/models/a/b%20c"),
        Case(environment: ["MODELPIN_S3_ADDRESSING": "auto", "AWS_ENDPOINT_URL": "https://minio.example:9000"],
             url: "https://minio.example:9000/", region: "us-east-1", addressing: .path, objectURL: "https://minio.example:9000/models/a/b%20c"),
    ])
    func fromEnvironment(_ c: Case) throws {
        let endpoint = try S3Endpoint(environment: c.environment)
        #expect(endpoint.url.description == c.url)
        #expect(endpoint.region == c.region)
        #expect(endpoint.addressing == c.addressing)
        #expect(endpoint.objectURL(bucket: "models", key: "a/b c").description == c.objectURL)
    }

    @Test(arguments: [
        ["AWS_ENDPOINT_URL": "ftp://x"], ["AWS_ENDPOINT_URL": "https://user:pw@x"], ["AWS_ENDPOINT_URL": "https://x/base"],
        ["AWS_REGION": "US_EAST"], ["MODELPIN_S3_ADDRESSING": "dns"],
        ["AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "MODELPIN_S3_ADDRESSING": "virtual"],
    ])
    func refuses(_ environment: [String: String]) {
        #expect(throws: S3Error.self) { try S3Endpoint(environment: environment) }
    }

    @Test func plainHTTPOnlyForAnHTTPEndpoint() throws {
        let local = try S3Endpoint(environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:8333"])
        #expect(local.plainHTTPOrigin(bucket: "models")?.description == "http://127.0.0.1:8333")
        let virtual = try S3Endpoint(environment: ["AWS_ENDPOINT_URL": "http://localhost:8333", "MODELPIN_S3_ADDRESSING": "virtual"])
        #expect(virtual.plainHTTPOrigin(bucket: "models")?.description == "http://models.localhost:8333")
        #expect(try S3Endpoint(environment: [:]).plainHTTPOrigin(bucket: "models") == nil)
    }
}
