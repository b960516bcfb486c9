// The one protobuf wire-format reader of PinScan (ONNX, TensorFlow SavedModel and GraphDef,
// sentencepiece). Written by hand rather than with swift-protobuf: the scanners need a handful
// of fields of untrusted messages, bounded in depth and count and read at offsets without
// loading tensor payloads, and generated code for ONNX's and TensorFlow's schemas would parse
// (and allocate) every field of a message we only want to walk past.

/// One field of a message: its number, wire type, and where its value lies.
struct ProtobufField {
    var number: UInt64
    var wire: UInt64
    /// The offset of the field's tag.
    var at: Int64
    /// A varint's value (wire type 0); 0 otherwise.
    var varint: UInt64
    /// A length-delimited value's bytes are `[start, end)` of the source (wire type 2).
    var start: Int64
    var end: Int64
}

/// How many more fields a walk may read: shared by the nested walks of one message tree (a class,
/// so that a walk's closures can spend it while the walk itself holds it).
final class ProtobufBudget {
    var remaining: Int
    init(_ fields: Int) { remaining = fields }
}

enum ProtobufWire {
    /// Calls `body` for every field of the message in `[start, end)`, in order. `budget` bounds the
    /// fields read across a whole walk (a message of millions of empty fields costs no more than
    /// that many iterations). Throws on any wire-format error: a truncated or oversized length, a
    /// varint over 64 bits, field number 0, the deprecated group wire types.
    static func forEachField<S: ByteSource>(
        _ source: S, start: Int64, end: Int64, budget: ProtobufBudget,
        _ body: (ProtobufField) throws(FormatError) -> Void
    ) throws(FormatError) {
        var cursor = FormatCursor(source, at: start, limit: end)
        while !cursor.atEnd {
            budget.remaining -= 1
            guard budget.remaining > 0 else { throw FormatError("too many protobuf fields", offset: cursor.position) }
            let at = cursor.position
            let tag = try varint(&cursor)
            var field = ProtobufField(number: tag >> 3, wire: tag & 7, at: at, varint: 0, start: 0, end: 0)
            guard field.number != 0 else { throw FormatError("field number 0", offset: at) }
            switch field.wire {
            case 0: field.varint = try varint(&cursor)
            case 2:
                let length = try lengthPrefix(&cursor)
                field.start = cursor.position
                field.end = cursor.position + length
                try cursor.skip(length)
            default: try skip(&cursor, wireType: field.wire)
            }
            try body(field)
        }
    }

    /// The bytes of a length-delimited field, at most `limit` of them (the rest is not read).
    static func bytes<S: ByteSource>(_ source: S, _ field: ProtobufField, limit: Int = 4096) throws(FormatError) -> [UInt8] {
        var cursor = FormatCursor(source, at: field.start, limit: field.end)
        return try cursor.bytes(Int(min(field.end - field.start, Int64(limit))))
    }

    static func string<S: ByteSource>(_ source: S, _ field: ProtobufField, limit: Int = 4096) throws(FormatError) -> String {
        String(decoding: try bytes(source, field, limit: limit), as: UTF8.self)
    }

    static func varint<S: ByteSource>(_ cursor: inout FormatCursor<S>) throws(FormatError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            let at = cursor.position
            let b = try cursor.u8()
            guard shift < 63 || b <= 1 else { throw FormatError("varint longer than 64 bits", offset: at) }
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b & 0x80 == 0 { return value }
        }
        throw FormatError("varint longer than 10 bytes", offset: cursor.position)
    }

    static func lengthPrefix<S: ByteSource>(_ cursor: inout FormatCursor<S>) throws(FormatError) -> Int64 {
        let at = cursor.position
        let length = try varint(&cursor)
        guard length <= UInt64(cursor.remaining) else {
            throw FormatError("length-delimited field of \(length) bytes runs past its message", offset: at)
        }
        return Int64(length)
    }

    static func skip<S: ByteSource>(_ cursor: inout FormatCursor<S>, wireType: UInt64) throws(FormatError) {
        switch wireType {
        case 0: _ = try varint(&cursor)
        case 1: try cursor.skip(8, "fixed64 field")
        case 2: try cursor.skip(try lengthPrefix(&cursor))
        case 5: try cursor.skip(4, "fixed32 field")
        default: throw FormatError("unsupported protobuf wire type \(wireType)", offset: cursor.position)
        }
    }
}
