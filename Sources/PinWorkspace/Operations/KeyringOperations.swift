import PinAudit
import PinModel
import PinVerify

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

extension Workspace {
    /// `keys import`: adds public keys (armoured or binary) to the keyring, creating it if
    /// need be; secret keys are refused. Returns the keys imported or already present.
    public func importKeys(_ bytes: [UInt8], source: String) throws -> [KeyRecord] {
        try audited("keys import") { workspace in
            workspace.audit?.operation("source", .string(source))
            let keys = try workspace.keyring(create: true).importKeys(bytes, source: source).map(KeyRecord.init)
            workspace.audit?.operation("fingerprints", .strings(keys.map(\.fingerprint)))
            return keys
        }
    }

    /// `keys list`: every key in the keyring, in gpg's order.
    public func listKeys() throws -> [KeyRecord] {
        try keyring(create: false).list().map(KeyRecord.init)
    }

    /// `keys remove`: removes the key whose primary fingerprint `fingerprint` spells (a full
    /// fingerprint, checked first). Returns it as stored (40 hex digits).
    public func removeKey(_ fingerprint: String) throws -> String {
        try audited("keys remove") { workspace in
            let parsed = try Fingerprint(parsing: fingerprint)
            workspace.audit?.operation("fingerprints", .strings([parsed.description]))
            try workspace.keyring(create: false).remove(parsed)
            return parsed.description
        }
    }

    private func keyring(create: Bool) throws -> Keyring {
        try Keyring(directory: keyringDirectory(), create: create, gpgPath: configuration.gpgPath)
    }
}
