#if canImport(Glibc)
import Glibc
#endif

/// Keeps glibc's malloc from handing a transfer process's buffers back to the kernel after every chunk.
///
/// Transfers allocate buffers of 256 KiB to 1 MiB (socket reads, file reads ahead, TLS records, relayed chunks) on
/// one thread and free them on another. With glibc's defaults those sizes are mmap'ed or, once the threshold has
/// adapted, trimmed off the top of the thread's heap as soon as they are freed, so the next chunk faults the same
/// memory back in page by page, each page cleared by the kernel. Measured (`Docs/benchmarks.md`): ftpd's CPU per GiB
/// fell from 0.78 to 0.66 s for FTPS RETR and from 1.98 to 1.39 s for FTPS STOR; ftpbot's share-link relay from
/// 0.85–1.43 to 0.75–0.77 s per GiB downloaded.
///
/// It changes process-wide allocator settings, so only executables call it, once, before their first transfer
/// (`ftpd serve`, `ftpbot`); a library embedding FTPKit decides for its own process. The cost is memory that stays
/// with the process after a burst of transfers: at most `trimThreshold` of free space on top of each malloc arena,
/// which the next transfers reuse. Elsewhere than glibc it does nothing.
public enum AllocatorTuning {
    /// Allocations below this come from the heap instead of their own mapping.
    public static let mmapThreshold: Int32 = 4 << 20
    /// Free space on top of a heap is returned to the kernel only beyond this.
    public static let trimThreshold: Int32 = 32 << 20

    /// Applies the thresholds unless the operator chose their own through glibc's environment variables
    /// (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`).
    public static func apply() {
        #if canImport(Glibc)
        // `mallopt` and its constants live in <malloc.h>, which the Glibc module does not export; the values are
        // glibc's stable ABI (M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        if getenv("MALLOC_TRIM_THRESHOLD_") == nil { _ = mallopt(-1, Self.trimThreshold) }
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = mallopt(-3, Self.mmapThreshold) }
        #endif
    }
}
