import Foundation
import Testing

/// PinRegistry is a feature module: it stands on PinModel, PinDigest and PinTransport (libcurl
/// stays behind PinTransport) and never imports another feature module or the workspace.
@Suite("PinRegistry's dependencies")
struct RegistryModuleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let allowed: Set<String> = ["PinModel", "PinDigest", "PinTransport", "Foundation", "FoundationEssentials", "Glibc", "Synchronization"]

    @Test("every import in Sources/PinRegistry is one it may use")
    func imports() throws {
        let sources = Self.root.appendingPathComponent("Sources/PinRegistry")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 8)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("public import ") || line.hasPrefix("internal import ") {
                let module = String(line.split(separator: " ").last ?? "")
                #expect(Self.allowed.contains(module), "PinRegistry/\(file): \(line)")
            }
        }
    }
}
