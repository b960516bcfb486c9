// `DIR/.modelpin/snapshot.json`, which anyone who can write a model's directory can forge. A
// record is either refused whole or every path in it passes `PathSafety` (so a later delete
// cannot be aimed outside the directory), and what modelpin renders reads back the same.
import PinModel
import PinStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshotRecord(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let record = SnapshotRecord.parse(bytes) else { return 0 }
    precondition(SnapshotRecord.parse(bytes) == record, "the record parser is not deterministic")
    for path in record.files.keys {
        precondition(PathSafety.reason(path) == nil, "a record with an unsafe path was accepted: \(path.debugDescription)")
    }
    let rendered = try! record.rendered()
    precondition(SnapshotRecord.parse(rendered) == record, "a rendered record does not read back")
    return 0
}
