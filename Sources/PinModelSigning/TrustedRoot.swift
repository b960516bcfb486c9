import FoundationEssentials
import PinDigest
import PinModel
import X509

/// A Sigstore trust root (`trusted_root.json`, protobuf-specs' `TrustedRoot` in its JSON form):
/// the Fulcio CAs keyless certificates chain to and the Rekor logs whose promises (SETs) and
/// checkpoints are trusted, each for a window of time.
///
/// Read from a file the user imported on purpose (`modelpin keys import trusted_root.json`); it
/// is parsed strictly because it is the whole of keyless trust: an unknown media type, a
/// duplicate key, bad base64 or DER refuse it rather than leave part of it unread.
public struct TrustedRoot: Sendable {
    public static let mediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
    /// A trust root larger than this is refused before parsing (the public-good one is ~7 KiB).
    public static let maximumSize = 1 << 20

    /// The hex SHA-256 of the file's bytes: its name in the keyring.
    public let id: String
    public let certificateAuthorities: [FulcioAuthority]
    public let transparencyLogs: [TransparencyLogKey]
    /// Certificate-transparency logs: parsed and kept, but SCTs are not checked (see README).
    public let certificateTransparencyLogs: [TransparencyLogKey]

    /// Parses the bytes of a `trusted_root.json`; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws(ModelSigningError) -> TrustedRoot {
        try TrustedRootReader(file: file).read(bytes)
    }

    /// Whether `bytes` claim to be a trust root (its media type appears): how `keys import`
    /// tells one from a key file before parsing it strictly.
    public static func claims(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes.prefix(4096), as: UTF8.self).contains("application/vnd.dev.sigstore.trustedroot")
    }
}

/// A window of time `[start, end)`; an absent end is open.
public struct ValidityWindow: Sendable, Equatable {
    let start: Date
    let end: Date?

    func contains(_ time: Date) -> Bool { start <= time && end.map { time < $0 } ?? true }
}

/// One Fulcio CA of a trust root: its chain (leaf-most first, the self-signed root last), valid
/// for issuing during `validFor`.
public struct FulcioAuthority: Sendable {
    public let uri: String
    let chain: [Certificate]
    public let validFor: ValidityWindow

    /// The chain's last certificate: the root a leaf must reach.
    var root: Certificate { chain[chain.count - 1] }
    /// The rest: intermediates a leaf may chain through.
    var intermediates: ArraySlice<Certificate> { chain.dropLast() }
}

/// A Rekor (or CT) log's key: what signs its SETs and checkpoints.
public struct TransparencyLogKey: Sendable {
    public let baseURL: String
    /// `logId.keyId`: the SHA-256 of the key's DER SubjectPublicKeyInfo, as entries name it.
    public let keyID: [UInt8]
    let key: ECPublicKey
    /// The key's DER SubjectPublicKeyInfo, as the root carries it (checkpoint key hints hash it).
    let spki: [UInt8]
    public let validFor: ValidityWindow
}

/// The JSON shapes of a trust root, every field optional so a missing one is named.
struct TrustedRootJSON: Decodable {
    struct Window: Decodable { var start: String?; var end: String? }
    struct Raw: Decodable { var rawBytes: String? }
    struct Chain: Decodable { var certificates: [Raw]? }
    struct Authority: Decodable {
        var subject: IgnoredJSON?
        var uri: String?
        var certChain: Chain?
        var validFor: Window?
    }
    struct Key: Decodable { var rawBytes: String?; var keyDetails: String?; var validFor: Window? }
    struct LogID: Decodable { var keyId: String? }
    struct Log: Decodable {
        var baseUrl: String?
        var hashAlgorithm: String?
        var publicKey: Key?
        var logId: LogID?
    }
    var mediaType: String?
    var tlogs: [Log]?
    var certificateAuthorities: [Authority]?
    var ctlogs: [Log]?
    var timestampAuthorities: [Authority]?
}

struct TrustedRootReader {
    let file: String
    /// The key types a log may use here (ECDSA with SHA-256 over the curve; Rekor v1 uses P-256).
    static let logKeyDetails: Set<String> = ["PKIX_ECDSA_P256_SHA_256", "PKIX_ECDSA_P384_SHA_384", "PKIX_ECDSA_P521_SHA_512"]

    func read(_ bytes: [UInt8]) throws(ModelSigningError) -> TrustedRoot {
        guard bytes.count <= TrustedRoot.maximumSize else {
            throw fail(.bundleTooLarge(size: bytes.count, limit: TrustedRoot.maximumSize))
        }
        let json = try StrictJSON.decode(TrustedRootJSON.self, from: bytes, file: file, prefix: "")
        try DuplicateKeys.check(bytes, file: file)
        let mediaType = try required(json.mediaType, "mediaType")
        guard mediaType == TrustedRoot.mediaType else { throw fail(.unsupportedFormat(field: "mediaType", value: mediaType)) }
        let authorities = try required(json.certificateAuthorities, "certificateAuthorities")
        let tlogs = try required(json.tlogs, "tlogs")
        guard !authorities.isEmpty else { throw fail(.malformed(field: "certificateAuthorities", problem: "empty")) }
        guard !tlogs.isEmpty else { throw fail(.malformed(field: "tlogs", problem: "empty")) }
        var cas: [FulcioAuthority] = []
        for (index, authority) in authorities.enumerated() {
            cas.append(try readAuthority(authority, "certificateAuthorities[\(index)]"))
        }
        var logs: [TransparencyLogKey] = []
        for (index, log) in tlogs.enumerated() { logs.append(try readLog(log, "tlogs[\(index)]")) }
        var ctlogs: [TransparencyLogKey] = []
        for (index, log) in (json.ctlogs ?? []).enumerated() { ctlogs.append(try readLog(log, "ctlogs[\(index)]")) }
        return TrustedRoot(id: PinDigest.SHA256.hash(bytes).hex, certificateAuthorities: cas,
                           transparencyLogs: logs, certificateTransparencyLogs: ctlogs)
    }

    private func readAuthority(_ json: TrustedRootJSON.Authority, _ field: String) throws(ModelSigningError) -> FulcioAuthority {
        let raws = try required(try required(json.certChain, "\(field).certChain").certificates, "\(field).certChain.certificates")
        guard !raws.isEmpty else { throw fail(.malformed(field: "\(field).certChain.certificates", problem: "empty")) }
        var chain: [Certificate] = []
        for (index, raw) in raws.enumerated() {
            let name = "\(field).certChain.certificates[\(index)].rawBytes"
            let der = try base64(try required(raw.rawBytes, name), name)
            chain.append(try CertificateChecks.certificate(der, what: "\(file): \(name)"))
        }
        return FulcioAuthority(uri: json.uri ?? "", chain: chain, validFor: try window(json.validFor, "\(field).validFor"))
    }

    private func readLog(_ json: TrustedRootJSON.Log, _ field: String) throws(ModelSigningError) -> TransparencyLogKey {
        let baseURL = try required(json.baseUrl, "\(field).baseUrl")
        let hash = try required(json.hashAlgorithm, "\(field).hashAlgorithm")
        guard hash == "SHA2_256" else { throw fail(.unsupportedFormat(field: "\(field).hashAlgorithm", value: hash)) }
        let key = try required(json.publicKey, "\(field).publicKey")
        let details = try required(key.keyDetails, "\(field).publicKey.keyDetails")
        guard Self.logKeyDetails.contains(details) else { throw fail(.unsupportedFormat(field: "\(field).publicKey.keyDetails", value: details)) }
        let spki = try base64(try required(key.rawBytes, "\(field).publicKey.rawBytes"), "\(field).publicKey.rawBytes")
        let ec = try ECPublicKey(spki: spki, what: "\(file): \(field).publicKey")
        let keyID = try base64(try required(try required(json.logId, "\(field).logId").keyId, "\(field).logId.keyId"), "\(field).logId.keyId")
        guard keyID.count == 32 else { throw fail(.malformed(field: "\(field).logId.keyId", problem: "not a SHA-256 (\(keyID.count) bytes)")) }
        return TransparencyLogKey(baseURL: baseURL, keyID: keyID, key: ec, spki: spki,
                                  validFor: try window(key.validFor, "\(field).publicKey.validFor"))
    }

    private func window(_ json: TrustedRootJSON.Window?, _ field: String) throws(ModelSigningError) -> ValidityWindow {
        let json = try required(json, field)
        let start = try time(try required(json.start, "\(field).start"), "\(field).start")
        let end = try json.end.map { text throws(ModelSigningError) in try time(text, "\(field).end") }
        if let end, end < start { throw fail(.malformed(field: field, problem: "ends before it starts")) }
        return ValidityWindow(start: start, end: end)
    }

    private func time(_ text: String, _ field: String) throws(ModelSigningError) -> Date {
        guard let seconds = RFC3339.seconds(text) else { throw fail(.malformed(field: field, problem: "not an RFC 3339 UTC time")) }
        return Date(timeIntervalSince1970: seconds)
    }

    private func required<T>(_ value: T?, _ field: String) throws(ModelSigningError) -> T {
        guard let value else { throw fail(.malformed(field: field, problem: "missing")) }
        return value
    }

    private func base64(_ text: String, _ field: String) throws(ModelSigningError) -> [UInt8] {
        guard let bytes = Data(base64Encoded: text), !bytes.isEmpty else { throw fail(.malformed(field: field, problem: "not base64")) }
        return Array(bytes)
    }

    private func fail(_ reason: ModelSigningError.Reason) -> ModelSigningError { ModelSigningError(file: file, reason: reason) }
}

/// `2021-03-07T03:20:29.000Z`: protobuf's Timestamp in JSON (UTC, `Z`, 0–9 fraction digits).
/// Written by hand because FoundationEssentials' ISO 8601 style wants the fraction either
/// always or never, and protobuf writers differ.
enum RFC3339 {
    static func seconds(_ text: String) -> Double? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b.last == UInt8(ascii: "Z")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in b[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              CivilCalendar.isValid(year: year, month: month, day: day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            let digits = b[19..<(b.count - 1)]
            guard digits.first == UInt8(ascii: "."), (2...10).contains(digits.count),
                  let value = number(20..<(b.count - 1)) else { return nil }
            fraction = Double(value) / pow10(digits.count - 1)
        }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction
    }

    private static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { value, _ in value * 10 } }
}
