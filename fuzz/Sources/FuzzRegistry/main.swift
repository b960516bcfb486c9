// An OCI registry's and the user's bytes that PinRegistry reads: a `WWW-Authenticate` challenge
// (it decides where credentials go), docker's config.json (credentials), an upload journal
// entry (read back from the store after a crash) and an `oci://` reference. The first byte picks
// the reader, the rest is its input. Besides crashes, hangs and memory: parsing is
// deterministic, a parsed challenge's scheme and names are lowercase tokens, a parsed reference
// prints as text that parses back to itself.
import PinModel
import PinRegistry

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistry(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    let input = Array(bytes.dropFirst())
    let text = String(decoding: input, as: UTF8.self)
    switch selector % 4 {
    case 0: challenge(text)
    case 1: dockerConfig(input)
    case 2: journal(input)
    default: reference(text)
    }
    return 0
}

func challenge(_ text: String) {
    let first = try? AuthChallenge.parse(text)
    precondition(first == (try? AuthChallenge.parse(text)), "the challenge parser is not deterministic")
    for challenge in first ?? [] {
        precondition(!challenge.scheme.isEmpty && challenge.scheme == challenge.scheme.lowercased(), "scheme not a lowercase token")
        for name in challenge.parameters.keys {
            precondition(!name.isEmpty && name == name.lowercased(), "parameter name not a lowercase token: \(name.debugDescription)")
        }
    }
}

func dockerConfig(_ bytes: [UInt8]) {
    guard let config = try? DockerConfig.parse(bytes, path: "fuzz/config.json") else { return }
    // Only the file's own entries: a config naming helpers would run programs.
    guard config.credHelpers.isEmpty, config.credsStore == nil else { return }
    for host in config.auths.keys.prefix(16) {
        if let found = try? config.credentials(for: host, environment: [:]) {
            precondition(found.password != nil || found.identityToken != nil, "credentials without a secret")
            precondition(found.password.map { !found.description.contains($0) || $0.count < 4 } ?? true, "a password in a description")
        }
    }
}

func journal(_ bytes: [UInt8]) {
    guard let entry = UploadJournal.parse(bytes) else { return }
    precondition(UploadJournal.parse(bytes) == entry, "the journal parser is not deterministic")
}

func reference(_ text: String) {
    guard let parsed = try? RegistryReference(parsing: text) else { return }
    let again = try? RegistryReference(parsing: parsed.description)
    precondition(again == parsed, "\(text.debugDescription) prints as \(parsed.description.debugDescription), which does not parse back")
    precondition(!parsed.repository.isEmpty && !parsed.host.isEmpty, "an empty host or repository")
}
