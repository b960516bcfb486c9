import FoundationEssentials

/// PEM armour: `-----BEGIN LABEL-----`, base64 lines, `-----END LABEL-----`.
///
/// Written here rather than taken from SwiftASN1's PEMDocument because the key id must match
/// model_signing's byte for byte: Python's `cryptography` writes 64-character lines and a final
/// newline, and the hint is a hash of exactly that text.
enum PEMBlocks {
    /// The PEM text of `der` under `label`, as OpenSSL and Python's `cryptography` write it.
    static func encode(_ label: String, der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DER of every `label` block in `text`, in order.
    static func all(_ label: String, in text: String, what: String) throws(ModelSigningError) -> [[UInt8]] {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        var blocks: [[UInt8]] = []
        var body: [Substring]? = nil
        for line in text.split(whereSeparator: \.isNewline) {
            let line = line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            let text = String(line)
            if text == begin {
                body = []
            } else if text == end, let lines = body {
                guard let der = Data(base64Encoded: lines.joined()) else {
                    throw ModelSigningError(file: what, reason: .badKeyMaterial(what: what, problem: "the \(label) block is not base64"))
                }
                blocks.append(Array(der))
                body = nil
            } else if body != nil {
                body!.append(Substring(text))
            }
        }
        if body != nil {
            throw ModelSigningError(file: what, reason: .badKeyMaterial(what: what, problem: "the \(label) block has no \(end) line"))
        }
        return blocks
    }

    /// The DER of the one `label` block in `text`.
    static func single(_ label: String, in text: String, what: String) throws(ModelSigningError) -> [UInt8] {
        let blocks = try all(label, in: text, what: what)
        guard blocks.count == 1 else {
            throw ModelSigningError(file: what, reason: .badKeyMaterial(
                what: what, problem: blocks.isEmpty ? "no -----BEGIN \(label)----- block" : "\(blocks.count) \(label) blocks where one was expected"))
        }
        return blocks[0]
    }
}
