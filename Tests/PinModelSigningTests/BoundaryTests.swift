import Foundation
import Testing

/// PinModelSigning knows the format and the cryptography, nothing of where a model lives:
/// no store, lock, workspace, CLI or C library (libcrypto stays behind PinDigest).
@Suite struct ModelSigningBoundaryTests {
    static let forbidden: Set = ["PinStore", "PinLock", "PinWorkspace", "PinCLI", "PinHub", "PinTransport",
                                 "PinVerify", "PinScan", "PinServe", "CCrypto", "CCurl", "CGPGME", "CArchive"]

    @Test func importsNoneOfThem() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/PinModelSigning")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 8)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("import ") && !line.hasPrefix("//") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!Self.forbidden.contains(module), "PinModelSigning/\(file): \(line)")
            }
        }
    }
}
