import NIOCore
import PinWorkspace

#if canImport(Glibc)
import Glibc
#endif

/// A store blob opened for sending: `O_NOFOLLOW` (a link planted where the blob was is not
/// followed) and held to the identity the catalog checked — the same device, inode and size,
/// and a regular file — so bytes swapped in after the check are never sent.
///
/// Opened by hand rather than through NIOFileHandle(path:): NIO's opener takes no O_NOFOLLOW and
/// its replacement (NIOFileSystem) is async-only, while a FileRegion needs an NIOFileHandle.
final class OpenedBlob: Sendable {
    let handle: NIOFileHandle
    let size: Int64

    struct Refusal: Error {
        let reason: String
    }

    init(_ blob: ServedBlob) throws(Refusal) {
        let descriptor = open(blob.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw Refusal(reason: "cannot open \(blob.path): \(String(cString: strerror(errno)))") }
        guard let identity = FileIdentity(descriptor: descriptor) else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Refusal(reason: "cannot stat \(blob.path): \(reason)")
        }
        guard identity.regular, identity.device == blob.device, identity.inode == blob.inode, identity.size == blob.size
        else {
            close(descriptor)
            throw Refusal(reason: "\(blob.path) is no longer the file that was checked (device, inode or size changed)")
        }
        handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        size = blob.size
    }

    deinit {
        try? handle.close()
    }
}
