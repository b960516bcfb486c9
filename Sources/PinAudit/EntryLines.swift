import SystemPackage

/// Streams the entries file line by line in large reads, never holding more than a chunk and
/// one line: `audit verify` runs over a million entries in constant memory.
enum EntryLines {
    static let chunkSize = 4 << 20

    /// `body` with the bytes of `line` (typed throws through withUnsafeBytes, which rethrows untyped).
    static func withLine(_ line: [UInt8], body: (UnsafeRawBufferPointer) throws(AuditError) -> Void) throws(AuditError) {
        let result: Result<Void, AuditError> = line.withUnsafeBytes { buffer in
            do throws(AuditError) {
                try body(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Calls `body` with each line's index and bytes (without the newline), over the first
    /// `limit` bytes of the file. A last line without its newline is a bad entry.
    static func forEach(_ path: FilePath, limit: Int, _ body: (Int, UnsafeRawBufferPointer) throws(AuditError) -> Void) throws(AuditError) {
        guard let file = try AuditIO.openIfPresent(path, .readOnly) else { return }
        defer { try? file.close() }
        let end = min(limit, try AuditIO.size(file, path))
        var carry: [UInt8] = []
        var index = 0
        var offset = 0
        while offset < end {
            let chunk = try AuditIO.read(file, path, at: offset, count: min(chunkSize, end - offset))
            offset += chunk.count
            let result: Result<Void, AuditError> = chunk.withUnsafeBytes { buffer in
                var start = 0
                while let newline = buffer[start...].firstIndex(of: 0x0A) {
                    do throws(AuditError) {
                        if carry.isEmpty {
                            try body(index, UnsafeRawBufferPointer(rebasing: buffer[start..<newline]))
                        } else {
                            carry += buffer[start..<newline]
                            try withLine(carry, body: { line throws(AuditError) in try body(index, line) })
                            carry.removeAll(keepingCapacity: true)
                        }
                    } catch {
                        return .failure(error)
                    }
                    index += 1
                    start = newline + 1
                }
                carry += buffer[start...]
                return .success(())
            }
            try result.get()
        }
        if !carry.isEmpty {
            throw .badEntry(file: path, index: index, reason: "the last line has no newline (\(carry.count) bytes): a write was cut short")
        }
    }
}
