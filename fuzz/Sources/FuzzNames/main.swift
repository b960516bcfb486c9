// The name check (PinNames): requested ids come from the command line, a manifest or a lock,
// and the allowlist from a file, so both are hostile bytes. The input is read as an allowlist
// and a list of names separated by a NUL byte (without one, every line is checked against a
// fixed allowlist of real brands). Besides crashes, hangs and memory: the check is
// deterministic, and every verdict carries what it promises (a typosquat names what it
// imitates and why; an allowed id its canonical spelling).
import PinModel
import PinNames

let brands: NameChecker = {
    let text = """
        nvidia/*
        mistralai/*
        meta-llama/Llama-3.1-8B-Instruct
        stabilityai/stable-diffusion-xl-base-1.0
        EleutherAI/gpt-j-6b
        google/gemma-2-9b-it
        HuggingFaceH4/zephyr-7b-beta
        deepseek-ai/DeepSeek-Coder-V2-Instruct
        datasets/HuggingFaceFW/fineweb
        datasets/allenai/*
        """
    return NameChecker(allowlist: try! Allowlist.parse(text, source: "brands"))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNames(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    var checker = brands
    var names = bytes[...]
    if let split = bytes.firstIndex(of: 0) {
        guard let list = try? Allowlist.parse(Array(bytes[..<split]), source: "fuzz") else { return 0 }
        checker = NameChecker(allowlist: list)
        names = bytes[(split + 1)...]
    }
    for line in names.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(64) {
        let name = String(decoding: line, as: UTF8.self)
        let first = try? checker.check(name)
        precondition(first == (try? checker.check(name)), "the name check is not deterministic: \(name.debugDescription)")
        guard let verdict = first else { continue }
        switch verdict.verdict {
        case .allowed:
            precondition(verdict.canonical != nil, "allowed with no canonical id: \(name.debugDescription)")
            // An entry of one kind never allows the other: a dataset stays a dataset.
            precondition(
                (try? RepoID(parsing: verdict.canonical!))?.kind == (try? RepoID(parsing: name))?.kind,
                "allowed as another kind: \(name.debugDescription) → \(verdict.canonical!)")
        case .typosquat:
            precondition(verdict.imitates != nil && verdict.technique != nil && !verdict.evidence.isEmpty,
                         "a typosquat that does not say what it imitates or how: \(name.debugDescription)")
        case .unlisted:
            precondition(verdict.imitates == nil, "unlisted but imitating: \(name.debugDescription)")
        }
    }
    return 0
}
