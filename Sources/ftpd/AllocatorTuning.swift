#if canImport(Glibc)
import Glibc

/// Keeps glibc's malloc from handing the server's transfer buffers back to the kernel after every chunk.
///
/// Transfers allocate buffers of 256 KiB to 1 MiB (file reads ahead, TLS records, decrypted uploads) on one
/// thread and free them on another. With glibc's defaults those sizes are mmap'ed or, once the threshold has
/// adapted, trimmed off the top of the thread's heap as soon as they are freed, so the next chunk faults the
/// same memory back in page by page: about 55,000 page faults per GiB of FTPS upload, each page cleared by the
/// kernel. Measured (alternating A/B, 1 GiB over FTPS with curl, `Docs/benchmarks.md`): the server's CPU per GiB
/// fell from 0.78 to 0.66 s for RETR and from 1.98 to 1.39 s for STOR with the thresholds below.
///
/// The cost is memory that stays with the process after a burst of transfers: at most `trimThreshold` of free
/// space on top of each malloc arena (glibc keeps up to 8 arenas per core), which the next transfers reuse.
enum AllocatorTuning {
    /// Allocations below this come from the heap instead of their own mapping.
    static let mmapThreshold: Int32 = 4 << 20
    /// Free space on top of a heap is returned to the kernel only beyond this.
    static let trimThreshold: Int32 = 32 << 20

    /// Applies the thresholds unless the operator chose their own through glibc's environment variables.
    static func apply() {
        // `mallopt` and its constants live in <malloc.h>, which the Glibc module does not export; the values are
        // glibc's stable ABI (M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        if getenv("MALLOC_TRIM_THRESHOLD_") == nil { _ = mallopt(-1, Self.trimThreshold) }
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = mallopt(-3, Self.mmapThreshold) }
    }
}
#else
enum AllocatorTuning {
    static func apply() {}
}
#endif
