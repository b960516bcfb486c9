// `$MODELPIN_HOME/layouts/<uid>/<key>`, the store's record of what a pull laid out in a model
// directory: the only thing that lets a pull keep a file without hashing it. Only modelpin
// writes it, but it is read strictly all the same (a damaged one must read as absent, never
// crash or half-parse): a record is refused whole or every path in it passes `PathSafety`,
// and what modelpin renders reads back the same.
import PinModel
import PinStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLayoutRecord(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let record = LayoutRecord.parse(bytes) else { return 0 }
    precondition(LayoutRecord.parse(bytes) == record, "the record parser is not deterministic")
    for path in record.files.keys {
        precondition(PathSafety.reason(path) == nil, "a record with an unsafe path was accepted: \(path.debugDescription)")
    }
    let rendered = try! record.rendered()
    precondition(rendered == bytes, "a record has a second spelling (the format is canonical: sorted, exact decimals)")
    precondition(LayoutRecord.parse(rendered) == record, "a rendered record does not read back")
    precondition(LayoutRecord.parse(rendered, for: record.identity) == record, "a record does not read back for its own directory")
    return 0
}
