// Every input goes to each reader of a record that another process can write: a verdict record
// (`verdicts/<scanner>/<hex>`), the line a lock holder writes into a store lock file, and a
// server's Content-Range and Content-Length. (Blob stamps are never parsed: the stamp a blob's
// current identity renders is compared byte for byte with the recorded one.) Beyond not
// crashing, each reader keeps its promise: what it accepts is in range and renders back to
// what it read (verdicts: byte for byte; the others: to a record that reads back the same).
@_spi(Fuzzing) import PinStore
@_spi(Fuzzing) import PinTransport
import PinModel

let digest = try! SHA256Digest(parsing: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
let scanner = "modelpin-scan/2"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoreRecords(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    checkVerdict(bytes)
    checkLockHolder(bytes)
    checkSizes(String(decoding: bytes, as: UTF8.self))
    return 0
}

func checkVerdict(_ bytes: [UInt8]) {
    guard let verdict = Store.parseVerdict(bytes, for: digest, scanner: scanner) else { return }
    precondition(!verdict.verdict.isEmpty && !verdict.format.isEmpty, "a verdict record without a verdict or format")
    precondition(Store.parseVerdict(bytes, for: digest, scanner: scanner + "x") == nil, "a record read under another scanner")
    let rendered = Store.renderVerdict(verdict, for: digest, scanner: scanner)
    precondition(rendered == bytes, "a verdict record has a second spelling")
    precondition(rendered.flatMap { Store.parseVerdict($0, for: digest, scanner: scanner) } == verdict, "a rendered verdict does not read back")
}

func checkLockHolder(_ bytes: [UInt8]) {
    guard let holder = LockHolder.parse(bytes[...]) else { return }
    precondition(holder.pid > 0, "a holder with pid \(holder.pid)")
    precondition(!holder.command.contains("\n"), "a holder's command spans lines")
    precondition(LockHolder.parse(Array(holder.line.utf8)[...]) == holder, "a rendered holder line does not read back")
}

func checkSizes(_ text: String) {
    if let (start, end, total) = HTTPResponseHead.contentRange(parsing: text) {
        precondition(start >= 0 && start <= end && end < FileSizeLimit.maximum, "range \(start)-\(end) accepted")
        if let total {
            precondition(end < total && total <= FileSizeLimit.maximum, "range \(start)-\(end)/\(total) accepted")
        } else {
            precondition(text.hasSuffix("/*"), "an unknown total from `\(text.debugDescription)`")
        }
    }
    if let length = HTTPResponseHead.contentLength(parsing: text) {
        precondition(length >= 0 && length <= FileSizeLimit.maximum, "length \(length) accepted")
    }
}
