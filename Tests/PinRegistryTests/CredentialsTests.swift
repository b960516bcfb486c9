import Foundation
import PinRegistry
import PinTestSupport
import Testing

@Suite("RegistryCredentials")
struct CredentialsTests {
    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    func writeConfig(_ directory: URL, _ json: String) throws {
        try Data(json.utf8).write(to: directory.appendingPathComponent("config.json"))
    }

    @Test("auths: base64 user:password, by host:port, by URL, Docker Hub's aliases")
    func auths() throws {
        try withTemporaryDirectory { directory in
            try writeConfig(directory, """
                {"auths": {
                  "127.0.0.1:5000": {"auth": "\(Self.base64("alice:s3cret:with:colons"))"},
                  "https://ghcr.io/v2/": {"username": "bob", "password": "pw"},
                  "https://index.docker.io/v1/": {"auth": "\(Self.base64("carol:hub"))"},
                  "empty.example": {},
                  "token.example": {"auth": "\(Self.base64("dave:"))", "identitytoken": "refresh-me"}
                }, "HttpHeaders": {"X-Other": "ignored"}}
                """)
            let environment = ["DOCKER_CONFIG": directory.path, "HOME": "/nonexistent"]
            let alice = try RegistryCredentials.lookup(host: "127.0.0.1:5000", environment: environment)
            #expect(alice?.username == "alice")
            #expect(alice?.password == "s3cret:with:colons")
            #expect(try RegistryCredentials.lookup(host: "ghcr.io", environment: environment)?.username == "bob")
            #expect(try RegistryCredentials.lookup(host: "registry-1.docker.io", environment: environment)?.username == "carol")
            #expect(try RegistryCredentials.lookup(host: "empty.example", environment: environment) == nil)
            #expect(try RegistryCredentials.lookup(host: "other.example", environment: environment) == nil)
            let token = try RegistryCredentials.lookup(host: "token.example", environment: environment)
            #expect(token?.identityToken == "refresh-me")
            #expect(token?.password == nil)
            // The description names the user and the source, never the secret.
            #expect(alice.map { !$0.description.contains("s3cret") } == true)
        }
    }

    @Test("the environment wins, and half of it is an error")
    func environment() throws {
        try withTemporaryDirectory { directory in
            try writeConfig(directory, #"{"auths": {"r.example": {"username": "fromfile", "password": "x"}}}"#)
            var environment = ["DOCKER_CONFIG": directory.path, "MODELPIN_REGISTRY_USER": "env", "MODELPIN_REGISTRY_PASSWORD": "pw"]
            #expect(try RegistryCredentials.lookup(host: "r.example", environment: environment)?.username == "env")
            environment["MODELPIN_REGISTRY_PASSWORD"] = nil
            #expect(throws: RegistryError.self) { try RegistryCredentials.lookup(host: "r.example", environment: environment) }
        }
    }

    @Test("~/.docker/config.json when DOCKER_CONFIG is unset; no file means no credentials")
    func home() throws {
        try withTemporaryDirectory { directory in
            #expect(try RegistryCredentials.lookup(host: "r.example", environment: ["HOME": directory.path]) == nil)
            let docker = directory.appendingPathComponent(".docker")
            try FileManager.default.createDirectory(at: docker, withIntermediateDirectories: true)
            try writeConfig(docker, #"{"auths": {"r.example": {"username": "u", "password": "p"}}}"#)
            #expect(try RegistryCredentials.lookup(host: "r.example", environment: ["HOME": directory.path])?.username == "u")
        }
    }

    @Test("a broken config.json is an error naming the file, not an anonymous pull")
    func broken() throws {
        try withTemporaryDirectory { directory in
            for json in ["{not json", #"{"auths": {"r.example": {"auth": "!!!notbase64"}}}"#, #"{"credsStore": "../../bin/sh"}"#] {
                try writeConfig(directory, json)
                #expect {
                    _ = try RegistryCredentials.lookup(host: "r.example", environment: ["DOCKER_CONFIG": directory.path])
                } throws: { error in
                    "\(error)".contains("config.json")
                }
            }
        }
    }

    /// A fake `docker-credential-test` on PATH: answers for one server, "not found" otherwise,
    /// and records what it was asked.
    func installHelper(_ directory: URL, name: String = "test") throws -> URL {
        let bin = directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("helper.log")
        let script = """
            #!/bin/sh
            read server
            echo "$1 $server" >> \(log.path)
            case "$server" in
              helped.example:5000) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$server" ;;
              token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"identity"}' "$server" ;;
              broken.example) echo 'not json' ;;
              failing.example) echo 'boom' >&2; exit 3 ;;
              *) echo 'credentials not found in native keychain'; exit 1 ;;
            esac
            """
        let helper = bin.appendingPathComponent("docker-credential-\(name)")
        try Data(script.utf8).write(to: helper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper.path)
        return log
    }

    @Test("credHelpers per host and credsStore run docker-credential-<name> get, host on stdin")
    func helpers() throws {
        try withTemporaryDirectory { directory in
            let log = try installHelper(directory)
            let environment = ["DOCKER_CONFIG": directory.path, "PATH": directory.appendingPathComponent("bin").path + ":/usr/bin:/bin"]
            try writeConfig(directory, #"{"credHelpers": {"helped.example:5000": "test"}}"#)
            let helped = try RegistryCredentials.lookup(host: "helped.example:5000", environment: environment)
            #expect(helped?.username == "helper-user")
            #expect(helped?.password == "helper-secret")
            #expect(helped?.source.contains("docker-credential-test") == true)
            #expect(try RegistryCredentials.lookup(host: "elsewhere.example", environment: environment) == nil)

            try writeConfig(directory, #"{"credsStore": "test", "auths": {"r.example": {}}}"#)
            #expect(try RegistryCredentials.lookup(host: "helped.example:5000", environment: environment)?.username == "helper-user")
            #expect(try RegistryCredentials.lookup(host: "token.example", environment: environment)?.identityToken == "identity")
            #expect(try RegistryCredentials.lookup(host: "nothing.example", environment: environment) == nil)
            for failing in ["broken.example", "failing.example"] {
                #expect {
                    _ = try RegistryCredentials.lookup(host: failing, environment: environment)
                } throws: { error in
                    let text = "\(error)" + ((error as? RegistryError)?.causes.joined() ?? "")
                    return text.contains("docker-credential-test") && !text.contains("boom")
                }
            }
            let asked = try String(contentsOf: log, encoding: .utf8)
            #expect(asked.contains("get helped.example:5000"))
            #expect(asked.contains("get token.example"))

            // A helper that is not installed is an error, not silence.
            try writeConfig(directory, #"{"credsStore": "missing"}"#)
            #expect(throws: RegistryError.self) { try RegistryCredentials.lookup(host: "r.example", environment: environment) }
        }
    }
}
