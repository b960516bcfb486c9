import PinAudit
import Testing

@Suite struct CanonicalJSONTests {
    @Test func sortsKeysAndEscapes() {
        let value: CanonicalJSON = .object(["b": .integer(-1), "a": .array([.null, .bool(true), .string("x\"\n\u{1}")])])
        #expect(String(decoding: value.canonicalBytes, as: UTF8.self) == #"{"a":[null,true,"x\"\n\u0001"],"b":-1}"#)
    }
}
