import PinModel
import PinWorkspace
import Testing

/// The cache's text, judged alone: what huggingface_hub writes is accepted, and only that.
@Suite("HFCacheText: refs, ref names and link targets")
struct HFCacheTextTests {
    static let commit = String(repeating: "1a2b", count: 10)
    static let sha = String(repeating: "ab", count: 32)
    static let git = String(repeating: "cd", count: 20)

    @Test(arguments: [
        (commit, true), (commit + "\n", false), (commit + "\r\n", false), (" " + commit, false),
        (commit.uppercased(), false), (String(commit.prefix(39)), false), (sha, false), ("main", false), ("", false),
        (String(repeating: "a", count: 300), false),
    ])
    func refFiles(_ text: String, _ accepted: Bool) {
        let result = HFCacheText.commit(inRef: Array(text.utf8))
        if case .success(let commit) = result { #expect(accepted && commit.hex == text) } else { #expect(!accepted) }
    }

    @Test(arguments: [
        ("main", true), ("v1.0", true), ("refs/pr/1", true), ("release+2", true),
        ("", false), ("../main", false), ("a//b", false), (".hidden", false), ("a/.b", false), ("main.lock", false),
        ("a b", false), ("a\\b", false), ("tab\there", false), ("caf\u{E9}", false),
        (String(repeating: "a/", count: 40) + "a", false),
    ])
    func refNames(_ name: String, _ accepted: Bool) {
        #expect((HFCacheText.refNameProblem(name) == nil) == accepted, "\(name)")
    }

    struct Link: Sendable, CustomStringConvertible {
        let target: String
        let depth: Int
        let accepted: Bool
        var description: String { "\(target) at depth \(depth)" }
    }

    @Test(arguments: [
        Link(target: "../../blobs/\(sha)", depth: 0, accepted: true),
        Link(target: "../../blobs/\(git)", depth: 0, accepted: true),
        Link(target: "../../../../blobs/\(sha)", depth: 2, accepted: true),
        Link(target: "../../../blobs/\(sha)", depth: 0, accepted: false),  // leaves the repo folder
        Link(target: "../blobs/\(sha)", depth: 0, accepted: false),  // stays in snapshots/
        Link(target: "../../blobs/\(sha)", depth: 1, accepted: false),
        Link(target: "/abs/blobs/\(sha)", depth: 0, accepted: false),
        Link(target: "../../blobs/../blobs/\(sha)", depth: 0, accepted: false),
        Link(target: "../../blobs/\(sha)/x", depth: 0, accepted: false),
        Link(target: "../../refs/main", depth: 0, accepted: false),
        Link(target: "../../blobs/\(sha.uppercased())", depth: 0, accepted: false),
        Link(target: "../../blobs/\(sha).incomplete", depth: 0, accepted: false),
        Link(target: "./../../blobs/\(sha)", depth: 0, accepted: false),
        Link(target: "", depth: 0, accepted: false),
    ])
    func linkTargets(_ link: Link) throws {
        let result = HFCacheText.blob(linkTarget: link.target, depth: link.depth)
        switch result {
        case .success(let etag):
            #expect(link.accepted)
            // Exactly the writer's form.
            let path = String(repeating: "d/", count: link.depth) + "f"
            #expect(HFCacheLayout.snapshotLinkTarget(path: path, etag: etag) == link.target)
        case .failure(let error):
            #expect(!link.accepted, "\(error)")
            #expect(!error.reason.isEmpty)
        }
    }
}
