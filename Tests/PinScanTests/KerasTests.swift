import PinModel
import Testing
@testable import PinScan

@Suite struct KerasTests {
    private func keras(_ config: String) -> [UInt8] {
        var zip = FixtureZip()
        zip.add("metadata.json", Array(#"{"keras_version": "3.3.3"}"#.utf8))
        zip.add("config.json", Array(config.utf8))
        zip.add("model.weights.h5", KerasScanner.hdf5Magic + [UInt8](repeating: 0, count: 64))
        return zip.build()
    }

    private let dense = #"{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 1e-05}}"#

    @Test func lambdaLayerIsUnsafe() {
        let config = #"{"module": "keras", "class_name": "Sequential", "config": {"layers": ["#
            + #"{"module": "keras.layers", "class_name": "Lambda", "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAA=="}}}}]}}"#
        let report = Fixture.scan(keras(config), path: "model.keras")
        #expect(report.format == "keras")
        #expect(report.verdict == .unsafe)
        #expect(report.findings.contains { $0.kind == "lambda-layer" && $0.member == "config.json" })
    }

    @Test func ordinaryLayersAreSafe() {
        let report = Fixture.scan(keras(#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [\#(dense)]}}"#))
        #expect(report.format == "keras")
        #expect(report.verdict == .safe)
    }

    @Test func foreignModuleFunctionIsFlagged() {
        let config = #"{"module": "keras.layers", "class_name": "Dense", "config": {"activation": {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}}"#
        let report = Fixture.scan(keras(config))
        #expect(report.verdict >= .suspicious)
        #expect(report.findings.contains { $0.kind == "keras-module" && $0.callable == "builtins.exec" })
    }

    @Test func invalidConfigIsMalformed() {
        #expect(Fixture.scan(keras("{\"class_name\": ")).verdict == .malformed)
    }

    @Test func h5WithLambdaIsUnsafe() {
        let config = #"{"class_name": "Sequential", "config": {"layers": [{"class_name" : "Lambda", "config": {}}]}}"#
        let h5 = KerasScanner.hdf5Magic + [UInt8](repeating: 0, count: 100) + Array(config.utf8) + [0, 0, 0]
        let report = Fixture.scan(h5, path: "model.h5")
        #expect(report.format == "keras")
        #expect(report.verdict == .unsafe)
        let plain = KerasScanner.hdf5Magic + [UInt8](repeating: 0, count: 100) + Array(dense.utf8)
        #expect(Fixture.scan(plain).verdict == .safe)
        #expect(Fixture.scan(KerasScanner.hdf5Magic + [0, 0]).format == "hdf5")
    }
}
