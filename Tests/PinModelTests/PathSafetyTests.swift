import PinModel
import Testing

@Suite("Path safety: version-control and tool directories")
struct VCSComponentTests {
    /// Every spelling under which some filesystem opens a refused directory: case variants
    /// (case-insensitive filesystems), NTFS trailing dots and spaces, alternate data streams
    /// and 8.3 short names, HFS+'s ignored code points; at any depth.
    @Test(arguments: [
        ".git/config", ".GIT/config", ".Git/hooks/post-checkout", "sub/.git/config", ".git", ".git./config", ".git /config",
        ".git. . /config", ".git::$INDEX_ALLOCATION/config", "git~1/config", "GIT~2/config", "GI7EBA~1/config",
        ".g\u{200C}it/config", ".\u{FEFF}git/config", ".hg/hgrc", ".HG/hgrc", ".svn/entries", ".bzr/branch.conf", "_darcs/prefs",
        ".jj/repo", ".pijul/config", "CVS/Root", "cvs/Root", ".fslckout", "_FOSSIL_", ".modelpin/snapshot.json",
        "a/.modelpin/x", "modelp~1/snapshot.json",
    ])
    func refused(_ path: String) {
        let reason = PathSafety.reason(path)
        #expect(reason != nil, "`\(path)` was accepted")
        #expect(PathSafety.problems(in: ["config.json", path]).count == 1)
    }

    /// Names that only look related stay allowed: Hub repos carry `.gitattributes`, and a
    /// model may well have a `git` or `cvs_data` folder.
    @Test(arguments: [
        ".gitattributes", ".gitignore", "git/config", ".github/workflows/ci.yml", "my.git/config", ".gitx/config", "cvs_data/a",
        "git~/x", "git~12/x", ".modelpin2/x", "svn.txt", "docs/.hgignore",
    ])
    func allowed(_ path: String) {
        #expect(PathSafety.reason(path) == nil, "`\(path)`: \(PathSafety.reason(path) ?? "")")
    }

    @Test func theReasonNamesTheDirectory() {
        #expect(PathSafety.reason(".GIT./config")?.contains("version-control or tool directory (`.git`)") == true)
        #expect(PathSafety.reason("CVS/Root")?.contains("(`CVS`)") == true)
        #expect(PathSafety.componentReason("models") == nil)
        #expect(PathSafety.componentReason(".hg") != nil)
    }
}
