internal import CCurl
import PinModel

#if canImport(Glibc)
import Glibc
#endif

/// The shipped transport: a libcurl easy handle per connection.
public struct CurlTransport: HTTPTransport {
    public init() {}

    public func connection(policy: TransportPolicy, cancellation: CancellationFlag) throws(TransportError) -> any HTTPConnection {
        try CurlConnection(policy: policy, cancellation: cancellation)
    }
}

/// One libcurl easy handle: the only owner of it, used by one thread at a time and reused
/// across requests so that connections are kept alive. Certificate verification is always on;
/// no compression is negotiated, so the bytes handed to `onBody` are the bytes served.
///
/// Every option set is checked: an option libcurl refuses (a value out of range, a feature this
/// build lacks) is an error naming it, never a transfer that runs without it.
final class CurlConnection: HTTPConnection {
    private let policy: TransportPolicy
    private let cancellation: CancellationFlag
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// libcurl's receive buffer: 512 KiB measured ~25% faster than the 16 KiB default when
    /// every chunk is also hashed (fewer callbacks, larger digest updates).
    static let receiveBufferSize = 512 * 1024
    /// libcurl's send buffer for uploads (its maximum is 2 MiB; the default 64 KiB means many
    /// more read callbacks for a multi-GiB blob).
    static let sendBufferSize = 512 * 1024

    init(policy: TransportPolicy, cancellation: CancellationFlag) throws(TransportError) {
        precondition(CurlLibrary.ensureInitialized(), "libcurl failed to initialise")
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
        self.handle = handle
        self.policy = policy
        self.cancellation = cancellation
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        // Every stored property is set: from here a throw still runs deinit, which frees both.

        try set(CURLOPT_ERRORBUFFER, "CURLOPT_ERRORBUFFER", pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_NOSIGNAL, "CURLOPT_NOSIGNAL", 1)
        try set(CURLOPT_FOLLOWLOCATION, "CURLOPT_FOLLOWLOCATION", 0)
        // Needs libcurl 7.85; an older one refuses it, and then nothing is fetched.
        try set(CURLOPT_PROTOCOLS_STR, "CURLOPT_PROTOCOLS_STR", "http,https")
        try set(CURLOPT_SSL_VERIFYPEER, "CURLOPT_SSL_VERIFYPEER", 1)
        try set(CURLOPT_SSL_VERIFYHOST, "CURLOPT_SSL_VERIFYHOST", 2)
        try set(CURLOPT_SSLVERSION, "CURLOPT_SSLVERSION", Int(CURL_SSLVERSION_TLSv1_2))
        if let caBundle = policy.caBundle {
            try set(CURLOPT_CAINFO, "CURLOPT_CAINFO", caBundle)
        }
        try set(CURLOPT_CONNECTTIMEOUT, "CURLOPT_CONNECTTIMEOUT", policy.connectTimeout)
        try set(CURLOPT_LOW_SPEED_LIMIT, "CURLOPT_LOW_SPEED_LIMIT", 1)
        try set(CURLOPT_LOW_SPEED_TIME, "CURLOPT_LOW_SPEED_TIME", policy.stallTimeout)
        try set(CURLOPT_BUFFERSIZE, "CURLOPT_BUFFERSIZE", Self.receiveBufferSize)
        try set(CURLOPT_TCP_KEEPALIVE, "CURLOPT_TCP_KEEPALIVE", 1)
        try set(CURLOPT_USERAGENT, "CURLOPT_USERAGENT", policy.userAgent)
        try check(ccurl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, Callbacks.body), "CURLOPT_WRITEFUNCTION")
        try check(ccurl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, Callbacks.header), "CURLOPT_HEADERFUNCTION")
        try check(ccurl_easy_setopt_read_callback(handle, Callbacks.read), "CURLOPT_READFUNCTION")
        try set(CURLOPT_UPLOAD_BUFFERSIZE, "CURLOPT_UPLOAD_BUFFERSIZE", Self.sendBufferSize)
        try check(ccurl_easy_setopt_xferinfo_callback(handle, Callbacks.progress), "CURLOPT_XFERINFOFUNCTION")
        try set(CURLOPT_NOPROGRESS, "CURLOPT_NOPROGRESS", 0)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    func exchange(
        _ request: HTTPRequest,
        onHead: (HTTPResponseHead) throws -> Void,
        onBody: (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) -> HTTPExchange {
        // The handlers are only reached from inside curl_easy_perform, which returns before
        // this function does.
        let result = withoutActuallyEscaping(onHead) { onHead in
            withoutActuallyEscaping(onBody) { onBody in
                Result { () throws(TransportError) in try perform(request, onHead: onHead, onBody: onBody) }
            }
        }
        return try result.get()
    }

    private func perform(
        _ request: HTTPRequest,
        onHead: @escaping (HTTPResponseHead) throws -> Void,
        onBody: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) throws(TransportError) -> HTTPExchange {
        let url = request.url
        let transfer = Transfer(url: url, cancellation: cancellation, onHead: onHead, onBody: onBody, handle: handle)
        if let body = request.body { try transfer.attach(body, url: url) }
        var list: UnsafeMutablePointer<curl_slist>?
        // "Expect:" off: an upload starts at once instead of waiting for `100 Continue` (a
        // refusal still ends it: the server answers and closes); "Accept-Encoding" stays unset
        // (no compression).
        for line in request.headers + ["Expect:"] { list = curl_slist_append(list, line) }
        defer { curl_slist_free_all(list) }

        errorBuffer[0] = 0
        try set(CURLOPT_URL, "CURLOPT_URL", url.description)
        try check(ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "CURLOPT_HTTPHEADER")
        try setMethod(request.method, body: request.body)
        if let range = request.range {
            try set(CURLOPT_RANGE, "CURLOPT_RANGE", "\(range.first)-\(range.last)")
        } else {
            try set(CURLOPT_RANGE, "CURLOPT_RANGE", pointer: nil)
        }
        let box = Unmanaged.passRetained(transfer)
        defer { box.release() }
        let pointer = box.toOpaque()
        try set(CURLOPT_WRITEDATA, "CURLOPT_WRITEDATA", pointer: pointer)
        try set(CURLOPT_HEADERDATA, "CURLOPT_HEADERDATA", pointer: pointer)
        try set(CURLOPT_XFERINFODATA, "CURLOPT_XFERINFODATA", pointer: pointer)
        try set(CURLOPT_READDATA, "CURLOPT_READDATA", pointer: pointer)

        let code = curl_easy_perform(handle)
        if let failure = transfer.failure { throw .bodyRejected(url.description, failure) }
        guard code == CURLE_OK else { throw error(code, url: url) }

        let head = transfer.head(status: transfer.status())
        if !transfer.delivered {
            // An empty body: the handler still sees the head.
            do { try onHead(head) } catch { throw .bodyRejected(url.description, error) }
        }
        var location: String?
        if (300..<400).contains(head.status) {
            var target: UnsafeMutablePointer<CChar>?
            ccurl_easy_getinfo_string(handle, CURLINFO_REDIRECT_URL, &target)
            location = target.map { String(cString: $0) }
        }
        return HTTPExchange(head: head, location: location)
    }

    /// The method and the body, set anew for every request: the handle is reused, and each
    /// of these options outlives the request that set it.
    private func setMethod(_ method: HTTPMethod, body: HTTPBody?) throws(TransportError) {
        // HTTPGET resets NOBODY, UPLOAD and POST; CUSTOMREQUEST is reset by hand.
        try set(CURLOPT_HTTPGET, "CURLOPT_HTTPGET", 1)
        try set(CURLOPT_CUSTOMREQUEST, "CURLOPT_CUSTOMREQUEST", pointer: nil)
        switch method {
        case .get:
            return
        case .head:
            try set(CURLOPT_NOBODY, "CURLOPT_NOBODY", 1)
        case .delete where body == nil:
            try set(CURLOPT_CUSTOMREQUEST, "CURLOPT_CUSTOMREQUEST", method.rawValue)
        case .put, .post, .patch, .delete:
            // An upload of exactly `count` bytes (Content-Length, never chunked), under the
            // method asked for: libcurl's UPLOAD is a PUT unless CUSTOMREQUEST renames it.
            try set(CURLOPT_UPLOAD, "CURLOPT_UPLOAD", 1)
            try check(ccurl_easy_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(body?.count ?? 0)), "CURLOPT_INFILESIZE_LARGE")
            try set(CURLOPT_CUSTOMREQUEST, "CURLOPT_CUSTOMREQUEST", method.rawValue)
        }
    }

    // MARK: Options, checked

    private func set(_ option: CURLoption, _ name: String, _ value: Int) throws(TransportError) {
        try check(ccurl_easy_setopt_long(handle, option, value), name)
    }

    private func set(_ option: CURLoption, _ name: String, _ value: String) throws(TransportError) {
        try check(ccurl_easy_setopt_string(handle, option, value), name)
    }

    private func set(_ option: CURLoption, _ name: String, pointer: UnsafeMutableRawPointer?) throws(TransportError) {
        try check(ccurl_easy_setopt_pointer(handle, option, pointer), name)
    }

    private func check(_ code: CURLcode, _ name: String) throws(TransportError) {
        guard code != CURLE_OK else { return }
        throw .unsupportedOption(name, code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
    }

    private func error(_ code: CURLcode, url: HTTPURL) -> TransportError {
        if code == CURLE_ABORTED_BY_CALLBACK, cancellation.isCancelled { return .cancelled }
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_ISSUER_ERROR:
            return .untrustedServer(url.description, message: detail)
        case CURLE_OPERATION_TIMEDOUT where detail.contains("too slow"):
            return .stalled(url.description, seconds: policy.stallTimeout)
        default:
            return .network(url.description, code: Int(code.rawValue), message: detail)
        }
    }
}

/// The state of one request while libcurl runs it; reached from the C callbacks.
private final class Transfer {
    let url: HTTPURL
    let cancellation: CancellationFlag
    let onHead: (HTTPResponseHead) throws -> Void
    let onBody: (UnsafeRawBufferPointer) throws -> Void
    let handle: UnsafeMutableRawPointer
    var headers: [(name: String, value: String)] = []
    var delivered = false
    var failure: (any Error)?
    /// What is uploaded: bytes in memory, or a descriptor read at `offset + sent`.
    private var upload: Upload?

    private enum Upload {
        case bytes([UInt8])
        case file(descriptor: Int32, offset: Int64)
    }
    private var remaining: Int64 = 0
    private var sent: Int64 = 0

    deinit {
        if case .file(let descriptor, _) = upload { close(descriptor) }
    }

    /// Opens what `body` names before anything is sent, so a missing file fails the request
    /// rather than sending a short body.
    func attach(_ body: HTTPBody, url: HTTPURL) throws(TransportError) {
        remaining = body.count
        switch body {
        case .bytes(let bytes):
            upload = .bytes(bytes)
        case .file(let path, let offset, _):
            let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw .bodyRejected(url.description, UploadFileError(path: path, errno: errno))
            }
            upload = .file(descriptor: descriptor, offset: offset)
        }
    }

    /// Fills `buffer` with the next bytes of the body; 0 at the end, nil to abort.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let count = Int(min(Int64(buffer.count), remaining))
        guard count > 0, let upload else { return 0 }
        switch upload {
        case .bytes(let bytes):
            let start = Int(sent)
            bytes.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: count)
            }
        case .file(let descriptor, let offset):
            let got = pread(descriptor, buffer.baseAddress, count, off_t(offset + sent))
            guard got > 0 else {
                failure = UploadFileError(path: "the upload's file", errno: got < 0 ? errno : 0)
                return nil
            }
            sent += Int64(got)
            remaining -= Int64(got)
            return got
        }
        sent += Int64(count)
        remaining -= Int64(count)
        return count
    }

    init(url: HTTPURL, cancellation: CancellationFlag,
         onHead: @escaping (HTTPResponseHead) throws -> Void,
         onBody: @escaping (UnsafeRawBufferPointer) throws -> Void, handle: UnsafeMutableRawPointer) {
        self.url = url
        self.cancellation = cancellation
        self.onHead = onHead
        self.onBody = onBody
        self.handle = handle
    }

    func status() -> Int {
        var status = 0
        ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return status
    }

    func head(status: Int) -> HTTPResponseHead {
        HTTPResponseHead(status: status, headers: headers, url: url)
    }

    func header(_ line: UnsafeRawBufferPointer) {
        var text = String(decoding: line, as: UTF8.self)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        if text.hasPrefix("HTTP/") {
            headers = []  // a new response (after 1xx): start over
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        headers.append((text[..<colon].lowercased(), String(text[text.index(after: colon)...]).trimmed))
    }

    func body(_ chunk: UnsafeRawBufferPointer) -> Bool {
        do {
            if !delivered {
                delivered = true
                try onHead(head(status: status()))
            }
            try onBody(chunk)
            return true
        } catch {
            failure = error
            return false
        }
    }
}

/// The C entry points libcurl calls; non-capturing, reaching the transfer through userdata.
private enum Callbacks {
    static let body: curl_write_callback = { data, size, count, userdata in
        let total = size * count
        guard let userdata, let data else { return total }
        let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        // Returning anything but `total` makes libcurl stop with CURLE_WRITE_ERROR.
        return transfer.body(UnsafeRawBufferPointer(start: data, count: total)) ? total : 0
    }

    static let header: curl_write_callback = { data, size, count, userdata in
        let total = size * count
        guard let userdata, let data else { return total }
        Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue().header(UnsafeRawBufferPointer(start: data, count: total))
        return total
    }

    static let read: curl_read_callback = { buffer, size, count, userdata in
        guard let userdata, let buffer else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
        let room = UnsafeMutableRawBufferPointer(start: buffer, count: size * count)
        guard let got = transfer.read(into: room) else { return Int(CURL_READFUNC_ABORT) }
        return got
    }

    static let progress: curl_xferinfo_callback = { userdata, _, _, _, _ in
        guard let userdata else { return 0 }
        return Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue().cancellation.isCancelled ? 1 : 0
    }
}

/// An upload's file could not be opened or read (missing, a symlink, shorter than announced).
struct UploadFileError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String {
        errno == 0 ? "\(path) ended before the announced length" : "cannot read \(path): \(String(cString: strerror(errno)))"
    }
}
