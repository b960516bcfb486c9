public import PinModel

/// Streaming git blob id: SHA-1 over `blob <size>\0` followed by the content.
///
/// The size goes into the header first, so it must be known before the first byte: the Hub's
/// tree listing gives it. Feeding a different number of bytes than declared yields no id.
public struct GitBlobHasher: Sendable {
    private var box: DigestContext
    public let declaredSize: Int64
    public private(set) var bytesHashed: Int64 = 0

    public init(size: Int64) {
        precondition(size >= 0, "a blob size is never negative")
        declaredSize = size
        box = DigestContext(.sha1)
        Array("blob \(size)\0".utf8).withUnsafeBytes { box.update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if !isKnownUniquelyReferenced(&box) {
            box = DigestContext(copying: box)
        }
        box.update(bytes)
        bytesHashed += Int64(bytes.count)
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The blob id, or nil when the bytes fed so far are not exactly `declaredSize` long
    /// (the header would then describe some other object).
    public func finalize() -> GitBlobID? {
        guard bytesHashed == declaredSize else { return nil }
        return GitBlobID(bytes: box.peek())
    }

    /// One-shot convenience.
    public static func id(of bytes: some Collection<UInt8>) -> GitBlobID {
        var hasher = GitBlobHasher(size: Int64(bytes.count))
        hasher.update(bytes)
        return hasher.finalize()!
    }
}
