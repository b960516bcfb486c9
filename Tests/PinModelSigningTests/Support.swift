import Foundation
import PinDigest
import PinModel
@testable import PinModelSigning
import SystemPackage

/// The fixtures `Fixtures/generate.sh` made with the real model_signing.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static var model: URL { root.appendingPathComponent("model") }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func signature(_ name: String) throws -> ModelSignature {
        try ModelSignature.parse(try bytes("signatures/\(name)"), file: name)
    }

    static func key(_ name: String) throws -> PublicKey {
        try PublicKey.parsePEM(try text("keys/\(name).pub"))
    }

    static func authority(_ name: String) throws -> CertificateAuthority {
        try CertificateAuthority.parsePEM(try text("ca/\(name).pem"))
    }

    /// Every regular file of the fixture model, as a caller would list a stored snapshot.
    static func modelFiles() throws -> [ModelFile] {
        guard let enumerator = FileManager.default.enumerator(atPath: model.path) else { throw FixtureMissing() }
        var files: [ModelFile] = []
        for case let path as String in enumerator {
            let attributes = try FileManager.default.attributesOfItem(atPath: model.appendingPathComponent(path).path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files.append(ModelFile(path: path, size: (attributes[.size] as! NSNumber).int64Value))
        }
        return files.sorted { $0.path < $1.path }
    }
}

struct FixtureMissing: Error {}

/// Reads model files from a directory, optionally with some files' bytes replaced: the test's
/// stand-in for the store.
struct DirectoryReader: ModelFileReader {
    var root = Fixture.model
    var replaced: [String: [UInt8]] = [:]
    private(set) var reads = Counter()

    final class Counter: @unchecked Sendable { var count = 0 }

    func read(_ file: ModelFile, range: Range<Int64>, into consume: (UnsafeRawBufferPointer) -> Void) throws {
        reads.count += 1
        let bytes = try replaced[file.path] ?? Array(Data(contentsOf: root.appendingPathComponent(file.path)))
        guard range.upperBound <= Int64(bytes.count) else { throw ShortFile() }
        Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]).withUnsafeBytes(consume)
    }

    struct ShortFile: Error {}
}

/// The reason a throwing expression failed with, if it was a ModelSigningError.
/// (Any other error, a fixture that could not be read, gives nil too: the expectation fails.)
func reason(_ body: () throws -> Void) -> ModelSigningError.Reason? {
    do {
        try body()
        return nil
    } catch let error as ModelSigningError {
        return error.reason
    } catch {
        return nil
    }
}
