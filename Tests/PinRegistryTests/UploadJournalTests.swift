import Foundation
import PinModel
import PinRegistry
import PinTestSupport
import Testing

@Suite("UploadJournal")
struct UploadJournalTests {
    static let digest = try! SHA256Digest(parsing: "sha256:" + String(repeating: "0f", count: 32))

    @Test("an entry written is read back for the same upload only")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            // Parents are made as needed: the store's registry/uploads need not exist yet.
            let journal = UploadJournal(directory: directory.appendingPathComponent("registry/uploads").path)
            let entry = UploadJournalEntry(registry: "127.0.0.1:5000", repository: "a/b", digest: Self.digest, size: 100,
                                           location: "http://127.0.0.1:5000/v2/a/b/blobs/uploads/x?_state=y", confirmed: 40)
            try journal.write(entry)
            #expect(try journal.read(registry: "127.0.0.1:5000", repository: "a/b", digest: Self.digest, size: 100) == entry)
            // Another repository, registry or size is another upload.
            #expect(try journal.read(registry: "127.0.0.1:5000", repository: "a/c", digest: Self.digest, size: 100) == nil)
            #expect(try journal.read(registry: "127.0.0.1:5001", repository: "a/b", digest: Self.digest, size: 100) == nil)
            #expect(try journal.read(registry: "127.0.0.1:5000", repository: "a/b", digest: Self.digest, size: 99) == nil)
            var later = entry
            later.confirmed = 80
            try journal.write(later)
            #expect(try journal.read(registry: "127.0.0.1:5000", repository: "a/b", digest: Self.digest, size: 100)?.confirmed == 80)
            // No temporary file is left behind by the atomic replace.
            let files = try FileManager.default.contentsOfDirectory(atPath: journal.directory)
            #expect(files.count == 1 && files[0].hasSuffix(".upload.json"))
            journal.remove(registry: "127.0.0.1:5000", repository: "a/b", digest: Self.digest)
            #expect(try journal.read(registry: "127.0.0.1:5000", repository: "a/b", digest: Self.digest, size: 100) == nil)
        }
    }

    @Test("a tampered or truncated journal file is ignored, not followed")
    func hostile() throws {
        try withTemporaryDirectory { directory in
            let journal = UploadJournal(directory: directory.path)
            let path = journal.path(registry: "r", repository: "a", digest: Self.digest)
            for text in ["{", "[]", #"{"registry":"r","repository":"a","digest":"sha256:00","size":1,"location":"x","confirmed":0}"#,
                         #"{"registry":"r","repository":"a","digest":"\#(Self.digest)","size":10,"location":"x","confirmed":11}"#,
                         #"{"registry":"r","repository":"a","digest":"\#(Self.digest)","size":10,"location":"x","confirmed":-1}"#] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
                #expect(try journal.read(registry: "r", repository: "a", digest: Self.digest, size: 10) == nil, "\(text)")
            }
        }
    }

    @Test("chunk length: our preference, raised to OCI-Chunk-Min-Length, never past the end")
    func chunkLength() {
        #expect(RegistryClient.chunkLength(preferred: 8 << 20, minimum: nil, remaining: 100 << 20) == 8 << 20)
        #expect(RegistryClient.chunkLength(preferred: 8 << 20, minimum: 16 << 20, remaining: 100 << 20) == 16 << 20)
        #expect(RegistryClient.chunkLength(preferred: 8 << 20, minimum: 1 << 20, remaining: 100 << 20) == 8 << 20)
        #expect(RegistryClient.chunkLength(preferred: 8 << 20, minimum: 16 << 20, remaining: 3) == 3)
        #expect(RegistryClient.chunkLength(preferred: 0, minimum: nil, remaining: 3) == 1)
    }
}
