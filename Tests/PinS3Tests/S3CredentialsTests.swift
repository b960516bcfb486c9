import Foundation
@testable import PinS3
import Testing

@Suite struct S3CredentialsTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRET=="
    static let token = "FwoGZXIvYXdzEDMaDPWKaVEQA+D5xrr7/SESSION"

    func resolve(_ environment: [String: String], file: String? = nil) throws(S3Error) -> S3Credentials {
        try S3Credentials.resolve(environment: environment) { _ in file }
    }

    @Test func environmentFirst() throws {
        let credentials = try resolve(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": Self.secret, "AWS_SESSION_TOKEN": Self.token],
                                      file: "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = x\n")
        #expect(credentials.accessKeyID == "AKIAENV")
        #expect(credentials.secretAccessKey == Self.secret)
        #expect(credentials.sessionToken == Self.token)
    }

    @Test func onlyHalfInTheEnvironmentIsAnError() {
        #expect(throws: S3Error.self) { try resolve(["AWS_ACCESS_KEY_ID": "AKIAENV"]) }
        #expect(throws: S3Error.self) { try resolve(["AWS_SECRET_ACCESS_KEY": Self.secret]) }
    }

    @Test func profileFromTheFile() throws {
        let file = """
            # team credentials
            ; another comment style
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = \(Self.secret)

            [profile ci]
            AWS_ACCESS_KEY_ID=AKIACI\r
            aws_secret_access_key=a=b/c+d\r
            aws_session_token = \(Self.token)
            region = eu-west-1
            """
        let ci = try resolve(["AWS_PROFILE": "ci", "AWS_SHARED_CREDENTIALS_FILE": "/x/creds"], file: file)
        #expect(ci.accessKeyID == "AKIACI")
        #expect(ci.secretAccessKey == "a=b/c+d")
        #expect(ci.sessionToken == Self.token)
        #expect(ci.source == "/x/creds [ci]")
        let fallback = try resolve(["HOME": "/home/u"], file: file)
        #expect(fallback.accessKeyID == "AKIADEFAULT")
        #expect(fallback.source == "/home/u/.aws/credentials [default]")
    }

    @Test func missingProfileOrKey() {
        #expect(throws: S3Error.self) { try resolve(["AWS_PROFILE": "nope"], file: "[default]\naws_access_key_id=A\naws_secret_access_key=B\n") }
        #expect(throws: S3Error.self) { try resolve([:], file: "[default]\naws_access_key_id=A\n") }
        #expect(throws: S3Error.self) { try resolve([:], file: nil) }
    }

    @Test(arguments: [
        ("aws_access_key_id = A\n", 1, "outside"),
        ("[default]\nthis is not a pair\n", 2, "expected"),
        ("[default]\n[default]\n", 2, "twice"),
        ("[default]\na = 1\na = 2\n", 3, "twice"),
        ("[default]\na = 1\n  continued\n", 3, "indented"),
        ("[default\n", 1, "section"),
        ("[]\n", 1, "section"),
        ("[bad name]\n", 1, "profile name"),
        ("[default]\nkey with space = 1\n", 2, "key"),
        ("[default]\na = b\u{7}c\n", 2, "control"),
    ])
    func badFilesNameTheLine(text: String, line: Int, words: String) {
        do {
            _ = try AWSCredentialsFile(parsing: text, file: "/x/creds")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            guard case .badCredentialsFile(let file, let number, let reason) = error else { Issue.record("\(error)"); return }
            #expect(file == "/x/creds")
            #expect(number == line)
            #expect(reason.contains(words), "\(reason)")
            #expect("\(error)".contains("/x/creds (line \(line))"))
        }
    }

    @Test func readsARealFileButNotASymlink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("s3-creds-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let real = directory.appendingPathComponent("credentials")
        try Data("[default]\naws_access_key_id=AKIAF\naws_secret_access_key=S\n".utf8).write(to: real)
        let link = directory.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        let credentials = try S3Credentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": real.path])
        #expect(credentials.accessKeyID == "AKIAF")
        #expect(throws: S3Error.self) { try S3Credentials.resolve(environment: ["AWS_SHARED_CREDENTIALS_FILE": link.path]) }
        #expect(try S3Credentials.readCredentialsFile(directory.appendingPathComponent("absent").path) == nil)
    }

    @Test func theSecretNeverShows() throws {
        let credentials = S3Credentials(accessKeyID: "AKIASHOWN", secretAccessKey: Self.secret, sessionToken: Self.token)
        var dumped = ""
        dump(credentials, to: &dumped)
        let encoded = String(decoding: try JSONEncoder().encode(credentials), as: UTF8.self)
        for text in ["\(credentials)", String(reflecting: credentials), dumped, encoded, "\([credentials])"] {
            #expect(text.contains("AKIASHOWN"))
            #expect(!text.contains(Self.secret), "\(text)")
            #expect(!text.contains(Self.token), "\(text)")
            #expect(!text.contains("SECRET"), "\(text)")
        }
    }
}
