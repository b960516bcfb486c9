// PinS3's readers of untrusted bytes: the XML documents a bucket answers with (any S3 endpoint
// the user names, or a proxy in front of it, writes them) and the shared credentials file
// (~/.aws/credentials, or whatever AWS_SHARED_CREDENTIALS_FILE names). The first byte picks the
// reader. Besides crashes, hangs and memory: both are deterministic, the XML reader never
// returns a tree deeper than its limit, and a parsed profile's values never hold a control character.
import PinS3

func depth(_ element: S3XMLElement) -> Int {
    1 + (element.children.map(depth).max() ?? 0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzS3(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    let input = Array(bytes.dropFirst())
    if selector & 1 == 0 {
        let first = try? S3XML.parse(input)
        precondition(first == (try? S3XML.parse(input)), "the XML reader is not deterministic")
        if let first { precondition(depth(first) <= S3XML.maxDepth, "a tree deeper than the limit") }
    } else {
        let text = String(decoding: input, as: UTF8.self)
        guard let parsed = try? AWSCredentialsFile(parsing: text, file: "fuzz") else { return 0 }
        for (_, profile) in parsed.profiles {
            for (key, value) in profile {
                precondition(!key.isEmpty && key == key.lowercased(), "a key that is empty or not lowercased")
                precondition(value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "a control character in a value")
            }
        }
    }
    return 0
}
