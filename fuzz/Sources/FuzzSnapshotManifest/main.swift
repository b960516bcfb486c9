// The store's `index.json` and the snapshot manifests it names, which any process that can
// write the store (or a user with an editor) can forge. A manifest is either refused with a
// reason or every path in it passes `PathSafety`; what modelpin renders reads back the same;
// an index that parses re-renders to an index that parses the same, keeping every entry.
import PinModel
@_spi(Fuzzing) import PinStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshotManifest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    checkManifest(bytes)
    checkIndex(bytes)
    return 0
}

func checkManifest(_ bytes: [UInt8]) {
    guard var snapshot = try? SnapshotManifest.parse(bytes) else { return }
    precondition((try? SnapshotManifest.parse(bytes)) == snapshot, "the manifest parser is not deterministic")
    precondition(PathSafety.problems(in: snapshot.files.map(\.path)).isEmpty, "a manifest with unsafe paths was accepted")
    snapshot.manifest = nil
    let rendered = SnapshotManifest.render(snapshot)
    guard var again = try? SnapshotManifest.parse(rendered.manifest) else {
        preconditionFailure("a rendered manifest does not read back")
    }
    precondition(again.manifest == rendered.manifestDigest, "the digest of a rendered manifest is not its own")
    again.manifest = nil
    precondition(again == snapshot, "a rendered manifest reads back as another snapshot")
}

func checkIndex(_ bytes: [UInt8]) {
    guard let index = try? SnapshotIndex.parse(bytes) else { return }
    for position in 0..<index.entryCount {
        _ = index.referenceName(at: position)
        _ = try? index.descriptor(at: position)
    }
    guard let again = try? SnapshotIndex.parse(index.rendered()) else {
        preconditionFailure("a re-rendered index does not parse")
    }
    precondition(again.entryCount == index.entryCount, "re-rendering lost index entries")
    for position in 0..<index.entryCount {
        precondition(again.referenceName(at: position) == index.referenceName(at: position), "re-rendering changed a reference name")
    }
}
