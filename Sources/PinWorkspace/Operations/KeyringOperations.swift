import PinAudit
import PinModel
import PinVerify
import SystemPackage

/// A public key in modelpin's keyring, as `keys` shows it (and in `--json`, with the same
/// keys as before: fingerprints are 40 hex digits).
public struct KeyRecord: Sendable, Equatable, Encodable {
    public let fingerprint: String
    public let userIDs: [String]
    /// Creation time, unix seconds.
    public let created: Int64?
    /// Expiry time, unix seconds; nil: never.
    public let expires: Int64?
    public let revoked: Bool
    /// Expired now (gpg's view at listing time).
    public let expired: Bool
    public let subkeys: [String]

    init(_ key: PublicKeyInfo) {
        fingerprint = key.fingerprint.hex
        userIDs = key.userIDs
        created = key.created
        expires = key.expires
        revoked = key.revoked
        expired = key.expired
        subkeys = key.subkeys.map(\.hex)
    }
}

/// An OpenSSF model-signing key or CA certificate in modelpin's keyring, as `keys` shows it.
public struct OMSKeyRecord: Sendable, Equatable, Encodable {
    /// `oms-key` (an EC public key), `oms-ca` (a CA certificate) or `oms-root` (a Sigstore
    /// trusted root, for keyless bundles).
    public let kind: String
    /// A key's id (its `publicKey.hint`, the hex SHA-256 of its PEM), or a CA's SHA-256 over its DER.
    public let id: String
    /// What `signers = [...]` pins it as (`oms-key:ID`); nil for a CA, which is trusted for the
    /// certificate identities pinned as `oms-cert:IDENTITY`.
    public let pin: String?
    /// A key's curve (`P-256`); a CA's subject.
    public let detail: String

    init(_ entry: OMSKeyring.Entry) {
        kind = entry.kind.rawValue
        id = entry.id
        pin = entry.kind == .key ? OMSSigner.key(id: entry.id).description : nil
        detail = entry.detail
    }
}

/// One entry of the keyring, of either kind. In `--json`, an OpenPGP key keeps the keys it
/// always had and gains `"kind": "openpgp"`; an OMS entry is an `OMSKeyRecord`.
public enum KeyringEntry: Sendable, Equatable, Encodable {
    case openpgp(KeyRecord)
    case oms(OMSKeyRecord)

    /// How the audit log names it: an OpenPGP fingerprint, or `oms-key:ID` / `oms-ca:ID`.
    var auditName: String {
        switch self {
        case .openpgp(let record): record.fingerprint
        case .oms(let record): record.kind + ":" + record.id
        }
    }

    enum CodingKeys: String, CodingKey { case kind }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .openpgp(let record):
            try record.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("openpgp", forKey: .kind)
        case .oms(let record): try record.encode(to: encoder)
        }
    }
}

extension Workspace {
    /// `keys import`: adds public keys to the keyring, creating it if need be. By content: PEM
    /// text with an EC public key (`-----BEGIN PUBLIC KEY-----`) or a CA certificate, or a Sigstore
    /// `trusted_root.json` (by its media type), goes to the OMS keyring, anything else to gpg (armoured or binary OpenPGP). Secret keys of either
    /// kind are refused. Returns the keys imported or already present.
    public func importKeys(_ bytes: [UInt8], source: String) throws -> [KeyringEntry] {
        try audited("keys import") { workspace in
            workspace.audit?.operation("source", .string(source))
            let entries = try workspace.importKeyMaterial(bytes, source: source)
            workspace.audit?.operation("keys", .strings(entries.map(\.auditName)))
            return entries
        }
    }

    private func importKeyMaterial(_ bytes: [UInt8], source: String) throws -> [KeyringEntry] {
        let material = OMSKeyring.material(of: String(decoding: bytes, as: UTF8.self))
        switch material {
        case .privateKey: throw VerifyError.secretKeyRefused(source: source)
        case .publicKey, .certificate, .trustedRoot:
            _ = try keyring(create: true)
            return [.oms(OMSKeyRecord(try omsKeyring().importMaterial(bytes, material: material, source: source)))]
        case .none:
            return try keyring(create: true).importKeys(bytes, source: source).map { .openpgp(KeyRecord($0)) }
        }
    }

    /// `keys list`: every OpenPGP key in the keyring, in gpg's order, then the OMS keys and CAs.
    public func listKeys() throws -> [KeyringEntry] {
        try keyring(create: false).list().map { .openpgp(KeyRecord($0)) } + omsKeyring().list().map { .oms(OMSKeyRecord($0)) }
    }

    /// `keys remove`: removes the key `id` names: an OMS key or CA by its id (64 hex digits,
    /// bare or as `oms-key:ID`/`oms-ca:ID`), else the OpenPGP key whose primary fingerprint it
    /// spells (a full fingerprint, checked first). Returns it as stored.
    public func removeKey(_ id: String) throws -> String {
        try audited("keys remove") { workspace in
            let removed = try workspace.removeKeyMaterial(id)
            workspace.audit?.operation("keys", .strings([removed]))
            return removed
        }
    }

    private func removeKeyMaterial(_ id: String) throws -> String {
        if let removed = try omsKeyring().remove(id) {
            return removed.kind.rawValue + ":" + removed.id
        }
        let parsed = try Fingerprint(parsing: id)
        try keyring(create: false).remove(parsed)
        return parsed.description
    }

    private func keyring(create: Bool) throws -> Keyring {
        try Keyring(directory: keyringDirectory(), create: create, gpgPath: configuration.gpgPath)
    }

    private func omsKeyring() throws -> OMSKeyring {
        OMSKeyring(directory: FilePath(try keyringDirectory()))
    }
}
