import PinTransport
import PinVerify

/// The libraries modelpin actually loaded, as `modelpin --version` prints them.
public enum EngineVersions {
    /// `libcurl VERSION (TLS LIBRARY)`.
    public static var curl: String {
        let curl = CurlLibrary.info
        return "libcurl \(curl.version)" + (curl.tlsLibrary.map { " (\($0))" } ?? "")
    }

    /// `gpgme VERSION (gpg VERSION at PATH)`, or what went wrong asking. Runs gpg: call it only
    /// when asked for.
    public static var gpgme: String {
        do {
            let gpg = try OpenPGPEngine.info()
            let engine = [gpg.engineVersion.map { "gpg \($0)" }, gpg.engineExecutable.map { "at \($0)" }]
                .compactMap { $0 }.joined(separator: " ")
            return "gpgme \(gpg.gpgmeVersion)" + (engine.isEmpty ? "" : " (\(engine))")
        } catch {
            return "gpgme: \(error)"
        }
    }
}
