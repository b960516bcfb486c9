import Foundation
import PinVerify
import Testing

@Suite("gpgme binding")
struct OpenPGPEngineTests {
    @Test func findsGnuPGThroughGpgme() throws {
        let info = try OpenPGPEngine.info()
        let parts = info.gpgmeVersion.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count >= 2 && (parts[0], parts[1]) >= (1, 18))
        let executable = try #require(info.engineExecutable)
        #expect(FileManager.default.isExecutableFile(atPath: executable))
        #expect(info.engineVersion?.hasPrefix("2.") == true)
    }
}
