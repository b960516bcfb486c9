import PinModel

// TensorFlow graphs (a SavedModel's `saved_model.pb`, a frozen GraphDef `*.pb`) and
// sentencepiece `tokenizer.model`: protobuf messages, recognised by their field layout (never by
// name) and read with the shared wire reader (ProtobufWire.swift).
//
// A TensorFlow graph holds no Python, but some of its ops reach outside the tensors when the
// graph runs: `PyFunc`, `PyFuncStateless` and `EagerPyFunc` call a Python function of the
// loading process; `ReadFile` and `WriteFile` touch any path the graph names. Every op of the
// graph and of every function in its library is read; one of those is `unsafe`, kind `tf-op`.
// (modelscan flags ReadFile/WriteFile; PyFunc is how a TF graph calls Python.) Keras layer
// configs stored as JSON in the object graph (and in `keras_metadata.pb`, which is otherwise not
// recognised) are searched for Lambda layers the way `.h5` files are.
//
// Fields followed (tensorflow/core/protobuf/saved_model.proto, meta_graph.proto,
// framework/graph.proto, node_def.proto, function.proto):
//   SavedModel: saved_model_schema_version (1, varint), meta_graphs (2)
//   MetaGraphDef: graph_def (2); fields 1–7 are all messages
//   GraphDef: node (1), library (2), version (3, varint), versions (4), debug_info (5)
//   FunctionDefLibrary: function (1)      FunctionDef: node_def (3)
//   NodeDef: name (1), op (2); its attrs (5, tensors included) are skipped by offset
// sentencepiece ModelProto: pieces (1: piece 1, score 2 as fixed32, type 3), trainer_spec (2),
// normalizer_spec (3), self_test_data (4), denormalizer_spec (5).

enum TensorFlowScanner {
    /// Ops that run Python or touch the file system when the graph runs, and why.
    static let dangerousOps: [String: String] = [
        "PyFunc": "calls a Python function of the loading process",
        "PyFuncStateless": "calls a Python function of the loading process",
        "EagerPyFunc": "calls a Python function of the loading process",
        "ReadFile": "reads any file the graph names",
        "WriteFile": "writes any file the graph names",
    ]

    static let fieldBudget = 20_000_000

    enum Kind: String {
        case savedModel = "tf-savedmodel"
        case graphDef = "tf-graphdef"
        case sentencePiece = "sentencepiece"
    }

    /// What the protobuf in `source` is, if it is one of the three; the check walks the top-level
    /// fields and the first level of messages (not attributes or tensors).
    static func recognise<S: ByteSource>(_ source: S, prefix: [UInt8]) -> Kind? {
        guard let first = prefix.first, first == 0x08 || first == 0x0A || first == 0x12 else { return nil }
        if first != 0x0A {
            // Schema version 1 then a meta graph: a SavedModel even if what follows is broken
            // (the scan then says where), so that a truncated one is `malformed`, not unknown.
            if Scanner.startsWith(prefix, [0x08, 0x01, 0x12]) { return .savedModel }
            return isSavedModel(source) ? .savedModel : nil
        }
        if isSentencePiece(source) { return .sentencePiece }
        return isGraphDef(source, start: 0, end: source.size) ? .graphDef : nil
    }

    /// Scans a SavedModel or GraphDef: every op, with the dangerous ones reported.
    static func scan<S: ByteSource>(_ source: S, kind: Kind, member: String?) -> [Finding] {
        guard kind != .sentencePiece else { return [] }
        var findings: [Finding] = []
        let budget = ProtobufBudget(fieldBudget)
        do {
            if kind == .savedModel {
                try ProtobufWire.forEachField(source, start: 0, end: source.size, budget: budget) { field throws(FormatError) in
                    guard field.number == 2, field.wire == 2 else { return }
                    try ProtobufWire.forEachField(source, start: field.start, end: field.end, budget: budget) { meta throws(FormatError) in
                        guard meta.number == 2, meta.wire == 2 else { return }
                        try graph(source, meta, budget: budget, findings: &findings, member: member)
                    }
                }
            } else {
                let whole = ProtobufField(number: 0, wire: 2, at: 0, varint: 0, start: 0, end: source.size)
                try graph(source, whole, budget: budget, findings: &findings, member: member)
            }
        } catch {
            findings.append(Scanner.malformed("invalid TensorFlow protobuf: \(error.detail)", offset: error.offset, member: member))
        }
        // A Keras model saved as a SavedModel keeps each layer's config as JSON in the object
        // graph: a Lambda layer there carries bytecode Keras runs when it revives the model.
        // KerasScanner's search for `"class_name"` keys reads it without parsing the object graph.
        if kind == .savedModel {
            findings += KerasScanner.scanHDF5(source, member: member, policy: ScanPolicy()).findings
        }
        return findings
    }

    // MARK: Walk

    private static func graph<S: ByteSource>(
        _ source: S, _ graph: ProtobufField, budget: ProtobufBudget, findings: inout [Finding], member: String?
    ) throws(FormatError) {
        try ProtobufWire.forEachField(source, start: graph.start, end: graph.end, budget: budget) { field throws(FormatError) in
            switch (field.number, field.wire) {
            case (1, 2):
                try node(source, field, function: nil, budget: budget, findings: &findings, member: member)
            case (2, 2):
                try ProtobufWire.forEachField(source, start: field.start, end: field.end, budget: budget) { function throws(FormatError) in
                    guard function.number == 1, function.wire == 2 else { return }
                    try self.function(source, function, budget: budget, findings: &findings, member: member)
                }
            case (1, _), (2, _):
                throw FormatError("GraphDef field \(field.number) has wire type \(field.wire), not a message", offset: field.at)
            default:
                break
            }
        }
    }

    private static func function<S: ByteSource>(
        _ source: S, _ function: ProtobufField, budget: ProtobufBudget, findings: inout [Finding], member: String?
    ) throws(FormatError) {
        var name = "?"
        var nodes: [ProtobufField] = []
        try ProtobufWire.forEachField(source, start: function.start, end: function.end, budget: budget) { field throws(FormatError) in
            if field.number == 1, field.wire == 2 {
                // OpDef.name (1): the function's name, for the report.
                try ProtobufWire.forEachField(source, start: field.start, end: field.end, budget: budget) { op throws(FormatError) in
                    if op.number == 1, op.wire == 2 { name = try ProtobufWire.string(source, op, limit: 256) }
                }
            } else if field.number == 3 {
                guard field.wire == 2 else { throw FormatError("FunctionDef.node_def is not a message", offset: field.at) }
                nodes.append(field)
            }
        }
        for node in nodes {
            try self.node(source, node, function: name, budget: budget, findings: &findings, member: member)
        }
    }

    private static func node<S: ByteSource>(
        _ source: S, _ node: ProtobufField, function: String?, budget: ProtobufBudget, findings: inout [Finding], member: String?
    ) throws(FormatError) {
        var name = "", op = ""
        try ProtobufWire.forEachField(source, start: node.start, end: node.end, budget: budget) { field throws(FormatError) in
            guard field.number == 1 || field.number == 2 else { return }
            guard field.wire == 2 else { throw FormatError("NodeDef field \(field.number) is not a string", offset: field.at) }
            let text = try ProtobufWire.string(source, field, limit: 256)
            if field.number == 1 { name = text } else { op = text }
        }
        guard let why = dangerousOps[op] else { return }
        let place = function.map { " in function `\(printable($0))`" } ?? ""
        findings.append(Finding(
            verdict: .unsafe, kind: "tf-op",
            detail: "TensorFlow op `\(op)` (node `\(printable(name))`\(place)) \(why) when the graph runs",
            offset: node.at, member: member))
    }

    private static func printable(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }.prefix(200))
    }

    // MARK: Recognition

    /// Only schema_version (1, varint) and meta_graphs (2); at least one meta graph, whose
    /// fields 1–7 are messages and which has a graph_def.
    static func isSavedModel<S: ByteSource>(_ source: S) -> Bool {
        let budget = ProtobufBudget(100_000)
        var metaGraphs = 0, graphs = 0
        do {
            try ProtobufWire.forEachField(source, start: 0, end: source.size, budget: budget) { field throws(FormatError) in
                switch (field.number, field.wire) {
                case (1, 0): break
                case (2, 2):
                    metaGraphs += 1
                    guard metaGraphs == 1 else { return }
                    try ProtobufWire.forEachField(source, start: field.start, end: field.end, budget: budget) { meta throws(FormatError) in
                        guard (1...7).contains(meta.number) else { return }
                        guard meta.wire == 2 else { throw FormatError("not a MetaGraphDef") }
                        if meta.number == 2 { graphs += 1 }
                    }
                default: throw FormatError("not a SavedModel")
                }
            }
        } catch {
            return false
        }
        return metaGraphs >= 1 && graphs >= 1
    }

    /// node (1), library (2), versions (4), debug_info (5) as messages, version (3) a varint;
    /// at least one node, and every node has an op (NodeDef.op, 2, a string).
    static func isGraphDef<S: ByteSource>(_ source: S, start: Int64, end: Int64) -> Bool {
        let budget = ProtobufBudget(1_000_000)
        var nodes = 0
        do {
            try ProtobufWire.forEachField(source, start: start, end: end, budget: budget) { field throws(FormatError) in
                switch (field.number, field.wire) {
                case (1, 2):
                    nodes += 1
                    var hasOp = false
                    try ProtobufWire.forEachField(source, start: field.start, end: field.end, budget: budget) { n throws(FormatError) in
                        guard (1...7).contains(n.number) else { return }
                        guard n.wire == 2 else { throw FormatError("not a NodeDef") }
                        if n.number == 2 { hasOp = true }
                    }
                    guard hasOp else { throw FormatError("a node without an op") }
                case (2, 2), (4, 2), (5, 2), (3, 0): break
                default: throw FormatError("not a GraphDef")
                }
            }
        } catch {
            return false
        }
        return nodes >= 1
    }

    /// Fields 1–5, all messages; pieces hold only piece (1, string), score (2, fixed32) and
    /// type (3, varint), and at least one has a score or a type (what tells a piece from a node).
    static func isSentencePiece<S: ByteSource>(_ source: S) -> Bool {
        let budget = ProtobufBudget(4_000_000)
        var pieces = 0, scored = 0
        do {
            try ProtobufWire.forEachField(source, start: 0, end: source.size, budget: budget) { field throws(FormatError) in
                guard (1...5).contains(field.number), field.wire == 2 else { throw FormatError("not a sentencepiece model") }
                guard field.number == 1 else { return }
                pieces += 1
                try ProtobufWire.forEachField(source, start: field.start, end: field.end, budget: budget) { p throws(FormatError) in
                    switch (p.number, p.wire) {
                    case (1, 2): break
                    case (2, 5), (3, 0): scored += 1
                    default: throw FormatError("not a sentencepiece piece")
                    }
                }
            }
        } catch {
            return false
        }
        return pieces >= 1 && scored >= 1
    }
}
