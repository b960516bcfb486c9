import PinModel
import PinModelSigning
import PinStore
import SystemPackage

/// The OpenSSF model-signing half of modelpin's keyring: EC public keys, CA certificates and
/// Sigstore trust roots the user imported on purpose (`modelpin keys import KEY.pem` or
/// `trusted_root.json`), which `model.sig` bundles are checked against.
///
/// They live in the keyring directory (modelpin's GnuPG home, 0700) under `oms/`: `oms/keys/ID.pem`,
/// `oms/cas/ID.pem` and `oms/roots/ID.json`, each named by its id (a key's `publicKey.hint` form; a
/// CA's SHA-256 over its DER; a trust root's SHA-256 over its file), holding the bytes as imported. gpg ignores the folder; PinVerify never reads it, since
/// PEM is PinModelSigning's to parse. Every read re-parses the file and checks that its id is its
/// name, so a file renamed or edited by hand is an error, never a silently different trust anchor;
/// every path is reached through a `DirectoryRoot` (no symbolic link followed).
struct OMSKeyring {
    enum Kind: String, Sendable, CaseIterable {
        case key = "oms-key"
        case certificateAuthority = "oms-ca"
        /// A Sigstore `trusted_root.json`, for keyless bundles. Several may be imported; each is
        /// a candidate for every keyless bundle (see `TrustAnchors.trustedRoots`).
        case trustedRoot = "oms-root"

        var folder: String {
            switch self {
            case .key: "keys"
            case .certificateAuthority: "cas"
            case .trustedRoot: "roots"
            }
        }

        var suffix: String { self == .trustedRoot ? ".json" : ".pem" }
    }

    /// The keyring directory (the GnuPG home); the OMS files are under its `oms/`.
    let directory: FilePath
    static let folder = "oms"

    /// What PEM text in an imported file claims to be, by its armour lines alone.
    enum Material: Equatable {
        case publicKey, certificate, trustedRoot, privateKey, none
    }

    /// Sorts a key file by its PEM armour, or a trust root by its media type. Any private key
    /// anywhere refuses the file: a secret is never written to the keyring, whatever else is
    /// beside it.
    static func material(of text: String) -> Material {
        if text.contains("PRIVATE KEY-----") { return .privateKey }
        if TrustedRoot.claims(Array(text.utf8)) { return .trustedRoot }
        if text.contains("-----BEGIN PUBLIC KEY-----") { return .publicKey }
        if text.contains("-----BEGIN CERTIFICATE-----") { return .certificate }
        return .none
    }

    /// One stored key, CA or trust root, as `keys list` shows it.
    struct Entry: Sendable, Equatable {
        let kind: Kind
        let id: String
        /// The curve (`P-256`) of a key; the subject of a CA; what a trust root holds.
        let detail: String
    }

    /// Parses `bytes` as what `material` says and stores them under their id (replacing
    /// nothing: an id names its bytes' key). Returns what is now in the keyring.
    func importMaterial(_ bytes: [UInt8], material: Material, source: String) throws -> Entry {
        let kind: Kind
        switch material {
        case .publicKey: kind = .key
        case .certificate: kind = .certificateAuthority
        case .trustedRoot: kind = .trustedRoot
        case .privateKey, .none: preconditionFailure("importMaterial is called for a public key, a certificate or a trust root only")
        }
        let entry = try Self.parse(bytes, kind: kind, source: source).entry
        let root = try open(create: true)
        let name = entry.kind.folder + "/" + entry.id + entry.kind.suffix
        guard try failing({ () throws(DirectoryRoot.Failure) in try root.status(name) }) == nil else { return entry }
        let temporary = entry.kind.folder + "/." + entry.id + ".tmp"
        _ = try? root.removeFile(temporary) { _ in true }
        try failing { () throws(DirectoryRoot.Failure) in
            let descriptor = try root.createFile(temporary, permissions: [.ownerReadWrite])
            do {
                try descriptor.writeAll(bytes)
                try descriptor.close()
            } catch {
                try? descriptor.close()
                throw DirectoryRoot.Failure(path: root.path.appending(temporary), errno: (error as? Errno) ?? .ioError, symbolicLink: false)
            }
            try root.rename(temporary, to: name)
            try root.sync(entry.kind.folder)
        }
        return entry
    }

    /// Every key and CA stored, keys first, each sorted by id.
    func list() throws -> [Entry] {
        var entries: [Entry] = []
        for kind in Kind.allCases {
            for id in try ids(kind) {
                entries.append(try load(kind, id: id).entry)
            }
        }
        return entries
    }

    /// Removes the key, CA or trust root `id` (64 hex, with or without an `oms-key:`/`oms-ca:`/`oms-root:` prefix), by
    /// its name: a file that fails its checks can be removed too. Nil when there is none.
    func remove(_ text: String) throws -> (kind: Kind, id: String)? {
        var id = text.lowercased()
        var kinds = Kind.allCases
        for kind in Kind.allCases where id.hasPrefix(kind.rawValue + ":") {
            id = String(id.dropFirst(kind.rawValue.count + 1))
            kinds = [kind]
        }
        guard Self.isID(id) else { return nil }
        let root = try open(create: false)
        for kind in kinds where try ids(kind).contains(id) {
            let name = kind.folder + "/" + id + kind.suffix
            _ = try failing { () throws(DirectoryRoot.Failure) in try root.removeFile(name) { _ in true } }
            return (kind, id)
        }
        return nil
    }

    /// The trust a `model.sig` is checked against: the keys `pins` name (one not in the
    /// keyring is simply absent: a bundle by it is refused as signed by an unknown key), and
    /// every CA in the keyring when a certificate identity is pinned, and every trust root (a
    /// keyless bundle without one is refused as "not supported offline", so they are always read).
    func anchors(for pins: [OMSSigner]) throws -> TrustAnchors {
        var keys: [PublicKey] = []
        let stored = Set(try ids(.key))
        for case .key(let id) in pins where stored.contains(id) {
            guard case .key(let key) = try load(.key, id: id).value else { continue }
            keys.append(key)
        }
        var authorities: [CertificateAuthority] = []
        if pins.contains(where: { if case .certificate = $0 { true } else { false } }) {
            for id in try ids(.certificateAuthority) {
                guard case .certificateAuthority(let ca) = try load(.certificateAuthority, id: id).value else { continue }
                authorities.append(ca)
            }
        }
        var roots: [TrustedRoot] = []
        for id in try ids(.trustedRoot) {
            guard case .trustedRoot(let root) = try load(.trustedRoot, id: id).value else { continue }
            roots.append(root)
        }
        return TrustAnchors(keys: keys, certificateAuthorities: authorities, trustedRoots: roots)
    }

    // MARK: Files

    private enum Value {
        case key(PublicKey)
        case certificateAuthority(CertificateAuthority)
        case trustedRoot(TrustedRoot)
    }

    /// The ids stored of `kind`: names that are not `ID.pem` (a temporary file, a stray) are
    /// not keys and are left alone.
    private func ids(_ kind: Kind) throws -> [String] {
        guard let root = try openIfPresent() else { return [] }
        let names = try failing { () throws(DirectoryRoot.Failure) in try root.list(kind.folder) }
        return names.compactMap { name in
            guard name.hasSuffix(kind.suffix) else { return nil }
            let id = String(name.dropLast(kind.suffix.count))
            return Self.isID(id) ? id : nil
        }
    }

    private func load(_ kind: Kind, id: String) throws -> (entry: Entry, value: Value) {
        let root = try open(create: false)
        let name = kind.folder + "/" + id + kind.suffix
        let bytes = try failing { () throws(DirectoryRoot.Failure) in try Self.read(root, name) }
        let source = root.path.appending(name).string
        let parsed = try Self.parse(bytes, kind: kind, source: source)
        guard parsed.entry.id == id else { throw OMSKeyringError.renamed(path: source, id: parsed.entry.id) }
        return parsed
    }

    /// Reads a key, CA or trust root from its bytes (as imported, or as stored).
    private static func parse(_ bytes: [UInt8], kind: Kind, source: String) throws -> (entry: Entry, value: Value) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch kind {
        case .key:
            let key = try parsed(source) { () throws(ModelSigningError) in try PublicKey.parsePEM(text) }
            return (Entry(kind: kind, id: key.id, detail: key.curve), .key(key))
        case .certificateAuthority:
            let ca = try parsed(source) { () throws(ModelSigningError) in try CertificateAuthority.parsePEM(text) }
            return (Entry(kind: kind, id: ca.id, detail: ca.subject), .certificateAuthority(ca))
        case .trustedRoot:
            let root = try parsed(source) { () throws(ModelSigningError) in try TrustedRoot.parse(bytes, file: source) }
            let detail = "Sigstore trusted root: \(root.certificateAuthorities.count) Fulcio CA(s), \(root.transparencyLogs.count) Rekor log(s)"
                + (root.transparencyLogs.first.map { " (\($0.baseURL))" } ?? "")
            return (Entry(kind: kind, id: root.id, detail: detail), .trustedRoot(root))
        }
    }

    /// The file's bytes (a key file is small: more than 1 MiB is no key).
    private static func read(_ root: DirectoryRoot, _ name: String) throws(DirectoryRoot.Failure) -> [UInt8] {
        let descriptor = try root.openFile(name)
        defer { try? descriptor.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= 1 << 20 {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            } catch {
                throw DirectoryRoot.Failure(path: root.path.appending(name), errno: (error as? Errno) ?? .ioError, symbolicLink: false)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
        throw DirectoryRoot.Failure(path: root.path.appending(name), errno: .fileTooLarge, symbolicLink: false)
    }

    private func open(create: Bool) throws -> DirectoryRoot {
        try failing { () throws(DirectoryRoot.Failure) in
            try DirectoryRoot.open(directory, create: create).directory(Self.folder, create: create)
        }
    }

    private func openIfPresent() throws -> DirectoryRoot? {
        do {
            return try DirectoryRoot.open(directory, create: false).directory(Self.folder, create: false)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw OMSKeyringError.io(error)
        }
    }

    private func failing<T>(_ body: () throws(DirectoryRoot.Failure) -> T) throws(OMSKeyringError) -> T {
        do {
            return try body()
        } catch {
            throw .io(error)
        }
    }

    private static func parsed<T>(_ source: String, _ body: () throws(ModelSigningError) -> T) throws(OMSKeyringError) -> T {
        do {
            return try body()
        } catch {
            throw .unreadable(source: source, error)
        }
    }

    static func isID(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

/// Why the OMS keyring could not be read or written.
enum OMSKeyringError: ModelpinError {
    /// A file below the keyring could not be read, written or removed.
    case io(DirectoryRoot.Failure)
    /// A key or certificate (being imported, or stored) that PinModelSigning cannot read.
    case unreadable(source: String, ModelSigningError)
    /// A stored file whose content has another id than its name.
    case renamed(path: String, id: String)

    var kind: FailureKind {
        switch self {
        case .io, .renamed: .operational
        case .unreadable(_, let error): error.kind == .operational ? .operational : .usage
        }
    }

    var description: String {
        switch self {
        case .io(let failure): "cannot use modelpin's OMS keyring: \(failure)"
        case .unreadable(let source, let error): "\(source) is no usable OMS key, CA certificate or Sigstore trusted root: \(error.description)"
        case .renamed(let path, let id): "\(path) holds the key or CA \(id), not the one its name says"
        }
    }

    var hint: String? {
        switch self {
        case .io: nil
        case .unreadable: "`keys import` takes an EC public key (-----BEGIN PUBLIC KEY-----, P-256/384/521), a CA certificate (-----BEGIN CERTIFICATE-----), a Sigstore trusted_root.json or OpenPGP keys"
        case .renamed: "remove it with `modelpin keys remove` and import the key again"
        }
    }
}
