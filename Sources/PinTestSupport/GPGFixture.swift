import Foundation

/// A throwaway GnuPG home for tests: generates real keys and signatures by running the `gpg`
/// command line, so that every signature outcome can be produced on purpose.
///
/// The home lives directly under /tmp with a short name (`/tmp/gk.XXXXXX`): key generation and
/// signing talk to gpg-agent through sockets in the home, and a socket path must fit in
/// `sun_path` (108 bytes). `close()` (or deinit) kills the agent (`gpgconf --kill all`) and
/// removes the directory. Keys are ed25519 without passphrase, which take milliseconds to make.
public final class GPGFixture: @unchecked Sendable {
    /// A key this fixture made.
    public struct Key: Sendable, Equatable {
        /// The primary key's fingerprint (40 uppercase hex).
        public let fingerprint: String
        /// Subkey fingerprints, in gpg's order.
        public let subkeys: [String]
        /// The subkeys that can sign.
        public let signingSubkeys: [String]
        public let userID: String

        /// The 16-hex long key id.
        public var keyID: String { String(fingerprint.suffix(16)) }
    }

    /// How `sign` writes a signature.
    public enum SignatureStyle: Sendable {
        /// `--armor --detach-sign`: an `.asc` next to the file.
        case armoredDetached
        /// `--detach-sign`: a binary `.sig`.
        case binaryDetached
        /// `--clearsign`: the text with the signature inline.
        case clearsigned
    }

    public struct Failure: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let standardError: String
        public var description: String {
            "gpg \(command.joined(separator: " ")) exited with \(status): \(standardError)"
        }
    }

    /// The GnuPG home (mode 0700).
    public let home: String
    /// The gpg executable.
    public let gpg: String
    private let lock = NSLock()
    private var closed = false
    private var counter = 0

    /// A time before `expiredSignatureTime`, for keys that sign "in the past".
    public static let pastKeyCreation = "20190101T000000"
    /// When the expired key is created (it expires a day later).
    public static let expiredKeyCreation = "20200101T000000"
    /// When the expired key signs (while still valid), and when the expiring signatures are made.
    public static let pastSigningTime = "20200101T120000"

    public init(gpg: String = "/usr/bin/gpg") throws {
        var template = Array("/tmp/gk.XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: result)
        }
        guard let path else { throw Failure(command: ["mkdtemp"], status: errno, standardError: "") }
        chmod(path, 0o700)
        home = path
        self.gpg = gpg
    }

    deinit { close() }

    /// Kills this home's gpg-agent (and any other daemon) and removes the directory. Idempotent.
    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        guard !wasClosed else { return }
        _ = try? Self.run("/usr/bin/gpgconf", ["--homedir", home, "--kill", "all"])
        removeTree(URL(fileURLWithPath: home))
    }

    // MARK: Keys

    /// A normal signing key: ed25519 primary with sign capability, expiring in `expiry` ("1y",
    /// "never"…). `fakedTime` (`20190101T000000`) backdates its creation.
    public func generateKey(name: String, email: String? = nil, expiry: String = "1y", fakedTime: String? = nil)
        throws -> Key
    {
        let userID = Self.userID(name, email)
        try gpgCommand(fakedTime: fakedTime, ["--quick-gen-key", userID, "ed25519", "sign", expiry])
        return try key(userID)
    }

    /// A key whose primary can only certify, with a separate ed25519 signing subkey: signatures
    /// name the subkey's fingerprint, and only the primary's is pinned.
    public func generateKeyWithSigningSubkey(name: String, email: String? = nil) throws -> Key {
        let userID = Self.userID(name, email)
        try gpgCommand(["--quick-gen-key", userID, "ed25519", "cert", "1y"])
        let primary = try key(userID)
        try gpgCommand(["--quick-add-key", primary.fingerprint, "ed25519", "sign", "1y"])
        return try key(primary.fingerprint)
    }

    /// A key made on 2020-01-01 that expired a day later. Sign with it while it was valid with
    /// `sign(…, fakedTime: GPGFixture.pastSigningTime)`.
    public func generateExpiredKey(name: String, email: String? = nil) throws -> Key {
        try generateKey(name: name, email: email, expiry: "1d", fakedTime: Self.expiredKeyCreation)
    }

    /// Revokes `key` with the revocation certificate gpg wrote when it was made
    /// (`openpgp-revocs.d/<FPR>.rev`, its leading `:` guard removed). Export the public key
    /// afterwards to carry the revocation to another keyring.
    public func revoke(_ key: Key) throws {
        let certificate = URL(fileURLWithPath: home).appendingPathComponent("openpgp-revocs.d/\(key.fingerprint).rev")
        let text = try String(contentsOf: certificate, encoding: .utf8)
        let unguarded = text.replacingOccurrences(of: ":-----BEGIN PGP PUBLIC KEY BLOCK-----", with: "-----BEGIN PGP PUBLIC KEY BLOCK-----")
        let file = try temporaryFile("rev", Array(unguarded.utf8))
        try gpgCommand(["--import", file])
    }

    /// The key `pattern` (a fingerprint or user id) names, from `gpg --with-colons --list-keys`.
    public func key(_ pattern: String) throws -> Key {
        let listing = String(decoding: try gpgCommand(["--with-colons", "--list-keys", pattern]), as: UTF8.self)
        var primary: String?
        var subkeys: [String] = []
        var signing: [String] = []
        var userID: String?
        var section = ""
        var sectionCanSign = false
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "pub", "sub":
                // The first key only (a pattern could match more than one).
                if fields[0] == "pub", primary != nil { return Key(fingerprint: primary!, subkeys: subkeys, signingSubkeys: signing, userID: userID ?? "") }
                section = fields[0]
                sectionCanSign = fields.count > 11 && fields[11].contains("s")
            case "fpr":
                guard fields.count > 9 else { break }
                if section == "pub", primary == nil { primary = fields[9] }
                if section == "sub" {
                    subkeys.append(fields[9])
                    if sectionCanSign { signing.append(fields[9]) }
                }
                section = ""
            case "uid":
                if userID == nil, fields.count > 9 { userID = fields[9] }
            default: break
            }
        }
        guard let primary else { throw Failure(command: ["--list-keys", pattern], status: 0, standardError: "no key") }
        return Key(fingerprint: primary, subkeys: subkeys, signingSubkeys: signing, userID: userID ?? "")
    }

    /// The public key, armoured (`--export --armor`) or binary, with its current signatures
    /// (a revocation included).
    public func exportPublicKey(_ key: Key, armored: Bool = true) throws -> [UInt8] {
        try gpgCommand((armored ? ["--armor"] : []) + ["--export", key.fingerprint])
    }

    /// The secret key (`--export-secret-keys`), for tests that must see it refused.
    public func exportSecretKey(_ key: Key, armored: Bool = true) throws -> [UInt8] {
        try gpgCommand((armored ? ["--armor"] : []) + ["--export-secret-keys", key.fingerprint])
    }

    // MARK: Signatures

    /// Signs `data` with `keys` (one signature each; a fingerprint or a subkey fingerprint with a
    /// trailing `!` to force that subkey). `fakedTime` signs at that time; `signatureExpiry`
    /// ("1d") makes the signature expire that long after it was made.
    public func sign(
        _ data: [UInt8], with keys: [String], style: SignatureStyle = .armoredDetached, fakedTime: String? = nil,
        signatureExpiry: String? = nil
    ) throws -> [UInt8] {
        try signFile(try temporaryFile("data", data), with: keys, style: style, fakedTime: fakedTime, signatureExpiry: signatureExpiry)
    }

    /// `sign` with one key.
    public func sign(
        _ data: [UInt8], with key: Key, style: SignatureStyle = .armoredDetached, fakedTime: String? = nil,
        signatureExpiry: String? = nil
    ) throws -> [UInt8] {
        try sign(data, with: [key.fingerprint], style: style, fakedTime: fakedTime, signatureExpiry: signatureExpiry)
    }

    /// Signs the file at `path`; returns the signature (or the clearsigned document).
    public func signFile(
        _ path: String, with keys: [String], style: SignatureStyle = .armoredDetached, fakedTime: String? = nil,
        signatureExpiry: String? = nil
    ) throws -> [UInt8] {
        var arguments: [String] = []
        for key in keys { arguments += ["--local-user", key] }
        if let signatureExpiry { arguments += ["--default-sig-expire", signatureExpiry] }
        switch style {
        case .armoredDetached: arguments += ["--armor", "--detach-sign"]
        case .binaryDetached: arguments += ["--detach-sign"]
        case .clearsigned: arguments += ["--clearsign"]
        }
        arguments += ["--output", "-", path]
        return try gpgCommand(fakedTime: fakedTime, arguments)
    }

    /// A signature made on 2020-01-01 that expired a day later, by a key made before then
    /// (`generateKey(…, expiry: "never", fakedTime: GPGFixture.pastKeyCreation)`).
    public func signWithExpiredSignature(_ data: [UInt8], with key: Key, style: SignatureStyle = .armoredDetached)
        throws -> [UInt8]
    {
        try sign(data, with: key, style: style, fakedTime: Self.pastSigningTime, signatureExpiry: "1d")
    }

    // MARK: Running gpg

    /// Runs gpg in this home, non-interactively, and returns its standard output.
    @discardableResult
    public func gpgCommand(fakedTime: String? = nil, _ arguments: [String]) throws -> [UInt8] {
        var full = ["--homedir", home, "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", ""]
        if let fakedTime { full += ["--faked-system-time", fakedTime] }
        return try Self.run(gpg, full + arguments)
    }

    private func temporaryFile(_ label: String, _ bytes: [UInt8]) throws -> String {
        lock.lock()
        counter += 1
        let path = "\(home)/\(label).\(counter)"
        lock.unlock()
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private static func userID(_ name: String, _ email: String?) -> String {
        "\(name) <\(email ?? name.lowercased().replacingOccurrences(of: " ", with: ".") + "@example.org")>"
    }

    /// Runs `executable`, collecting standard output and error through files (no pipe can fill
    /// up and stall the child); a non-zero exit throws with standard error.
    static func run(_ executable: String, _ arguments: [String]) throws -> [UInt8] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gpgfixture-\(UUID().uuidString)")
        let outURL = scratch.appendingPathExtension("out")
        let errURL = scratch.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        let output = try Data(contentsOf: outURL)
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            throw Failure(command: arguments, status: process.terminationStatus, standardError: message)
        }
        return Array(output)
    }
}
