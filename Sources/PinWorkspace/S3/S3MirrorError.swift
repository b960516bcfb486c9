public import PinModel

/// What can go wrong between the workspace and an S3 mirror that PinS3 does not already say.
public enum S3MirrorError: ModelpinError {
    /// A blob in the store no longer hashes to its name: never published.
    case storeBlobDamaged(path: String, expected: SHA256Digest, actual: SHA256Digest, size: Int64, expectedSize: Int64)

    public var kind: FailureKind {
        .refused
    }

    public var description: String {
        switch self {
        case .storeBlobDamaged(let path, _, _, _, _): "the store's blob of `\(path)` does not match the lock; it was not uploaded"
        }
    }

    public var causes: [String] {
        switch self {
        case .storeBlobDamaged(_, let expected, let actual, let size, let expectedSize):
            ["expected: \(expected) (\(expectedSize) bytes)", "actual:   \(actual) (\(size) bytes)"]
        }
    }

    public var hint: String? {
        "run `modelpin store verify`, then pull the model again"
    }
}
