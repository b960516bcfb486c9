/// A git blob id: SHA-1 of `blob <size>\0` followed by the file's bytes.
///
/// The Hub lists this (as `oid`) for every file, and it is the only digest it gives for files
/// not stored in LFS (config.json, tokenizer files), so modelpin checks it on the way in and
/// then records its own SHA-256. SHA-1 is weak; it is never used alone to admit a file.
/// Text form: 40 lowercase hex digits, as git and the Hub spell it.
public struct GitBlobID: Hashable, Sendable {
    public static let byteCount = 20

    private let w0: UInt64, w1: UInt64, w2: UInt32

    /// Exactly 20 bytes, or nil.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        let words = Hex.words(from: bytes.prefix(16), wordSize: 8)
        (w0, w1) = (words[0], words[1])
        w2 = UInt32(Hex.words(from: bytes.dropFirst(16), wordSize: 4)[0])
    }

    /// Parses 40 lowercase hex digits.
    public init(parsing text: String) throws(DigestSyntaxError) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 40 else {
            throw DigestSyntaxError(
                text: text, reason: "a git blob id is 40 lowercase hex digits, found \(utf8.count) characters",
                suggestion: nil)
        }
        let slice = utf8[...]
        guard let a = Hex.word(slice, from: 0, count: 16),
              let b = Hex.word(slice, from: 16, count: 16),
              let c = Hex.word(slice, from: 32, count: 8)
        else {
            let lower = text.lowercased()
            let fixable = lower != text && (try? GitBlobID(parsing: lower)) != nil
            throw DigestSyntaxError(
                text: text,
                reason: fixable ? "git blob ids are written in lowercase" : "a git blob id is 40 lowercase hex digits",
                suggestion: fixable ? lower : nil)
        }
        (w0, w1, w2) = (a, b, UInt32(c))
    }

    public var hex: String {
        var text: [UInt8] = []
        text.reserveCapacity(40)
        Hex.append(w0, byteCount: 8, to: &text)
        Hex.append(w1, byteCount: 8, to: &text)
        Hex.append(UInt64(w2), byteCount: 4, to: &text)
        return String(decoding: text, as: UTF8.self)
    }
}

extension GitBlobID: CustomStringConvertible {
    public var description: String { hex }
}

extension GitBlobID: DigestText {}
