public import PinModel
import PinDigest
public import SystemPackage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A single-file OCI image layout (`export --oci-archive FILE.tar`; what `skopeo copy …
/// oci-archive:FILE.tar` reads): `oci-layout`, `index.json` naming every snapshot manifest by
/// `org.opencontainers.image.ref.name` and every referrer (with `dev.modelpin.artifact-type`),
/// and `blobs/sha256/<hex>` for every blob once, in digest order. Same artifacts, same bytes.
public enum OCIArchive {
    public enum Failure: Error, Sendable, Equatable {
        case io(FilePath, Errno)
        case tar(FilePath, TarWriter.Failure)
    }

    /// `index.json` of `artifacts`: model manifests by reference name, then referrers, sorted.
    public static func index(of artifacts: [SnapshotArtifacts]) -> [UInt8] {
        var entries: [Descriptor] = []
        for snapshot in artifacts {
            entries.append(snapshot.manifest.descriptor)
            entries += snapshot.referrers.map(\.manifest.descriptor)
        }
        var seen = Set<String>()
        entries = entries.filter { seen.insert("\($0.digest) \($0.annotations?[SnapshotManifest.Key.refName] ?? "")").inserted }
        entries.sort { ($0.annotations?[SnapshotManifest.Key.refName] ?? "~", $0.digest.hex) < ($1.annotations?[SnapshotManifest.Key.refName] ?? "~", $1.digest.hex) }
        return SnapshotManifest.encode(ImageIndex(manifests: entries))
    }

    public static let layoutMarker = SnapshotManifest.encode(OCILayoutMarker(imageLayoutVersion: OCILayoutMarker.supportedVersion))

    /// Writes the archive to a temp file beside `destination`, flushes it and renames it into
    /// place: a reader sees no archive or a whole one. Returns the archive's size.
    @discardableResult
    public static func write(_ artifacts: [SnapshotArtifacts], to destination: FilePath) throws(Failure) -> Int64 {
        let directory = destination.removingLastComponent()
        let temporary = directory.appending(".\(destination.lastComponent?.string ?? "archive").\(randomSuffix()).tmp")
        let output: FileDescriptor
        do {
            output = try FileDescriptor.open(
                temporary, .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec, .noFollow],
                permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw Failure.io(temporary, error as? Errno ?? .ioError)
        }
        do throws(Failure) {
            let size = try write(artifacts, into: output, name: destination)
            do {
                try output.sync()
                try output.close()
            } catch {
                throw Failure.io(temporary, error as? Errno ?? .ioError)
            }
            do throws(Errno) {
                try FileSystem.rename(temporary, to: destination)
            } catch {
                throw Failure.io(destination, error)
            }
            return size
        } catch {
            try? output.close()
            try? FileSystem.unlink(temporary)
            throw error
        }
    }

    /// The archive's members, streamed into `output`.
    static func write(_ artifacts: [SnapshotArtifacts], into output: FileDescriptor, name: FilePath) throws(Failure) -> Int64 {
        var blobs: [String: ArtifactBlob] = [:]
        for snapshot in artifacts {
            for blob in snapshot.blobsBottomUp where blobs[blob.descriptor.digest.hex] == nil {
                blobs[blob.descriptor.digest.hex] = blob
            }
        }
        var tar = TarWriter(output: output)
        do throws(TarWriter.Failure) {
            try tar.addFile("oci-layout", bytes: layoutMarker)
            try tar.addFile("index.json", bytes: index(of: artifacts))
            try tar.addDirectory("blobs")
            try tar.addDirectory("blobs/sha256")
            for hex in blobs.keys.sorted() {
                let blob = blobs[hex]!
                switch blob.bytes {
                case .memory(let bytes): try tar.addFile("blobs/sha256/\(hex)", bytes: bytes)
                case .file(let path): try tar.addFile("blobs/sha256/\(hex)", from: path, size: blob.descriptor.size)
                }
            }
            try tar.finish()
        } catch {
            throw Failure.tar(name, error)
        }
        return tar.bytesWritten
    }
}

extension OCIArchive.Failure: ModelpinError {
    public var kind: FailureKind { .operational }

    public var description: String {
        switch self {
        case .io(let path, _): "cannot write the OCI archive `\(path.string.escapedForDisplay)`"
        case .tar(let path, _): "cannot write the OCI archive `\(path.string.escapedForDisplay)`"
        }
    }

    public var causes: [String] {
        switch self {
        case .io(_, let errno): [errno.description]
        case .tar(_, .io(let errno)): [errno.description]
        case .tar(_, .sizeChanged(let source, let expected, let read)):
            ["`\(source.string.escapedForDisplay)` changed while it was copied: \(read) bytes read, \(expected) expected"]
        }
    }

    public var hint: String? {
        switch self {
        case .tar(_, .sizeChanged): "run `modelpin store verify`, then export again"
        default: "check that the directory exists, is writable and has room"
        }
    }
}
