/// Byte counts come from file systems (a sparse file may claim up to 2^63 − 1 bytes, and a few of them overflow
/// 64 bits together) and from peers' listings (a broken or hostile node can list any number). Sums and products
/// of them stop at the largest value, differences at zero, instead of trapping. One copy for every module of the
/// package: ftpd's quotas, the cluster's accounting and the bot's totals.
extension UInt64 {
    package func subtractingClamped(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }

    package func addingClamped(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = self.addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    package func multipliedClamped(by factor: UInt64) -> UInt64 {
        let (product, overflow) = self.multipliedReportingOverflow(by: factor)
        return overflow ? .max : product
    }
}
