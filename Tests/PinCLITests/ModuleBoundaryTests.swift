import Foundation
import Testing

/// PinCLI parses, calls one PinWorkspace operation and renders: the network (PinTransport,
/// PinHub), gpg (PinVerify) and model.sig bundles (PinModelSigning) are reached only through PinWorkspace. PinServe answers from
/// PinWorkspace's ServeCatalog: it reaches neither the network, gpg nor the scanner itself, so a
/// request can only ever get what the pipeline admitted. The compiler may still find a module a
/// target does not declare (it is built for PinWorkspace), so each rule is checked in the sources
/// and in the manifest.
@Suite("PinCLI and PinServe reach the network, gpg and the scanner only through PinWorkspace")
struct ModuleBoundaryTests {
    struct Boundary: Sendable, CustomTestStringConvertible {
        let module: String
        let forbidden: [String]
        /// Where the target's declaration starts in Package.swift (not a library product's).
        let anchor: String
        let minimumFiles: Int
        var testDescription: String { module }
    }

    static let boundaries = [
        Boundary(module: "PinCLI", forbidden: ["PinTransport", "PinHub", "PinVerify", "PinModelSigning", "PinRegistry"], anchor: "name: \"PinCLI\",", minimumFiles: 11),
        Boundary(module: "PinServe", forbidden: ["PinTransport", "PinHub", "PinVerify", "PinScan", "PinModelSigning", "PinRegistry"],
                 anchor: "name: \"PinServe\",\n            dependencies:", minimumFiles: 5),
    ]
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: boundaries)
    func noSourceImportsThem(_ boundary: Boundary) throws {
        let sources = Self.root.appendingPathComponent("Sources/\(boundary.module)")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count >= boundary.minimumFiles)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("import ") {
                let module = line.split(separator: " ").last.map(String.init) ?? ""
                #expect(!boundary.forbidden.contains(module), "\(boundary.module)/\(file): \(line)")
            }
        }
    }

    @Test(arguments: boundaries)
    func thePackageDoesNotDeclareThem(_ boundary: Boundary) throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let target = try #require(manifest.range(of: boundary.anchor))
        let end = try #require(manifest.range(of: "swiftSettings", range: target.upperBound..<manifest.endIndex))
        let dependencies = manifest[target.upperBound..<end.lowerBound]
            .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined()
        #expect(dependencies.contains("\"PinWorkspace\""), "\(boundary.module) does not depend on PinWorkspace")
        for module in boundary.forbidden {
            #expect(!dependencies.contains("\"\(module)\""), "\(boundary.module) depends on \(module)")
        }
    }
}
