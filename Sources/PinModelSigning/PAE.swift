/// DSSE's pre-authentication encoding: what the envelope's signature covers.
enum PAE {
    /// `DSSEv1 SP len(type) SP type SP len(body) SP body` (DSSE v1.0 protocol).
    static func encode(payloadType: String, payload: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8) + payload
    }

    /// model_signing 0.2's encoding, which its verifier still accepts: "DSSEV1", and the body
    /// as Python's `repr` of a bytes object (`b'…'` with escapes) because that version formatted
    /// bytes into a string by mistake.
    static func encodeCompat(payloadType: String, payload: [UInt8]) -> [UInt8] {
        Array("DSSEV1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8) + pythonBytesRepr(payload)
    }

    /// Python's `repr(bytes)`: single quotes unless the bytes hold a `'` and no `"`; `\\`, the
    /// quote, `\t`, `\n`, `\r` escaped; other bytes outside printable ASCII as `\xNN`.
    static func pythonBytesRepr(_ bytes: [UInt8]) -> [UInt8] {
        let quote: UInt8 = bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\"")) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out: [UInt8] = [UInt8(ascii: "b"), quote]
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case quote, UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\t"): out += Array("\\t".utf8)
            case UInt8(ascii: "\n"): out += Array("\\n".utf8)
            case UInt8(ascii: "\r"): out += Array("\\r".utf8)
            case 0x20..<0x7f: out.append(byte)
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            }
        }
        out.append(quote)
        return out
    }
}
