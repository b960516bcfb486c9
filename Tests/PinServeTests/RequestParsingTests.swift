import PinModel
import PinServe
import Testing

/// The hand-written readers of request targets and Range headers, without a socket.
@Suite("Request parsing")
struct RequestParsingTests {
    static let tiny = try! RepoID(parsing: "acme/tiny-model")
    static let data = try! RepoID(parsing: "datasets/acme/corpus")

    static let routes: [(target: String, route: HubRoute)] = [
        ("/healthz", .health),
        ("/metrics", .metrics),
        ("/api/models/acme/tiny-model", .info(tiny, revision: "main")),
        ("/api/models/acme/tiny-model/revision/v1.0", .info(tiny, revision: "v1.0")),
        // huggingface_hub quotes a revision with safe="": `refs/pr/1` is one segment.
        ("/api/models/acme/tiny-model/revision/refs%2Fpr%2F1", .info(tiny, revision: "refs/pr/1")),
        ("/api/datasets/acme/corpus", .info(data, revision: "main")),
        ("/api/models/acme/tiny-model/tree/main", .tree(tiny, revision: "main", path: "")),
        ("/api/models/acme/tiny-model/tree/main/", .tree(tiny, revision: "main", path: "")),
        ("/api/models/acme/tiny-model/tree/main/a%2Fb", .tree(tiny, revision: "main", path: "a/b")),
        ("/api/models/acme/tiny-model/tree/main/a/b", .tree(tiny, revision: "main", path: "a/b")),
        ("/api/datasets/acme/corpus/paths-info/refs%2Fconvert%2Fparquet", .pathsInfo(data, revision: "refs/convert/parquet")),
        ("/acme/tiny-model/resolve/main/config.json", .resolve(tiny, revision: "main", path: "config.json")),
        ("/acme/tiny-model/resolve/main/onnx/model%20v2.onnx", .resolve(tiny, revision: "main", path: "onnx/model v2.onnx")),
        ("/datasets/acme/corpus/resolve/main/data/train.parquet", .resolve(data, revision: "main", path: "data/train.parquet")),
        // The owner `datasets` of a model stays a model when the path has no room for a dataset.
        ("/datasets/corpus/resolve/main/x.bin", .resolve(try! RepoID(parsing: "datasets/corpus"), revision: "main", path: "x.bin")),
    ]

    @Test(arguments: routes)
    func aTargetNamesItsRoute(target: String, route: HubRoute) throws {
        #expect(try HubRoute(path: target) == route)
    }

    static let refused: [(target: String, error: RouteError)] = [
        ("/acme/tiny-model/resolve/main/%2E%2E/%2E%2E/etc/passwd", .unsafePath("contains a `..` component")),
        ("/acme/tiny-model/resolve/main/..%2F..%2Findex.json", .unsafePath("contains a `..` component")),
        ("/acme/tiny-model/resolve/main/config.json%00.txt", .unsafePath("contains a NUL character")),
        ("/acme/tiny-model/resolve/main/..%5Cindex.json", .unsafePath("contains a backslash")),
        ("/acme/tiny-model/resolve/main/a//b", .unsafePath("contains an empty component")),
        ("/acme/tiny-model/resolve/main/%2Fetc%2Fpasswd", .unsafePath("absolute path")),
        ("/acme/tiny-model/resolve/main/bad%zz", .malformed("the path is not valid percent-encoded UTF-8")),
        ("/acme/tiny-model/resolve/main/%C3%28", .malformed("the path is not valid percent-encoded UTF-8")),
        ("/acme/tiny-model/resolve/ma%00in/config.json", .malformed("the revision contains a control character or a backslash")),
        ("/acme/tiny-model/resolve/..%2F..%2Fx/config.json", .malformed("the revision contains an empty or `..` component")),
        ("/acme/tiny-model/resolve//config.json", .malformed("the revision is empty or not valid percent-encoded UTF-8")),
        ("/acme/tiny-model/resolve/main", .notFound),
        ("/%2e%2e/%2e%2e/resolve/main/x", .notFound),
        ("/api/spaces/acme/app", .notFound),
        ("/api/models/acme", .notFound),
        ("/api/models/acme/tiny-model/commits/main", .notFound),
        ("http://evil.test/acme/tiny-model/resolve/main/config.json", .malformed("the request target does not start with `/`")),
        ("/acme/tiny-model/resolve/main/" + String(repeating: "a", count: 5000), .tooLong),
    ]

    @Test(arguments: refused)
    func aHostileTargetIsRefusedBeforeTheCatalog(target: String, error: RouteError) {
        #expect(throws: error) { try HubRoute(path: target) }
    }

    static let size: Int64 = 1000
    static let ranges: [(header: String?, expected: RangeRequest)] = [
        (nil, .whole),
        ("bytes=0-0", .partial(first: 0, last: 0)),
        ("bytes=0-999", .partial(first: 0, last: 999)),
        ("bytes=0-5000", .partial(first: 0, last: 999)),
        ("bytes=999-", .partial(first: 999, last: 999)),
        ("bytes=-1", .partial(first: 999, last: 999)),
        ("bytes=-5000", .partial(first: 0, last: 999)),
        // Not `bytes=`: another unit as far as RFC 9110 goes, so ignored.
        (" bytes = 10 - 20 ", .whole),
        ("bytes= 10-20 ", .partial(first: 10, last: 20)),
        ("BYTES=1-2", .partial(first: 1, last: 2)),
        ("bytes=1000-", .unsatisfiable),
        ("bytes=1000-2000", .unsatisfiable),
        ("bytes=5-4", .unsatisfiable),
        ("bytes=-0", .unsatisfiable),
        ("bytes=-", .unsatisfiable),
        ("bytes=", .unsatisfiable),
        ("bytes=+1-2", .unsatisfiable),
        ("bytes=1-2,3-4", .unsatisfiable),
        ("bytes=0x10-", .unsatisfiable),
        ("bytes=9223372036854775807-", .unsatisfiable),
        ("bytes=99999999999999999999-", .unsatisfiable),
        ("bytes=0-" + String(repeating: "9", count: 300), .unsatisfiable),
        ("lines=1-2", .whole),
    ]

    @Test(arguments: ranges)
    func aRangeHeaderResolvesAgainstTheSize(header: String?, expected: RangeRequest) {
        #expect(RangeRequest(header: header, size: Self.size) == expected)
    }

    @Test func anEmptyFileHasNoSatisfiableRange() {
        #expect(RangeRequest(header: "bytes=0-", size: 0) == .unsatisfiable)
        #expect(RangeRequest(header: "bytes=-1", size: 0) == .unsatisfiable)
        #expect(RangeRequest(header: nil, size: 0) == .whole)
    }

    @Test func queryParametersDecodeFormsAndFlags() {
        let query = QueryParameters("recursive=True&expand=false&paths=a+b&paths=c%2Fd&cursor=")
        #expect(query.flag("recursive"))
        #expect(!query.flag("expand"))
        #expect(!query.flag("missing"))
        #expect(query.all("paths") == ["a b", "c/d"])
        #expect(query["cursor"] == "")
    }
}
