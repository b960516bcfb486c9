import PinModel
import PinTransport
import Testing
@testable import PinHub

@Suite("Sizes the Hub declares")
struct HubDeclaredSizeTests {
    let sha = String(repeating: "ab", count: 32)
    let oid = String(repeating: "cd", count: 20)

    /// 2^62 once made a partial allocate a part per 64 MiB (an abort); 2^63−1 overflowed an
    /// offset (an illegal instruction). Both are refused where they enter, as a refusal (exit 1).
    @Test(arguments: ["-1", "4611686018427387904", "9223372036854775807", "1099511627777"])
    func anImpossibleSizeIsRefused(_ size: String) throws {
        for body in [
            #"[{"type":"file","path":"m","oid":"\#(oid)","size":\#(size)}]"#,
            #"[{"type":"file","path":"m","oid":"\#(oid)","size":\#(size),"lfs":{"oid":"\#(sha)","size":\#(size)}}]"#,
        ] {
            #expect {
                try HubClient.parseTree(Array(body.utf8), url: HTTPURL("https://h/")!)
            } throws: { error in
                guard case HubError.implausibleSize(_, "m"?, _)? = error as? HubError else { return false }
                return (error as? HubError)?.kind == .refused
            }
        }
    }

    @Test func theLargestAcceptedSizeParses() throws {
        let body = #"[{"type":"file","path":"m","oid":"\#(oid)","size":\#(FileSizeLimit.maximum),"lfs":{"oid":"\#(sha)","size":\#(FileSizeLimit.maximum)}}]"#
        #expect(try HubClient.parseTree(Array(body.utf8), url: HTTPURL("https://h/")!).first?.size == FileSizeLimit.maximum)
    }

    @Test func sizesThatAddUpPastTheModelLimitAreRefused() {
        #expect(throws: FileSizeLimit.TotalTooLarge.self) {
            try FileSizeLimit.total(Array(repeating: FileSizeLimit.maximum, count: 1025)).get()
        }
        #expect((try? FileSizeLimit.total([FileSizeLimit.maximum, 1]).get()) == FileSizeLimit.maximum + 1)
    }
}
