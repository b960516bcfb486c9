@testable import PinCLI
import Testing

/// `serve` says loudly what a listener beyond loopback gives away (decided here, without binding
/// anything but loopback in tests).
@Suite struct ServeExposureTests {
    @Test(arguments: [
        ("127.0.0.1", false, false, nil),
        ("::1", false, false, nil),
        ("localhost", false, false, nil),
        ("0.0.0.0", false, false, "no --tokens"),
        ("10.0.0.5", false, true, "no --tokens"),
        ("0.0.0.0", true, false, "clear text"),
        ("::", true, true, nil),
    ] as [(String, Bool, Bool, String?)])
    func warnsWhenTheNetworkCanReadWhatLoopbackKeptPrivate(host: String, tokens: Bool, tls: Bool, warning: String?) {
        let warnings = ServeCommand.exposureWarnings(host: host, tokens: tokens, tls: tls)
        if let warning {
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains(warning) == true, "\(host): \(warnings)")
        } else {
            #expect(warnings.isEmpty, "\(host): \(warnings)")
        }
    }
}
