internal import CCurl

/// The libcurl this process loaded, initialised once.
///
/// curl_global_init must run before any other libcurl call and before a second thread exists
/// that could race it; a `static let` gives exactly that (Swift initialises it once, thread-safely,
/// on first use). Every handle the transport creates goes through `CurlLibrary.ensureInitialized()`.
public enum CurlLibrary {
    private static let initialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    /// Initialises libcurl if needed; false if it refused (out of memory at startup).
    @discardableResult
    public static func ensureInitialized() -> Bool {
        initialization == CURLE_OK
    }

    /// What was loaded: curl's version, its TLS library, and the protocols it was built with.
    public struct Info: Sendable, Equatable {
        public let version: String
        public let tlsLibrary: String?
        public let protocols: [String]

        /// modelpin fetches over HTTPS only (plain HTTP only where a user configures it).
        public var supportsHTTPS: Bool { protocols.contains("https") }
    }

    public static var info: Info {
        ensureInitialized()
        let data = ccurl_version_info().pointee
        var protocols: [String] = []
        if var cursor = data.protocols {
            while let name = cursor.pointee {
                protocols.append(String(cString: name))
                cursor += 1
            }
        }
        return Info(
            version: String(cString: data.version),
            tlsLibrary: data.ssl_version.map { String(cString: $0) },
            protocols: protocols.sorted())
    }
}
