public import Foundation

/// OpenSSF model signing as a publisher does it, for tests: EC keys and a test CA made by
/// openssl, and `model.sig` bundles made (and checked) by the real `model_signing` package from
/// PyPI (`PythonVenv.modelSigning`). Everything lives in `directory`, which the test owns.
public struct ModelSigningFixture: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// A key pair as files: the private key (SEC1 PEM, as `openssl ecparam -genkey` writes it)
    /// and its public key (PEM SubjectPublicKeyInfo).
    public struct KeyPair: Sendable {
        public let privateKey: URL
        public let publicKey: URL
    }

    /// A fresh EC key pair on `curve` (openssl's name: `prime256v1`, `secp384r1`, `secp521r1`).
    public func keyPair(_ name: String, curve: String = "prime256v1") throws -> KeyPair {
        let pair = KeyPair(
            privateKey: directory.appendingPathComponent("\(name).key.pem"), publicKey: directory.appendingPathComponent("\(name).pub.pem"))
        try Self.openssl(["ecparam", "-name", curve, "-genkey", "-noout", "-out", pair.privateKey.path])
        try Self.openssl(["pkey", "-in", pair.privateKey.path, "-pubout", "-out", pair.publicKey.path])
        return pair
    }

    /// A signing certificate and what it chains to.
    public struct Certificate: Sendable {
        /// The CA certificate (PEM), the one a user pins.
        public let authority: URL
        /// The leaf certificate (PEM) for `identity`, and its private key.
        public let leaf: URL
        public let leafKey: URL
    }

    /// A test CA (P-256, made for this test) and a leaf certificate it issued for the e-mail
    /// address `identity`, allowed to sign code.
    public func certificate(_ name: String, identity: String) throws -> Certificate {
        let caKey = directory.appendingPathComponent("\(name)-ca.key")
        let request = directory.appendingPathComponent("\(name)-leaf.csr")
        let extensions = directory.appendingPathComponent("\(name)-leaf.ext")
        let certificate = Certificate(
            authority: directory.appendingPathComponent("\(name)-ca.pem"), leaf: directory.appendingPathComponent("\(name)-leaf.pem"),
            leafKey: directory.appendingPathComponent("\(name)-leaf.key"))
        try Data("subjectAltName=email:\(identity)\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=codeSigning\n".utf8)
            .write(to: extensions)
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey.path,
            "-out", certificate.authority.path, "-days", "2", "-subj", "/CN=modelpin test signing CA \(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try Self.openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", certificate.leafKey.path,
            "-out", request.path, "-subj", "/CN=\(identity)",
        ])
        try Self.openssl([
            "x509", "-req", "-in", request.path, "-CA", certificate.authority.path, "-CAkey", caKey.path, "-CAcreateserial",
            "-out", certificate.leaf.path, "-days", "2", "-extfile", extensions.path,
        ])
        return certificate
    }

    /// `model_signing sign key`: signs `model` (a directory) and returns `model.sig`'s bytes (the
    /// file is written at `model/model.sig`).
    public func signWithKey(_ model: URL, privateKey: URL) throws -> [UInt8] {
        try sign(model, ["key", "--private_key", privateKey.path])
    }

    /// `model_signing sign certificate`, with the CA as the chain.
    public func signWithCertificate(_ model: URL, _ certificate: Certificate) throws -> [UInt8] {
        try sign(model, [
            "certificate", "--private_key", certificate.leafKey.path, "--signing_certificate", certificate.leaf.path,
            "--certificate_chain", certificate.authority.path,
        ])
    }

    /// `model_signing verify key`: its exit status and output.
    public func verifyWithKey(_ model: URL, signature: URL, publicKey: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        try PythonVenv.modelSigning.tool(
            "model_signing", ["verify", "key", "--signature", signature.path, "--public_key", publicKey.path, model.path])
    }

    private func sign(_ model: URL, _ arguments: [String]) throws -> [UInt8] {
        let signature = model.appendingPathComponent("model.sig")
        let outcome = try PythonVenv.modelSigning.tool(
            "model_signing", ["sign"] + arguments.prefix(1) + ["--signature", signature.path] + arguments.dropFirst() + [model.path])
        guard outcome.status == 0 else {
            throw PythonVenv.Failure(description: "model_signing sign \(arguments[0]) failed (exit \(outcome.status)): \(outcome.stdout)\(outcome.stderr)")
        }
        return Array(try Data(contentsOf: signature))
    }

    /// Writes `files` (in-memory ones) below `directory`, making subdirectories.
    public static func write(_ files: [FakeHub.File], to directory: URL) throws {
        for file in files {
            guard case .bytes(let bytes) = file.content else { continue }
            let url = directory.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
    }

    static func openssl(_ arguments: [String]) throws {
        try Tmpfs.run("/usr/bin/openssl", arguments)
    }
}
