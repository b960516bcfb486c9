/// A byte range of a resource, both ends included (HTTP's convention).
public struct ByteRange: Hashable, Sendable {
    public let first: Int64
    public let last: Int64

    public init(first: Int64, last: Int64) {
        precondition(first >= 0 && last >= first, "an empty or negative byte range")
        self.first = first
        self.last = last
    }

    public var count: Int64 { last - first + 1 }
}
