// What a hostile server, repository or environment hands the trust code as text: the terminal
// escaping every printed string goes through, the user's config.toml, MODELPIN_TOKEN_HOSTS and
// MODELPIN_LOCK_SIGNERS, the fingerprint parser behind them, the signer pins of `signers = [...]`
// (OpenPGP fingerprints, `oms-key:ID`, `oms-cert:IDENTITY`) and the commit-id parser (a lock's
// `commit`, the Hub's revision answer). Invariants, not just "no crash":
// nothing a terminal acts on survives escaping, escaping is idempotent, and whatever parses is
// well-formed.
import PinHub
import PinLock
import PinModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTrustText(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)

    let escaped = text.escapedForTerminal
    precondition(!escaped.unicodeScalars.contains { $0.isHiddenOnTerminal && $0 != "\n" }, "a hidden character survived escaping")
    precondition(escaped.escapedForTerminal == escaped, "escaping is not idempotent")

    if let config = try? UserConfigFormat.parse(text, file: "config.toml") {
        precondition(config.lockSigners.allSatisfy { isFingerprint($0.hex) }, "a lock signer that is not a fingerprint")
        precondition(config.lockSigners == config.lockSigners.sorted(), "lock signers out of order")
    }
    if case .success(let signers) = UserConfigFormat.signers(fromEnvironment: text) {
        precondition(signers.allSatisfy { isFingerprint($0.hex) }, "an environment lock signer that is not a fingerprint")
    }
    if let fingerprint = try? Fingerprint(parsing: text) {
        precondition(isFingerprint(fingerprint.hex), "a parsed fingerprint that is not 40 uppercase hex")
        precondition((try? Fingerprint(parsing: fingerprint.hex)) == fingerprint, "a fingerprint that does not read back")
    }
    if let signer = try? SignerID(parsing: text) {
        // A lock stores the canonical spelling, and reads back only that.
        precondition((try? SignerID(parsing: signer.description)) == signer, "a signer pin that does not read back")
        switch signer {
        case .openpgp(let fingerprint): precondition(isFingerprint(fingerprint.hex), "an OpenPGP pin that is not a fingerprint")
        case .oms(.key(let id)):
            precondition(id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }, "an OMS key id that is not 64 lowercase hex")
        case .oms(.certificate(let identity)):
            precondition(!identity.isEmpty && !identity.unicodeScalars.contains { $0.properties.generalCategory == .control }, "an OMS identity with a control character")
        }
    }
    if let commit = try? CommitID(parsing: text) {
        precondition(commit.hex == text && text.utf8.count == 40, "a commit id that is not its own 40-hex text")
    }
    if let hosts = try? TokenHosts(endpoints: [], listed: text) {
        precondition(hosts.entries.allSatisfy { !$0.host.isEmpty && !$0.host.contains("/") }, "a token host that is not a host")
    }
    return 0
}

private func isFingerprint(_ text: String) -> Bool {
    text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) }
}

/// TOMLKit (behind PinLock's TOML reader) leaks on every parse: `TOMLTable(string:)` allocates an
/// error buffer it never frees, and the C++ table it wraps. That is the library's, harmless in a
/// short-lived CLI, and would otherwise stop every run at the first input; leaks from anything
/// else are still reported.
@_cdecl("__lsan_default_suppressions")
public func leakSuppressions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("leak:TOMLKit\n" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}
