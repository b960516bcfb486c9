/// The largest file modelpin accepts, wherever a size enters: a Hub tree listing, a lockfile,
/// a mirror or a server's Content-Length and Content-Range.
///
/// 1 TiB. The largest single files published on the Hub are shards of tens of GiB (a 405B
/// model in bf16 is split into ~5 GiB files; unsplit GGUF files reach ~250 GiB), so this leaves
/// ample room, while keeping every sum and part count modelpin computes far from Int64's limit:
/// a declared 2^62 or 2^63−1 would otherwise overflow an offset or ask for billions of parts.
public enum FileSizeLimit {
    public static let maximum: Int64 = 1 << 40
    /// The most one model (all its files together) may declare: 1 PiB.
    public static let maximumTotal: Int64 = 1 << 50

    /// Why `size` cannot be a file's size, or nil if it can.
    public static func problem(_ size: Int64) -> String? {
        if size < 0 { return "a size cannot be negative (\(size))" }
        if size > maximum { return "\(size) bytes is more than modelpin accepts for one file (\(maximum) bytes, 1 TiB)" }
        return nil
    }

    /// The sum of `sizes` (each already checked), or why they cannot all be one model's.
    public static func total(_ sizes: some Sequence<Int64>) -> Result<Int64, TotalTooLarge> {
        var total: Int64 = 0
        for size in sizes {
            let (sum, overflow) = total.addingReportingOverflow(size)
            guard !overflow, sum <= maximumTotal else { return .failure(TotalTooLarge()) }
            total = sum
        }
        return .success(total)
    }

    public struct TotalTooLarge: Error, Sendable, CustomStringConvertible {
        public var description: String { "the files add up to more than modelpin accepts for one model (\(FileSizeLimit.maximumTotal) bytes, 1 PiB)" }
    }
}
