/// What a file of a model is, for its layer's media type in a snapshot manifest. The one place
/// the rule lives (README, "The store"): decided by the file's name alone, so the same snapshot
/// always gets the same manifest, and no file is opened for it.
///
/// 1. **doc**: a name starting with README, LICENSE, LICENCE, NOTICE, COPYING, CITATION or
///    CHANGELOG (any case, any extension), or an extension in `documentExtensions` (`.md`,
///    images a model card shows…).
/// 2. **code**: an extension in `codeExtensions` (`.py`, `.sh`, `.js`, …): what a loader may run.
/// 3. **weight**: an extension in `weightExtensions` (`.safetensors`, `.gguf`, `.bin`, `.pt`, …).
/// 4. **weight config**: everything else (`config.json`, `tokenizer.json`, `tokenizer.model`,
///    `merges.txt`, `vocab.txt`, chat templates…): the spec's "configuration of the model weights".
public enum LayerKind: String, Sendable, CaseIterable {
    case weight
    case weightConfig
    case doc
    case code

    /// The ModelPack media types for unarchived, uncompressed files (`specs-go/v1/mediatype.go`).
    public var mediaType: String {
        switch self {
        case .weight: "application/vnd.cncf.model.weight.v1.raw"
        case .weightConfig: "application/vnd.cncf.model.weight.config.v1.raw"
        case .doc: "application/vnd.cncf.model.doc.v1.raw"
        case .code: "application/vnd.cncf.model.code.v1.raw"
        }
    }

    static let documentNames = ["readme", "license", "licence", "notice", "copying", "citation", "changelog"]
    static let documentExtensions: Set<String> = ["md", "markdown", "rst", "pdf", "png", "jpg", "jpeg", "gif", "svg", "webp", "html"]
    static let codeExtensions: Set<String> = [
        "py", "pyc", "pyi", "ipynb", "sh", "bash", "js", "mjs", "ts", "c", "cc", "cpp", "cu", "cuh", "h", "hpp",
        "rs", "go", "java", "jl", "lua", "r", "rb", "swift", "pl",
    ]
    static let weightExtensions: Set<String> = [
        "safetensors", "gguf", "ggml", "bin", "pt", "pth", "ckpt", "onnx", "h5", "hdf5", "keras", "msgpack", "pb",
        "tflite", "npz", "npy", "pkl", "pickle", "joblib", "mlmodel", "ot", "params", "nemo", "pdparams", "llamafile",
    ]

    public init(path: String) {
        let name = path.split(separator: "/").last.map { $0.lowercased() } ?? ""
        let ext = name.split(separator: ".", omittingEmptySubsequences: false).dropFirst().last.map(String.init) ?? ""
        if Self.documentNames.contains(where: { name.hasPrefix($0) }) || Self.documentExtensions.contains(ext) {
            self = .doc
        } else if Self.codeExtensions.contains(ext) {
            self = .code
        } else if Self.weightExtensions.contains(ext) {
            self = .weight
        } else {
            self = .weightConfig
        }
    }

    /// The config's `format`, where the weights make it evident: all of them `.safetensors`,
    /// all `.gguf`, or all `.onnx`. nil otherwise (`.bin` may be PyTorch or anything else).
    static func format(of paths: [String]) -> String? {
        let extensions = Set(paths.filter { LayerKind(path: $0) == .weight }.compactMap { path in
            path.split(separator: "/").last?.split(separator: ".").dropFirst().last.map { $0.lowercased() }
        })
        guard extensions.count == 1, let only = extensions.first, ["safetensors", "gguf", "onnx"].contains(only) else { return nil }
        return only
    }
}
