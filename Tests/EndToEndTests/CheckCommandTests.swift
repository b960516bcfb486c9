import Foundation
import PinTestSupport
import Testing

@Suite("modelpin check")
struct CheckCommandTests {
    let allowlist = "meta-llama/Llama-3.1-8B-Instruct\nmistralai/*   # all of Mistral\n"

    @Test func printsOneVerdictPerNameAndExitsOneUnlessAllAreAllowed() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("allow.txt", Array(allowlist.utf8))
            let allowed = try sandbox.run("check", "--allowlist", "allow.txt", "Meta-Llama/llama-3.1-8b-instruct", "mistralai/Mistral-7B-v0.1")
            #expect(allowed.status == 0)
            #expect(allowed.stdout.contains("allowed    Meta-Llama/llama-3.1-8b-instruct  → meta-llama/Llama-3.1-8B-Instruct"))
            #expect(allowed.stderr.isEmpty)

            let refused = try sandbox.run("check", "--allowlist", "allow.txt", "met\u{0430}-llama/Llama-3.1-8B-Instruct", "unsloth/Llama-3.1-8B-Instruct")
            #expect(refused.status == 1)
            #expect(refused.stdout == "typosquat  met\u{0430}-llama/Llama-3.1-8B-Instruct\nunlisted   unsloth/Llama-3.1-8B-Instruct\n")
            #expect(refused.stderr.contains("""
                error: `met\u{0430}-llama/Llama-3.1-8B-Instruct` looks like the allowed `meta-llama/Llama-3.1-8B-Instruct`
                  caused by: '\u{0430}' (U+0430 CYRILLIC SMALL LETTER A) at position 4 of the owner, imitating `a`
                """))
            #expect(refused.stderr.contains("hint: did you mean `meta-llama/Llama-3.1-8B-Instruct`?"))
            #expect(refused.stderr.contains("error: `unsloth/Llama-3.1-8B-Instruct` is not on the allowlist"))
        }
    }

    @Test func escapesInvisibleCharacters() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("allow.txt", Array(allowlist.utf8))
            let outcome = try sandbox.run("check", "--allowlist", "allow.txt", "meta\u{200B}-llama/Llama-3.1-8B-Instruct")
            #expect(outcome.status == 1)
            #expect(outcome.stdout == "typosquat  meta\\u{200B}-llama/Llama-3.1-8B-Instruct\n")
            #expect(outcome.stderr.contains("caused by: invisible U+200B ZERO WIDTH SPACE at position 5 of the owner"))
            #expect(!outcome.stderr.contains("\u{200B}"))
        }
    }

    @Test func speaksJSONWithEveryField() throws {
        try Sandbox.with { sandbox throws in
            try sandbox.file("allow.txt", Array(allowlist.utf8))
            var modelpin = sandbox.modelpin
            modelpin.environment["MODELPIN_ALLOWLIST"] = sandbox.directory.appendingPathComponent("allow.txt").path
            let outcome = try modelpin.run(["check", "--json", "mistralai/Mixtral-8x7B-v0.1", "meta-llama-official/Llama-3.1-8B-Instruct", "x/y", "not an id"])
            #expect(outcome.status == 64)
            let entries = try #require(try json(outcome.stdout) as? [[String: Any]])
            #expect(entries.map { $0["verdict"] as? String } == ["allowed", "typosquat", "unlisted", "invalid"])
            for entry in entries {
                #expect(Set(entry.keys).isSuperset(of: ["name", "verdict", "canonical", "suggestion", "reason"]))
            }
            #expect(entries[0]["canonical"] as? String == "mistralai/Mixtral-8x7B-v0.1")
            #expect(entries[1]["technique"] as? String == "affix")
            #expect(entries[1]["suggestion"] as? String == "meta-llama/Llama-3.1-8B-Instruct")
            #expect(entries[2]["suggestion"] is NSNull)
        }
    }

    @Test func explainsAllowlistProblems() throws {
        try Sandbox.with { sandbox throws in
            let none = try sandbox.run("check", "a/b")
            #expect(none.status == 64)
            #expect(none.stderr.contains("error: no allowlist to check against"))

            let missing = try sandbox.run("check", "--allowlist", "nowhere.txt", "a/b")
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("error: the allowlist `nowhere.txt` does not exist"))

            try sandbox.file("bad.txt", Array("ok/model\n\nnot an entry\n".utf8))
            let bad = try sandbox.run("check", "--allowlist", "bad.txt", "ok/model")
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("error: `bad.txt`, line 3: `not an entry` is not a valid allowlist entry"))
            #expect(bad.stderr.contains("caused by: expected `owner/name`, found no `/`"))

            try sandbox.file("dup.txt", Array("ok/model\nOK/Model\n".utf8))
            let duplicate = try sandbox.run("check", "--allowlist", "dup.txt", "ok/model")
            #expect(duplicate.status == 0)
            #expect(duplicate.stderr.contains("warning: `dup.txt`, line 2: `OK/Model` repeats line 1"))
        }
    }
}
