import PinModel
import Testing
@testable import PinTransport

@Suite("Sizes a server declares")
struct ServerDeclaredSizeTests {
    func head(_ headers: [(String, String)]) -> HTTPResponseHead {
        HTTPResponseHead(status: 206, headers: headers, url: HTTPURL("https://h/")!)
    }

    @Test(arguments: [
        "bytes 0-9223372036854775806/9223372036854775807", "bytes 0-9/4611686018427387904", "bytes -5-9/100",
        "bytes 20-10/100", "bytes 0-100/100", "bytes 0-9/-1", "bytes 0-9/ten", "bytes 0-9/",
    ])
    func anImpossibleContentRangeIsNoRange(_ value: String) {
        #expect(head([("content-range", value)]).contentRange == nil)
    }

    @Test(arguments: ["9223372036854775807", "-1", "4611686018427387904", "12abc"])
    func anImpossibleContentLengthIsNoLength(_ value: String) {
        #expect(head([("content-length", value)]).contentLength == nil)
    }

    @Test func ordinaryValuesParse() {
        #expect(head([("content-length", "1048576")]).contentLength == 1_048_576)
        #expect(head([("content-range", "bytes 0-0/1")]).contentRange?.total == 1)
        #expect(head([("content-range", "bytes 0-9/*")]).contentRange?.end == 9)
    }
}
