import PinModel

// ONNX models (a protobuf ModelProto). ONNX holds no Python code; the risk this scanner looks for
// is external data: a TensorProto with `external_data` entries (StringStringEntryProto) whose
// `location` points outside the model's directory (CVE-2022-25882, CVE-2024-27318: absolute
// paths, `..` components; a backslash is a separator on Windows; a NUL truncates the path).
//
// The shared protobuf wire-format reader (ProtobufWire.swift) follows only the fields that can lead to a TensorProto —
// ModelProto.graph (7), .training_info (20), .functions (25); GraphProto.node (1),
// .initializer (5), .sparse_initializer (15); NodeProto.attribute (5); AttributeProto.t (5),
// .g (6), .tensors (10), .graphs (11), .sparse_tensor (22), .sparse_tensors (23);
// TrainingInfoProto.initialization (1), .algorithm (2); FunctionProto.node (7);
// SparseTensorProto.values (1), .indices (2) — and skips everything else, raw_data included,
// by offset, without reading it. Depth and field counts are bounded; any wire-format error is
// `malformed`.

enum ONNXScanner {
    static let maxDepth = 64

    private enum Message {
        case model, graph, node, attribute, tensor, sparseTensor, trainingInfo, function
    }

    private static func child(of message: Message, field: UInt64) -> Message? {
        switch (message, field) {
        case (.model, 7): .graph
        case (.model, 20): .trainingInfo
        case (.model, 25): .function
        case (.graph, 1): .node
        case (.graph, 5): .tensor
        case (.graph, 15): .sparseTensor
        case (.node, 5): .attribute
        case (.attribute, 5), (.attribute, 10): .tensor
        case (.attribute, 6), (.attribute, 11): .graph
        case (.attribute, 22), (.attribute, 23): .sparseTensor
        case (.trainingInfo, 1), (.trainingInfo, 2): .graph
        case (.function, 7): .node
        case (.sparseTensor, 1), (.sparseTensor, 2): .tensor
        default: nil
        }
    }

    /// ir_version first, then only ModelProto fields with their wire types up to the end of the
    /// file, including a graph (7) or opset_import (8).
    static func looksLikeONNX<S: ByteSource>(_ source: S, prefix: [UInt8]) -> Bool {
        guard prefix.count >= 2, prefix[0] == 0x08, prefix[1] >= 1, prefix[1] <= 0x7F else { return false }
        let expected: [UInt64: UInt64] = [1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2]
        var cursor = FormatCursor(source)
        var sawGraph = false
        var fields = 0
        do {
            while !cursor.atEnd {
                fields += 1
                guard fields <= 100_000 else { return false }
                let tag = try varint(&cursor)
                guard let wire = expected[tag >> 3], wire == tag & 7 else { return false }
                if tag >> 3 == 7 || tag >> 3 == 8 { sawGraph = true }
                try skip(&cursor, wireType: tag & 7)
            }
        } catch {
            return false
        }
        return sawGraph
    }

    static func scan<S: ByteSource>(_ source: S, member: String?, policy: ScanPolicy) -> [Finding] {
        var findings: [Finding] = []
        var budget = 10_000_000
        do {
            try walk(source, .model, start: 0, end: source.size, depth: 0, budget: &budget, findings: &findings, member: member)
        } catch {
            findings.append(Scanner.malformed("invalid ONNX protobuf: \(error.detail)", offset: error.offset, member: member))
        }
        return findings
    }

    private static func walk<S: ByteSource>(
        _ source: S, _ message: Message, start: Int64, end: Int64, depth: Int, budget: inout Int,
        findings: inout [Finding], member: String?
    ) throws(FormatError) {
        guard depth < maxDepth else { throw FormatError("messages nested more than \(maxDepth) deep", offset: start) }
        var cursor = FormatCursor(source, at: start, limit: end)
        var tensorName = ""
        var externalData: [(key: String, value: String, offset: Int64)] = []
        var location: UInt64 = 0
        while !cursor.atEnd {
            budget -= 1
            guard budget > 0 else { throw FormatError("too many protobuf fields", offset: cursor.position) }
            let at = cursor.position
            let tag = try varint(&cursor)
            let field = tag >> 3, wire = tag & 7
            guard field != 0 else { throw FormatError("field number 0", offset: at) }
            if let next = child(of: message, field: field) {
                guard wire == 2 else { throw FormatError("field \(field) has wire type \(wire), not a message", offset: at) }
                let length = try lengthPrefix(&cursor)
                try walk(source, next, start: cursor.position, end: cursor.position + length, depth: depth + 1,
                         budget: &budget, findings: &findings, member: member)
                try cursor.skip(length)
            } else if message == .tensor, field == 8, wire == 2 {
                let length = try lengthPrefix(&cursor)
                tensorName = String(decoding: try cursor.bytes(Int(min(length, 4096))), as: UTF8.self)
                try cursor.skip(length - min(length, 4096))
            } else if message == .tensor, field == 13, wire == 2 {
                let length = try lengthPrefix(&cursor)
                let entry = try stringEntry(source, start: cursor.position, end: cursor.position + length)
                externalData.append((entry.key, entry.value, at))
                try cursor.skip(length)
            } else if message == .tensor, field == 14, wire == 0 {
                location = try varint(&cursor)
            } else {
                try skip(&cursor, wireType: wire)
            }
        }
        guard message == .tensor, !externalData.isEmpty || location == 1 else { return }
        let locations = externalData.filter { $0.key == "location" }
        guard !locations.isEmpty else {
            findings.append(Scanner.malformed(
                "tensor `\(tensorName)` has external data without a location", offset: start, member: member))
            return
        }
        if locations.count > 1 {
            findings.append(Scanner.malformed(
                "tensor `\(tensorName)` has \(locations.count) external data locations", offset: start, member: member))
        }
        for entry in locations {
            if let problem = unsafeLocation(entry.value) {
                findings.append(Finding(
                    verdict: .unsafe, kind: "external-data",
                    detail: "tensor `\(tensorName)`: external data `\(printable(entry.value))` \(problem)",
                    offset: entry.offset, member: member))
            }
        }
    }

    /// Why a location escapes the model directory, or nil.
    static func unsafeLocation(_ location: String) -> String? {
        let bytes = Array(location.utf8)
        if bytes.isEmpty { return "is empty" }
        if bytes.contains(0) { return "contains a NUL byte" }
        if bytes.first == 0x2F { return "is an absolute path outside the model's directory" }
        if bytes.contains(0x5C) { return "contains a backslash (a path separator on Windows)" }
        if bytes.count >= 2, bytes[1] == 0x3A, (bytes[0] | 0x20) >= 0x61, (bytes[0] | 0x20) <= 0x7A {
            return "is an absolute (drive-letter) path"
        }
        if location.split(separator: "/").contains("..") { return "points outside the model's directory" }
        return nil
    }

    private static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 ? "?" : Character($0) }.prefix(256))
    }

    private static func stringEntry<S: ByteSource>(_ source: S, start: Int64, end: Int64) throws(FormatError) -> (key: String, value: String) {
        var cursor = FormatCursor(source, at: start, limit: end)
        var key = "", value = ""
        while !cursor.atEnd {
            let at = cursor.position
            let tag = try varint(&cursor)
            let field = tag >> 3, wire = tag & 7
            if (field == 1 || field == 2) && wire == 2 {
                let length = try lengthPrefix(&cursor)
                guard length <= 1 << 16 else { throw FormatError("external data entry longer than 64 KiB", offset: at) }
                let text = String(decoding: try cursor.bytes(Int(length)), as: UTF8.self)
                if field == 1 { key = text } else { value = text }
            } else {
                try skip(&cursor, wireType: wire)
            }
        }
        return (key, value)
    }

    // Wire format: the shared reader (ProtobufWire.swift).
    static func varint<S: ByteSource>(_ cursor: inout FormatCursor<S>) throws(FormatError) -> UInt64 {
        try ProtobufWire.varint(&cursor)
    }

    private static func lengthPrefix<S: ByteSource>(_ cursor: inout FormatCursor<S>) throws(FormatError) -> Int64 {
        try ProtobufWire.lengthPrefix(&cursor)
    }

    private static func skip<S: ByteSource>(_ cursor: inout FormatCursor<S>, wireType: UInt64) throws(FormatError) {
        try ProtobufWire.skip(&cursor, wireType: wireType)
    }
}
