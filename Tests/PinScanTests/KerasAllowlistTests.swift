import PinModel
import Testing
@testable import PinScan

/// Keras configs name the objects Keras builds; only Keras's own built-ins pass by name, the rest
/// is judged like a pickle callable (KerasAllowlist.swift).
@Suite struct KerasAllowlistTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var object: String
        var verdict: Verdict
        var callable: String? = nil
        var testDescription: String { object }
    }

    static let cases: [Case] = [
        // Keras's own layers, functions and models.
        Case(object: #"{"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}"#, verdict: .safe),
        Case(object: #"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {}}"#, verdict: .safe),
        Case(object: #"{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {}}"#, verdict: .safe),
        Case(object: #"{"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}}"#, verdict: .safe),
        Case(object: #"{"module": "keras.optimizers", "class_name": "Adam", "config": {}}"#, verdict: .safe),
        Case(object: #"{"module": "keras.activations", "class_name": "function", "config": "relu"}"#, verdict: .safe),
        Case(object: #"{"module": "builtins", "class_name": "function", "config": "gelu"}"#, verdict: .safe),
        Case(object: #"{"class_name": "TFOpLambda", "config": {"function": "math.add", "name": "a"}}"#, verdict: .safe),
        // Keras and TensorFlow callables that touch files, processes, the network or load code.
        Case(object: #"{"module": "keras.src.utils.file_utils", "class_name": "function", "config": "get_file"}"#, verdict: .unsafe,
             callable: "keras.src.utils.file_utils.get_file"),
        Case(object: #"{"module": "keras.utils", "class_name": "function", "config": "get_file"}"#, verdict: .unsafe, callable: "keras.utils.get_file"),
        Case(object: #"{"module": "tensorflow.io", "class_name": "function", "config": "write_file"}"#, verdict: .unsafe,
             callable: "tensorflow.io.write_file"),
        Case(object: #"{"module": "tensorflow", "class_name": "function", "config": "py_function"}"#, verdict: .unsafe,
             callable: "tensorflow.py_function"),
        Case(object: #"{"module": "keras.layers", "class_name": "TFSMLayer", "config": {"filepath": "/tmp/x"}}"#, verdict: .unsafe,
             callable: "keras.layers.TFSMLayer"),
        Case(object: #"{"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {}}"#, verdict: .unsafe,
             callable: "keras.layers.TorchModuleWrapper"),
        Case(object: #"{"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization"}"#, verdict: .unsafe,
             callable: "keras.config.enable_unsafe_deserialization"),
        Case(object: #"{"class_name": "TFOpLambda", "config": {"function": "io.write_file", "name": "w"}}"#, verdict: .unsafe,
             callable: "tensorflow.io.write_file"),
        // Unknown: not a Keras built-in, or a built-in name under a foreign module.
        Case(object: #"{"module": "keras_hub.src.models.gemma.gemma_backbone", "class_name": "GemmaBackbone", "config": {}}"#,
             verdict: .suspicious, callable: "keras_hub.src.models.gemma.gemma_backbone.GemmaBackbone"),
        Case(object: #"{"module": "acme.layers", "class_name": "Dense", "config": {}}"#, verdict: .suspicious, callable: "acme.layers.Dense"),
        Case(object: #"{"module": "keras.src.ops.numpy", "class_name": "function", "config": "cumsum"}"#, verdict: .suspicious,
             callable: "keras.src.ops.numpy.cumsum"),
        Case(object: #"{"module": "tensorflow.math", "class_name": "function", "config": "add"}"#, verdict: .suspicious, callable: "tensorflow.math.add"),
        Case(object: #"{"class_name": "TFOpLambda", "config": {"function": "experimental.numpy.cumsum"}}"#, verdict: .suspicious,
             callable: "tensorflow.experimental.numpy.cumsum"),
    ]

    static func keras(_ layer: String) -> [UInt8] {
        var zip = FixtureZip()
        zip.add("metadata.json", Array(#"{"keras_version": "3.6.0"}"#.utf8))
        zip.add("config.json", Array(#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [\#(layer)]}}"#.utf8))
        return zip.build()
    }

    @Test(arguments: cases)
    func configObject(_ c: Case) {
        let report = Fixture.scan(Self.keras(c.object), path: "model.keras")
        #expect(report.verdict == c.verdict, "\(report.findings.map(\.detail))")
        if let callable = c.callable {
            #expect(report.findings.contains { $0.callable == callable && $0.kind == "keras-module" && $0.member == "config.json" })
        }
    }

    @Test func aSuspiciousObjectIsAcceptedByItsName() {
        let bytes = Self.keras(#"{"module": "acme.layers", "class_name": "Dense", "config": {}}"#)
        let report = Scanner.scan(MemorySource(bytes), path: "m.keras", policy: ScanPolicy(allowedGlobals: ["acme.layers.Dense"]))
        #expect(report.verdict == .safe)
    }

    @Test(arguments: [
        ("keras.src.utils.file_utils", "get_file"), ("keras.utils", "get_file"), ("tensorflow.io", "write_file"),
        ("tensorflow", "py_function"), ("tensorflow.raw_ops", "ReadFile"), ("keras.layers", "Lambda"),
        ("tf_keras.src.utils.generic_utils", "func_load"),
    ])
    func kerasAndTensorFlowGadgetsAreUnsafeInPickles(module: String, name: String) {
        #expect(PickleScanner.classify(module: module, name: name, policy: ScanPolicy()) == .unsafe)
        #expect(PickleCallables.danger(of: module + "." + name) != nil, "--allow-global must refuse it")
    }

    /// An `.h5` file's model_config is the same JSON, stored as one attribute string.
    static func h5(_ layer: String, keras3: Bool = false) -> [UInt8] {
        let head = keras3 ? #"{"module": "keras", "class_name": "Sequential", "#.utf8 : #"{"class_name": "Sequential", "#.utf8
        let config = Array(head) + Array(#""config": {"name": "s", "layers": [\#(layer)]}}"#.utf8)
        return KerasScanner.hdf5Magic + [UInt8](repeating: 0, count: 100) + config + [0, 0, 0] + [UInt8](repeating: 0x7B, count: 64)
    }

    @Test func h5ModelConfigIsJudgedLikeAKerasConfig() {
        let write = Fixture.scan(Self.h5(#"{"class_name": "TFOpLambda", "config": {"function": "io.write_file", "name": "w"}}"#), path: "m.h5")
        #expect(write.verdict == .unsafe, "\(write.findings.map(\.detail))")
        #expect(write.findings.contains { $0.callable == "tensorflow.io.write_file" })
        let getFile = Fixture.scan(
            Self.h5(#"{"module": "keras.src.utils.file_utils", "class_name": "function", "config": "get_file"}"#, keras3: true), path: "m.h5")
        #expect(getFile.verdict == .unsafe, "\(getFile.findings.map(\.detail))")
        let dense = Fixture.scan(Self.h5(#"{"module": "keras.layers", "class_name": "Dense", "config": {"units": 1}}"#, keras3: true), path: "m.h5")
        #expect(dense.verdict == .safe, "\(dense.findings.map(\.detail))")
        #expect(dense.format == "keras")
        // A Lambda is reported once, by the config walk, not again by the byte search.
        let lambda = Fixture.scan(Self.h5(#"{"class_name": "Lambda", "config": {"name": "l"}}"#), path: "m.h5")
        #expect(lambda.verdict == .unsafe)
        #expect(lambda.findings.filter { $0.kind == "lambda-layer" }.count == 1, "\(lambda.findings.map(\.detail))")
    }
}
