/// A look at key-import input before gpg sees it: secret-key material is refused, and so is
/// anything that is not a sequence of OpenPGP packets (armoured or binary).
///
/// gpg would import a secret key into modelpin's keyring (or fail on the missing agent); either
/// way it must not reach gpg. The check is structural: every packet header is read (RFC 4880
/// §4.2, old and new formats), so a secret-key packet cannot hide behind a "PUBLIC KEY BLOCK"
/// armour header or after public packets.
enum KeyMaterial {
    enum Finding: Equatable {
        case publicOnly
        case secret
        case notKeyData(String)
    }

    static let secretKeyTag = 5
    static let secretSubkeyTag = 7
    static let compressedDataTag = 8

    static func inspect(_ bytes: [UInt8]) -> Finding {
        guard let first = bytes.first(where: { !isBlank($0) }) else { return .notKeyData("the input is empty") }
        if first & 0x80 != 0 { return inspectPackets(bytes[...]) }
        return inspectArmour(bytes)
    }

    // MARK: Armour (RFC 4880 §6.2)

    private static func inspectArmour(_ bytes: [UInt8]) -> Finding {
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(trimmed)
        var index = 0
        var blocks = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard line.starts(with: Array("-----BEGIN PGP ".utf8)) else { continue }
            let header = String(decoding: line, as: UTF8.self)
            if header.contains("PRIVATE KEY") || header.contains("SECRET KEY") { return .secret }
            guard header.contains("PUBLIC KEY BLOCK") else {
                return .notKeyData("it holds a \(header.dropFirst(15).prefix(while: { $0 != "-" })), not a public key block")
            }
            blocks += 1
            // Armour headers ("Comment: …") run up to the first blank line; the base64 body
            // runs to the checksum line ("=XXXX") or the END line.
            while index < lines.count, !lines[index].isEmpty, !lines[index].starts(with: Array("-----".utf8)) {
                if !lines[index].contains(UInt8(ascii: ":")) { break }  // no header lines: body starts
                index += 1
            }
            var body: [UInt8] = []
            var ended = false
            while index < lines.count {
                let bodyLine = lines[index]
                index += 1
                if bodyLine.starts(with: Array("-----END PGP ".utf8)) { ended = true; break }
                if bodyLine.first == UInt8(ascii: "=") { continue }  // CRC-24 checksum
                body.append(contentsOf: bodyLine)
            }
            guard ended else { return .notKeyData("the armour has no END line") }
            guard let packets = Base64.decode(body) else { return .notKeyData("the armour is not valid base64") }
            let finding = inspectPackets(packets[...])
            if finding != .publicOnly { return finding }
        }
        return blocks > 0 ? .publicOnly : .notKeyData("it is neither armoured (BEGIN PGP PUBLIC KEY BLOCK) nor binary OpenPGP")
    }

    // MARK: Packets (RFC 4880 §4.2)

    private static func inspectPackets(_ bytes: ArraySlice<UInt8>) -> Finding {
        var offset = bytes.startIndex
        var sawKey = false
        while offset < bytes.endIndex {
            let tagByte = bytes[offset]
            offset += 1
            guard tagByte & 0x80 != 0 else { return .notKeyData("malformed OpenPGP packet header") }
            let tag: Int
            if tagByte & 0x40 != 0 {
                tag = Int(tagByte & 0x3F)
                // New format: one-, two- or five-octet lengths, or partial body lengths that
                // chain until a definite length ends the packet.
                while true {
                    guard offset < bytes.endIndex else { return .notKeyData("truncated OpenPGP packet") }
                    let first = Int(bytes[offset])
                    offset += 1
                    var length: Int
                    var partial = false
                    switch first {
                    case 0..<192:
                        length = first
                    case 192..<224:
                        guard offset < bytes.endIndex else { return .notKeyData("truncated OpenPGP packet") }
                        length = ((first - 192) << 8) + Int(bytes[offset]) + 192
                        offset += 1
                    case 255:
                        guard bytes.endIndex - offset >= 4 else { return .notKeyData("truncated OpenPGP packet") }
                        length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                        offset += 4
                    default:
                        length = 1 << (first & 0x1F)
                        partial = true
                    }
                    guard bytes.endIndex - offset >= length else { return .notKeyData("truncated OpenPGP packet") }
                    offset += length
                    if !partial { break }
                }
            } else {
                tag = Int((tagByte >> 2) & 0x0F)
                let length: Int
                switch tagByte & 0x03 {
                case 0:
                    guard offset < bytes.endIndex else { return .notKeyData("truncated OpenPGP packet") }
                    length = Int(bytes[offset])
                    offset += 1
                case 1:
                    guard bytes.endIndex - offset >= 2 else { return .notKeyData("truncated OpenPGP packet") }
                    length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                    offset += 2
                case 2:
                    guard bytes.endIndex - offset >= 4 else { return .notKeyData("truncated OpenPGP packet") }
                    length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                    offset += 4
                default:
                    length = bytes.endIndex - offset  // indeterminate: to the end of the input
                }
                guard bytes.endIndex - offset >= length else { return .notKeyData("truncated OpenPGP packet") }
                offset += length
            }
            switch tag {
            case secretKeyTag, secretSubkeyTag: return .secret
            // A compressed packet could carry anything, secret keys included; key exports
            // are never compressed.
            case compressedDataTag: return .notKeyData("it holds compressed data, which a key export never does")
            case 6: sawKey = true  // public key
            default: break
            }
        }
        return sawKey ? .publicOnly : .notKeyData("it holds no public-key packet")
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    private static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var line = line
        while let last = line.last, isBlank(last) { line.removeLast() }
        while let first = line.first, isBlank(first) { line.removeFirst() }
        return line
    }
}

/// Standard base64 (RFC 4648), as OpenPGP armour uses it.
enum Base64 {
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = Int8(index)
        }
        return table
    }()

    /// Nil when a character is outside the alphabet or padding is misplaced.
    static func decode(_ text: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in text {
            if byte == UInt8(ascii: "=") { padding += 1; continue }
            guard padding == 0 else { return nil }
            let value = values[Int(byte)]
            guard value >= 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard padding <= 2 else { return nil }
        return output
    }
}
