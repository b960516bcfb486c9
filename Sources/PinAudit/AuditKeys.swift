import PinDigest
public import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Where the log's signing key and name come from.
///
/// - The name (`audit/origin`): `modelpin-audit/<host>/<8 random hex>`, made once with the
///   log; it is every checkpoint's origin and the key name in its signature line.
/// - The key: the file `MODELPIN_AUDIT_KEY` names (an operator's own, kept outside the store),
///   else `audit/key.pem`, generated on first use. Either must be an unencrypted PKCS#8 PEM
///   Ed25519 key readable by its owner only.
public enum AuditKeys {
    /// Names an operator's own key file.
    public static let variable = "MODELPIN_AUDIT_KEY"

    /// The signer for the log under `directory`.
    public static func signer(directory: FilePath, environment: [String: String]) throws(AuditError) -> CheckpointSigner {
        try AuditIO.makeDirectory(directory)
        let name = try origin(directory)
        let key: Ed25519PrivateKey
        if let path = environment[variable], !path.isEmpty {
            guard let existing = try readKey(FilePath(path)) else { throw .key(path: FilePath(path), reason: "no such file") }
            key = existing
        } else {
            key = try storeKey(directory.appending("key.pem"))
        }
        return try CheckpointSigner(name: name, key: key)
    }

    /// The log's name, made on first use (by whichever process gets there first).
    static func origin(_ directory: FilePath) throws(AuditError) -> String {
        let path = directory.appending("origin")
        if let bytes = try readSmall(path) { return try parseOrigin(bytes, path) }
        let id = (0..<4).map { _ in String(UInt8.random(in: 0...255), radix: 16).leftPadded(to: 2) }.joined()
        let name = "modelpin-audit/\(hostName())/\(id)"
        if try createExclusively(path, Array((name + "\n").utf8), permissions: [.ownerReadWrite, .groupRead, .otherRead]) {
            return name
        }
        guard let bytes = try readSmall(path) else { throw .io(operation: "read", path: path, .noSuchFileOrDirectory) }
        return try parseOrigin(bytes, path)
    }

    private static func parseOrigin(_ bytes: [UInt8], _ path: FilePath) throws(AuditError) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        guard NoteVerifierKey.isValidName(text) else {
            throw .malformed(what: "audit log name", file: path, line: 1, reason: "`\(text)` is not a valid key name (no spaces, `+` or control characters)")
        }
        return text
    }

    /// This machine's host name, as a key name may hold it.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let cleaned = String(name.unicodeScalars.filter { $0.isASCII && $0 != " " && $0 != "+" && $0.value >= 0x21 && $0 != "/" })
        return cleaned.isEmpty ? "localhost" : cleaned
    }

    /// `audit/key.pem`, generated when absent: written to a temporary file with mode 0600,
    /// fsync'd, then linked into place, so two processes racing to make it agree on one key.
    static func storeKey(_ path: FilePath) throws(AuditError) -> Ed25519PrivateKey {
        if let key = try readKey(path) { return key }
        let key: Ed25519PrivateKey
        let pem: [UInt8]
        do {
            key = try Ed25519PrivateKey.generate()
            pem = try key.pem()
        } catch {
            throw .key(path: path, reason: "cannot generate an Ed25519 key: \(error)")
        }
        if try createExclusively(path, pem, permissions: [.ownerReadWrite]) { return key }
        guard let winner = try readKey(path) else { throw .key(path: path, reason: "vanished while it was being made") }
        return winner
    }

    /// Reads a PEM private key, refusing one that other users can read. nil when absent.
    static func readKey(_ path: FilePath) throws(AuditError) -> Ed25519PrivateKey? {
        guard let descriptor = try AuditIO.openIfPresent(path, .readOnly) else { return nil }
        defer { try? descriptor.close() }
        var status = stat()
        guard fstat(descriptor.rawValue, &status) == 0 else { throw .io(operation: "stat", path: path, Errno(rawValue: errno)) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .key(path: path, reason: "not a regular file") }
        guard status.st_mode & 0o077 == 0 else {
            throw .key(path: path, reason: "other users can read or change it (mode \(String(status.st_mode & 0o777, radix: 8))): `chmod 600 \(path)`")
        }
        guard status.st_size <= 1 << 16 else { throw .key(path: path, reason: "larger than 64 KiB: not a key") }
        let pem = try AuditIO.read(descriptor, path, at: 0, count: Int(status.st_size))
        do {
            return try Ed25519PrivateKey(pem: pem)
        } catch .notEd25519 {
            throw .key(path: path, reason: "not an Ed25519 key")
        } catch {
            throw .key(path: path, reason: "not an unencrypted PKCS#8 PEM private key")
        }
    }

    /// A small file's bytes (nil when absent).
    private static func readSmall(_ path: FilePath) throws(AuditError) -> [UInt8]? {
        guard let descriptor = try AuditIO.openIfPresent(path, .readOnly) else { return nil }
        defer { try? descriptor.close() }
        let size = try AuditIO.size(descriptor, path)
        guard size <= 4096 else { throw .malformed(what: "audit file", file: path, line: nil, reason: "larger than 4 KiB") }
        return try AuditIO.read(descriptor, path, at: 0, count: size)
    }

    /// Writes `bytes` to a fresh temporary file, fsyncs it and links it to `path`; false when
    /// `path` already existed (another process won the race; its file stands).
    private static func createExclusively(_ path: FilePath, _ bytes: [UInt8], permissions: FilePermissions) throws(AuditError) -> Bool {
        let directory = path.removingLastComponent()
        let temporary = directory.appending(".\(path.lastComponent?.string ?? "new").\(getpid()).\(UInt32.random(in: 0...UInt32.max))")
        let descriptor = try AuditIO.open(temporary, .writeOnly, create: true, permissions: permissions)
        defer { _ = temporary.withPlatformString { unlink($0) } }
        do {
            try AuditIO.write(descriptor, temporary, bytes, at: 0)
            try AuditIO.sync(descriptor, temporary)
            try? descriptor.close()
        } catch {
            try? descriptor.close()
            throw error
        }
        let linked = temporary.withPlatformString { from in path.withPlatformString { link(from, $0) } }
        if linked != 0 {
            guard errno == EEXIST else { throw .io(operation: "create", path: path, Errno(rawValue: errno)) }
            return false
        }
        try AuditIO.syncDirectory(directory)
        return true
    }
}
