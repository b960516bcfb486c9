import PinModel
import Testing
@testable import PinScan

/// A tar written by hand, one ustar header per member, so that each field can be set to what a
/// test needs (Python's tarfile writes the corpus versions; these are the edge cases).
enum FixtureTar {
    static func header(_ name: String, size: Int, type: Character = "0", sizeField: [UInt8]? = nil, linkName: String = "") -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { h[offset + i] = b } }
        put(Array(name.utf8), at: 0)
        put(Array("0000644\0".utf8), at: 100)
        put(Array("0000000\0".utf8), at: 108)
        put(Array("0000000\0".utf8), at: 116)
        put(sizeField ?? Array((String(repeating: "0", count: 11 - String(size, radix: 8).count) + String(size, radix: 8) + "\0").utf8), at: 124)
        put(Array("00000000000\0".utf8), at: 136)
        put([UInt8](repeating: 0x20, count: 8), at: 148)
        h[156] = type.asciiValue!
        put(Array(linkName.utf8), at: 157)
        put(Array("ustar\u{0}00".utf8), at: 257)
        let sum = h.reduce(0) { $0 + Int($1) }
        let text = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: 6 - text.count) + text + "\0 ").utf8), at: 148)
        return h
    }

    static func member(_ name: String, _ data: [UInt8], type: Character = "0", sizeField: [UInt8]? = nil) -> [UInt8] {
        header(name, size: data.count, type: type, sizeField: sizeField) + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    static func pax(_ records: [(String, String)]) -> [UInt8] {
        var body: [UInt8] = []
        for (key, value) in records {
            let rest = " \(key)=\(value)\n"
            var n = rest.utf8.count + 1
            while String(n).count + rest.utf8.count != n { n += 1 }
            body += Array("\(n)\(rest)".utf8)
        }
        return member("././@PaxHeader", body, type: "x")
    }

    static func archive(_ parts: [[UInt8]], trailing: [UInt8] = []) -> [UInt8] {
        parts.flatMap { $0 } + [UInt8](repeating: 0, count: 1024) + trailing
    }
}

@Suite("tar reader")
struct TarReaderTests {
    static let pickle = Fixture.maliciousPickle

    /// Each case: the archive, the member names tarfile lists, and whether the reader refuses it.
    static let cases: [(String, [UInt8], [String], Bool)] = [
        ("plain ustar", FixtureTar.archive([FixtureTar.member("a.pkl", pickle), FixtureTar.member("b", [1])]), ["a.pkl", "b"], false),
        ("no end-of-archive blocks (tarfile accepts it)", FixtureTar.member("a", [1]), ["a"], false),
        ("pax path renames the member", FixtureTar.archive([FixtureTar.pax([("path", "pickle/")]), FixtureTar.member("x", pickle)]), ["pickle"], false),
        ("pax size overrides the header size",
         FixtureTar.archive([FixtureTar.pax([("size", "3")]), FixtureTar.header("a", size: 0) + [1, 2, 3] + [UInt8](repeating: 0, count: 509)]), ["a"], false),
        ("directory loses its trailing slash", FixtureTar.archive([FixtureTar.header("d/", size: 0, type: "5")]), ["d"], false),
        ("member after the end block", FixtureTar.archive([FixtureTar.member("a", [1])], trailing: FixtureTar.member("pickle", pickle)), ["a"], true),
        ("size with a sign", FixtureTar.archive([FixtureTar.member("a", [1], sizeField: Array("+0000000001\0".utf8))]), [], true),
        ("size with an underscore", FixtureTar.archive([FixtureTar.member("a", [1], sizeField: Array("0_000000001\0".utf8))]), [], true),
        ("pax size Python reads as 0", FixtureTar.archive([FixtureTar.pax([("size", "x1")]), FixtureTar.member("a", [1])]), [], true),
        ("two pax headers for one member",
         FixtureTar.archive([FixtureTar.pax([("path", "a")]), FixtureTar.pax([("path", "b")]), FixtureTar.member("c", [1])]), [], true),
        ("sparse member", FixtureTar.archive([FixtureTar.member("a", [1], type: "S")]), [], true),
        ("member data past the end", Array(FixtureTar.member("a", [UInt8](repeating: 7, count: 2000)).prefix(1000)), [], true),
        ("directory carrying data", FixtureTar.archive([FixtureTar.header("d", size: 12, type: "5")]), [], true),
    ]

    @Test(arguments: cases.indices)
    func readsLikeTarfileAndRefusesDivergence(_ index: Int) {
        let (what, bytes, names, refused) = Self.cases[index]
        let listing = TarReader.members(MemorySource(bytes))
        #expect(listing.members.map(\.label) == names, "\(what)")
        #expect((listing.error != nil) == refused, "\(what): \(listing.error?.detail ?? "no error")")
        if let error = listing.error { #expect(error.offset != nil, "\(what)") }
    }

    @Test func aTarWithASignedSizeIsStillRecognisedAsATar() {
        // tarfile opens it (int("+1", 8) is 1), so the scanner must not fall back to "unknown".
        let bytes = FixtureTar.archive([FixtureTar.member("a", [1], sizeField: Array("+0000000001\0".utf8))])
        #expect(TarReader.looksLikeTar(bytes))
        #expect(Fixture.scan(bytes).verdict == .malformed)
    }

    @Test func linksAndTraversalAreRefusedByName() {
        let link = Fixture.scan(FixtureTar.archive([FixtureTar.header("pickle", size: 0, type: "2", linkName: "/etc/passwd")]))
        #expect(link.verdict == .malformed && link.findings.contains { $0.kind == "tar-link" })
        let traversal = Fixture.scan(FixtureTar.archive([FixtureTar.member("../x", [0x41])]))
        #expect(traversal.verdict == .unsafe && traversal.findings.contains { $0.kind == "path-traversal" })
    }

    @Test func membersAreScannedByContentUnderTheirNames() {
        let report = Fixture.scan(FixtureTar.archive([FixtureTar.member("./weights/vocab.bin", Self.pickle)]), path: "model.nemo")
        #expect(report.format == "tar")
        #expect(report.verdict == .unsafe)
        #expect(report.findings.first?.member == "./weights/vocab.bin")
    }
}
