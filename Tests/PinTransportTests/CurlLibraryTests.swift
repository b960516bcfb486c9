import PinTransport
import Testing

@Suite("libcurl binding")
struct CurlLibraryTests {
    @Test func initialisesAndReportsAnHTTPSCapableBuild() {
        #expect(CurlLibrary.ensureInitialized())
        let info = CurlLibrary.info
        #expect(info.version.split(separator: ".").count == 3)
        #expect(info.supportsHTTPS)
        #expect(info.protocols.contains("http"))
        #expect(info.tlsLibrary?.hasPrefix("OpenSSL") == true)
    }
}
