import Foundation
import Testing

/// PinCLI parses, calls one PinWorkspace operation and renders: the network (PinTransport,
/// PinHub) and gpg (PinVerify) are reached only through PinWorkspace. The compiler may still
/// find a module PinCLI does not declare (it is built for PinWorkspace), so the rule is checked
/// in the sources and in the manifest.
@Suite("PinCLI reaches the network and gpg only through PinWorkspace")
struct ModuleBoundaryTests {
    static let forbidden = ["PinTransport", "PinHub", "PinVerify"]
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func noPinCLISourceImportsThem() throws {
        let sources = Self.root.appendingPathComponent("Sources/PinCLI")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("import ") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!Self.forbidden.contains(module), "\(file): \(line)")
            }
        }
    }

    @Test func thePackageDoesNotDeclareThemForPinCLI() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try #require(manifest.range(of: "name: \"PinCLI\","))
        let end = try #require(manifest.range(of: "swiftSettings", range: target.upperBound..<manifest.endIndex))
        let dependencies = manifest[target.upperBound..<end.lowerBound]
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined()
        for module in Self.forbidden {
            #expect(!dependencies.contains("\"\(module)\""), "PinCLI depends on \(module)")
        }
    }

    /// PinServe answers from PinWorkspace's ServeCatalog: it reaches neither the network, gpg nor
    /// the scanner itself, so a request can only ever get what the pipeline admitted.
    static let forbiddenForServe = ["PinTransport", "PinHub", "PinVerify", "PinScan"]

    @Test func noPinServeSourceImportsThem() throws {
        let sources = Self.root.appendingPathComponent("Sources/PinServe")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 5)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("import ") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!Self.forbiddenForServe.contains(module), "\(file): \(line)")
            }
        }
    }

    @Test func thePackageDoesNotDeclareThemForPinServe() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        // The target, not the library product of the same name.
        let target = try #require(manifest.range(of: "name: \"PinServe\",\n            dependencies:"))
        let end = try #require(manifest.range(of: "swiftSettings", range: target.upperBound..<manifest.endIndex))
        let dependencies = manifest[target.upperBound..<end.lowerBound]
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined()
        #expect(dependencies.contains("\"PinWorkspace\""))
        for module in Self.forbiddenForServe {
            #expect(!dependencies.contains("\"\(module)\""), "PinServe depends on \(module)")
        }
    }
}
