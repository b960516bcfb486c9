// An air-gap bundle (`import FILE.tar`): PinStore's strict streaming tar reader on arbitrary
// bytes. Invariants, not just "no crash": every member it yields has a name PathSafety accepts,
// none twice, each file's body delivers exactly its size; reading the same bytes twice gives the
// same members or the same refusal.
//
// The reader takes a file descriptor: the input is written to one file in /dev/shm (memory),
// unlinked at once and reused for every input.
import Glibc
import PinModel
import PinStore
import SystemPackage

let input: FileDescriptor = {
    let path = "/dev/shm/fuzz-archive-\(getpid())"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot open \(path)")
    unlink(path)
    return FileDescriptor(rawValue: fd)
}()

func members(_ bytes: [UInt8]) -> String {
    _ = ftruncate(input.rawValue, 0)
    _ = bytes.withUnsafeBytes { pwrite(input.rawValue, $0.baseAddress, $0.count, 0) }
    _ = lseek(input.rawValue, 0, SEEK_SET)
    var reader = TarReader(input: input, archive: "fuzz.tar", memberSizeLimit: 1 << 20)
    var seen: Set<String> = []
    var listing = ""
    do {
        while let member = try reader.next() {
            precondition(PathSafety.reason(member.name) == nil, "an unsafe name was yielded")
            precondition(seen.insert(member.name).inserted, "a name was yielded twice")
            var count: Int64 = 0
            if member.name.utf8.count % 2 == 0 { try reader.readBody { count += Int64($0.count) } } else { count = member.size }
            precondition(count == member.size, "a body delivered other than its size")
            listing += "\(member.name) \(member.kind) \(member.size)\n"
        }
        return listing + "end"
    } catch {
        return listing + "refused: \(error)"
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    precondition(members(bytes) == members(bytes), "the same bytes read two ways")
    return 0
}
