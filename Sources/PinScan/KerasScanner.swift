import PinModel

// Keras models.
//
// `.keras` (Keras 3, a zip with `config.json`): the config is parsed as JSON and walked.
//   - A `Lambda` layer (or a `__lambda__` function object) carries marshalled Python bytecode
//     that runs on load when safe_mode is off (CVE-2024-3660): `unsafe`, kind `lambda-layer`.
//   - An object with a `module` makes Keras import that module and fetch `class_name` (or, for
//     `"class_name": "function"`, the function named by `config`) from it (CVE-2025-1550). Keras's
//     own built-in layers, activations, initializers, regularizers, constraints, optimizers,
//     losses and metrics are allowed by name under Keras's modules (KerasAllowlist.swift); every
//     other object, Keras and TensorFlow ones included, is classified like a pickle global, so
//     `keras.src.utils.file_utils.get_file` and `builtins.exec` are `unsafe` and an unknown
//     custom class is `suspicious`; kind `keras-module`.
//   - A tf.keras `TFOpLambda` / `SlicingOpLambda` layer calls the TensorFlow function its config
//     names: `io.write_file` is `unsafe`, math and array ops are allowed.
//
// `.h5` (HDF5): there is no HDF5 parser here. Heuristic: the `model_config` attribute is JSON
// stored uncompressed in the file, so the first 64 MiB are searched for `"class_name"` keys and
// the JSON string after each is read; `Lambda` / `__lambda__` → `unsafe`. Tensor data past 64 MiB
// is not searched (HDF5 writers put attributes in the object headers at the front).

enum KerasScanner {
    static let hdf5Magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    static let searchLimit: Int64 = 64 << 20
    static let configLimit: Int64 = 64 << 20

    /// HDF5 superblock at 0, 512, 1024 or 2048 (a user block may precede it).
    static func isHDF5<S: ByteSource>(_ source: S, prefix: [UInt8]) -> Bool {
        for offset in [0, 512, 1024, 2048] where prefix.count >= offset + 8 {
            if prefix[offset..<offset + 8].elementsEqual(hdf5Magic) { return true }
        }
        return false
    }

    // MARK: .keras config.json

    static func scanConfig<S: ByteSource>(_ source: S, member: String?, policy: ScanPolicy) -> [Finding] {
        guard source.size <= configLimit else {
            return [Scanner.malformed("config.json is larger than \(configLimit >> 20) MiB", member: member)]
        }
        let config: ScanJSON
        do {
            var cursor = FormatCursor(source)
            config = try ScanJSONParser.parse(try cursor.bytes(Int(source.size), "config.json"), maxDepth: 256)
        } catch {
            return [Scanner.malformed("invalid Keras config.json: \(error.detail)", offset: error.offset, member: member)]
        }
        var findings: [Finding] = []
        walk(config, depth: 0, findings: &findings, member: member, policy: policy)
        return findings
    }

    private static func walk(_ value: ScanJSON, depth: Int, findings: inout [Finding], member: String?, policy: ScanPolicy) {
        guard depth < 300 else { return }
        switch value {
        case .array(let items):
            for item in items { walk(item, depth: depth + 1, findings: &findings, member: member, policy: policy) }
        case .object(let members):
            let className = value["class_name"]?.stringValue
            if className == "Lambda" || className == "__lambda__" {
                let name = value["config"]?["name"]?.stringValue.map { " `\($0)`" } ?? ""
                findings.append(Finding(
                    verdict: .unsafe, kind: "lambda-layer",
                    detail: "Lambda layer\(name) carries marshalled Python bytecode that runs when the model is loaded",
                    member: member))
            } else if let module = value["module"]?.stringValue, let className {
                // Keras's own names are allowed by name under Keras's modules; every other object
                // is judged like a pickle callable (KerasAllowlist.swift).
                let name = className == "function" ? (value["config"]?.stringValue ?? className) : className
                let (verdict, reason) = KerasAllowlist.judge(module: module, name: name, policy: policy)
                if verdict != .safe {
                    let why = reason.map { ", which is dangerous: \($0)" } ?? ", which is not one of Keras's built-in layers or functions; accept it with --allow-global \(module).\(name) if you trust it"
                    findings.append(Finding(
                        verdict: verdict, kind: "keras-module",
                        detail: "config makes Keras import `\(module)` and use `\(module).\(name)`\(why)",
                        callable: module + "." + name, member: member))
                }
            } else if let className, className == "TFOpLambda" || className == "SlicingOpLambda",
                let function = value["config"]?["function"]?.stringValue
            {
                let (verdict, reason) = KerasAllowlist.judgeTFOp(function, policy: policy)
                if verdict != .safe {
                    findings.append(Finding(
                        verdict: verdict, kind: "keras-module",
                        detail: "\(className) layer calls `tensorflow.\(function)` when the model runs\(reason.map { ": \($0)" } ?? ", which is not a known-safe TensorFlow op")",
                        callable: "tensorflow." + function, member: member))
                }
            }
            for (_, item) in members { walk(item, depth: depth + 1, findings: &findings, member: member, policy: policy) }
        default:
            break
        }
    }

    // MARK: .h5

    static func scanHDF5<S: ByteSource>(_ source: S, member: String?, policy: ScanPolicy) -> (format: String, findings: [Finding]) {
        let key = Array("\"class_name\"".utf8)
        let limit = min(source.size, searchLimit)
        let chunk = 1 << 20, overlap = 512
        var findings: [Finding] = []
        var sawConfig = false
        var configStart: Int64?
        var offset: Int64 = 0
        while offset < limit {
            let bytes: [UInt8]
            do {
                bytes = try source.read(at: offset, count: Int(min(Int64(chunk + overlap), limit - offset)))
            } catch {
                return ("hdf5", [Scanner.malformed("cannot read: \(error.description)", kind: "read-error", member: member)])
            }
            if bytes.isEmpty { break }
            var i = 0
            // Matches starting in the overlap are found again by the next chunk.
            let last = min(bytes.count, chunk)
            while i < last {
                if bytes[i] == 0x22, i + key.count <= bytes.count, bytes[i..<i + key.count].elementsEqual(key) {
                    sawConfig = true
                    if configStart == nil, let start = objectStart(bytes, before: i) { configStart = offset + Int64(start) }
                    if let name = stringValue(bytes, after: i + key.count), name == "Lambda" || name == "__lambda__" {
                        findings.append(Finding(
                            verdict: .unsafe, kind: "lambda-layer",
                            detail: "the model_config declares a Lambda layer, which carries marshalled Python bytecode that runs when the model is loaded",
                            offset: offset + Int64(i), member: member))
                    }
                    i += key.count
                    continue
                }
                i += 1
            }
            offset += Int64(chunk)
        }
        // The whole model_config, judged like a .keras config.json; the Lambda search above
        // stays for what lies outside it (or when it cannot be extracted).
        if let start = configStart, let end = objectEnd(source, from: start),
            let raw = try? source.read(at: start, count: Int(end - start)), raw.count == Int(end - start),
            let config = try? ScanJSONParser.parse(raw, maxDepth: 256)
        {
            var judged: [Finding] = []
            walk(config, depth: 0, findings: &judged, member: member, policy: policy)
            for index in judged.indices { judged[index].offset = start }
            findings = findings.filter { ($0.offset ?? -1) < start || ($0.offset ?? -1) >= end } + judged
        }
        return (sawConfig ? "keras" : "hdf5", findings)
    }

    /// Where the JSON object that holds the `"class_name"` key at `index` starts, when that key is
    /// its first or second (`{"class_name": …` as Keras 2 writes it, `{"module": "…", "class_name": …`
    /// as Keras 3 does): the model_config attribute begins that way.
    private static func objectStart(_ bytes: [UInt8], before index: Int) -> Int? {
        if index >= 1, bytes[index - 1] == 0x7B { return index - 1 }
        let module = Array("{\"module\": \"".utf8)
        var i = index - 1
        while i >= 0, index - i < 300 {
            if bytes[i] == 0x7B, i + module.count <= index, bytes[i..<i + module.count].elementsEqual(module) { return i }
            i -= 1
        }
        return nil
    }

    /// The end (exclusive) of the JSON object starting at `start`, found by matching braces
    /// outside strings, within `configLimit` bytes; nil if it does not end there.
    private static func objectEnd<S: ByteSource>(_ source: S, from start: Int64) -> Int64? {
        var depth = 0, inString = false, escaped = false
        var offset = start
        let limit = min(source.size, start + configLimit)
        while offset < limit {
            guard let bytes = try? source.read(at: offset, count: Int(min(1 << 20, limit - offset))), !bytes.isEmpty else { return nil }
            for (k, byte) in bytes.enumerated() {
                if inString {
                    if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                } else if byte == 0x22 {
                    inString = true
                } else if byte == 0x7B || byte == 0x5B {
                    depth += 1
                } else if byte == 0x7D || byte == 0x5D {
                    depth -= 1
                    if depth == 0 { return offset + Int64(k) + 1 }
                    if depth < 0 { return nil }
                } else if byte < 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D {
                    return nil  // not JSON text
                }
            }
            offset += Int64(bytes.count)
        }
        return nil
    }

    /// The JSON string after `: ` at `index`, if there is one.
    private static func stringValue(_ bytes: [UInt8], after index: Int) -> String? {
        var i = index
        func space() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }
        space()
        guard i < bytes.count, bytes[i] == 0x3A else { return nil }
        i += 1
        space()
        guard i < bytes.count, bytes[i] == 0x22 else { return nil }
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != 0x22, i - start < 256 {
            if bytes[i] == 0x5C { i += 1 }
            i += 1
        }
        guard i < bytes.count, bytes[i] == 0x22 else { return nil }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }
}
