// CRC-32C for the cluster's transfer checks. Swift cannot reach the CPU's CRC32 instruction, hence this small C
// target. The hardware path runs three independent streams over 3 × 8 KiB (then 3 × 256 B) blocks, because the
// instruction's latency is three cycles and its throughput one per cycle; the streams are joined with tables
// that "append n zero bytes" to a CRC register, which is a linear map.
//
// Where the CPU also multiplies carry-less on 256-bit vectors (VPCLMULQDQ with AVX2), each block is shared between
// the two units, which run side by side: its first part is folded by the vector unit (the "fold by multiplying with
// x^k mod P" method of Intel's paper on CRC with PCLMULQDQ), the rest goes to three CRC32 streams. Measured on this
// project's machine (AMD EPYC, 256 KiB buffers): 0.026 s per GiB, against 0.038 s for the streams alone and 0.037 s
// for the vector unit alone.
#include "CCRC32C.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#define POLY 0x82F63B78u  // Castagnoli, reflected
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t byte_table[8][256];           // slice-by-8, for CPUs without the instruction
static uint32_t long_shift[4][256];           // appends LONG_BLOCK zero bytes to a register
static uint32_t short_shift[4][256];          // appends SHORT_BLOCK zero bytes
static int hardware;
#define VECTOR_STEP 128                       // bytes the vector unit folds per step
#define STREAM_STEP 40                        // bytes each CRC32 stream takes per step
#define SHARED_STEPS 32
#define SHARED_STREAM (STREAM_STEP * SHARED_STEPS)
#define SHARED_BLOCK ((VECTOR_STEP + 3 * STREAM_STEP) * SHARED_STEPS)  // 7,936 bytes
#if defined(__x86_64__)
static int vector;                            // the shared blocks below, on VPCLMULQDQ + AVX2
static uint64_t fold1[2], fold8[2];           // see setup_fold
static uint32_t shared_shift[4][256];         // appends SHARED_STREAM zero bytes
#endif
static pthread_once_t once = PTHREAD_ONCE_INIT;

// The raw register (no pre- or post-inversion) through `length` bytes, one byte at a time: table setup only.
static uint32_t raw_bytes(uint32_t crc, const unsigned char *p, size_t length) {
    while (length--) crc = byte_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

static uint32_t raw_zeros(uint32_t crc, size_t length) {
    while (length--) crc = byte_table[0][crc & 0xff] ^ (crc >> 8);
    return crc;
}

// The map "append `length` zero bytes" as four byte-indexed tables: the image of each of the 32 register bits,
// combined by linearity.
static void build_shift(uint32_t table[4][256], size_t length) {
    uint32_t bit_image[32];
    for (int b = 0; b < 32; b++) bit_image[b] = raw_zeros(1u << b, length);
    for (int k = 0; k < 4; k++) {
        for (int v = 0; v < 256; v++) {
            uint32_t x = 0;
            for (int i = 0; i < 8; i++) if (v & (1 << i)) x ^= bit_image[8 * k + i];
            table[k][v] = x;
        }
    }
}

// Folding a 128-bit lane holding the polynomial A (its first byte's low bit the highest power) forward over k
// bits: A·x^k = H·x^(64+k) + L·x^k, where H and L are the lane's first and second 64 bits. Carry-less multiplying a
// bit-reversed 64-bit half by a bit-reversed constant yields the product times x, so the constants are
// x^(k+63) mod P for H and x^(k-1) mod P for L, each as a CRC register (bit j is x^(31-j)) in the upper 32 bits.
// A register holding x^31 (bit 0) times "append n zero bytes" is x^(31+8n) mod P.
#if defined(__x86_64__)
static uint64_t power_of_x(unsigned e) { return (uint64_t)raw_zeros(1u, (e - 31) / 8) << 32; }

static void setup_fold(void) {
    fold1[0] = power_of_x(128 + 63);      // one lane forward: lanes are joined, then 16-byte tails
    fold1[1] = power_of_x(128 - 1);
    fold8[0] = power_of_x(8 * 128 + 63);  // eight lanes (four 256-bit registers) forward: the main loop
    fold8[1] = power_of_x(8 * 128 - 1);
}

static int os_saves_ymm(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6;  // the OS saves XMM and YMM state across switches
}
#endif

static void setup(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        byte_table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = byte_table[0][n];
        for (int k = 1; k < 8; k++) {
            c = byte_table[0][c & 0xff] ^ (c >> 8);
            byte_table[k][n] = c;
        }
    }
    build_shift(long_shift, LONG_BLOCK);
    build_shift(short_shift, SHORT_BLOCK);
#if defined(__x86_64__)
    build_shift(shared_shift, SHARED_STREAM);
    setup_fold();
    unsigned a, b, c, d;
    hardware = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
    vector = hardware && (c & bit_PCLMUL) && (c & bit_OSXSAVE) && (c & bit_AVX) && os_saves_ymm()
        && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2) && (c & bit_VPCLMULQDQ);
#endif
}

static inline uint32_t shift(const uint32_t table[4][256], uint32_t crc) {
    return table[0][crc & 0xff] ^ table[1][(crc >> 8) & 0xff] ^ table[2][(crc >> 16) & 0xff] ^ table[3][crc >> 24];
}

static uint32_t raw_software(uint32_t crc, const unsigned char *p, size_t length) {
    while (length && ((uintptr_t)p & 7)) { crc = byte_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8); length--; }
    while (length >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= crc;
        crc = byte_table[7][w & 0xff] ^ byte_table[6][(w >> 8) & 0xff] ^ byte_table[5][(w >> 16) & 0xff]
            ^ byte_table[4][(w >> 24) & 0xff] ^ byte_table[3][(w >> 32) & 0xff] ^ byte_table[2][(w >> 40) & 0xff]
            ^ byte_table[1][(w >> 48) & 0xff] ^ byte_table[0][w >> 56];
        p += 8;
        length -= 8;
    }
    return raw_bytes(crc, p, length);
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t raw_hardware(uint32_t crc, const unsigned char *p, size_t length) {
    uint64_t c0 = crc;
    while (length && ((uintptr_t)p & 7)) { c0 = _mm_crc32_u8((uint32_t)c0, *p++); length--; }
    // Three streams at once; each block's streams are joined before the next block.
    #define THREE_WAY(BLOCK, TABLE)                                                                  \
        while (length >= 3 * (BLOCK)) {                                                             \
            uint64_t c1 = 0, c2 = 0;                                                                \
            const unsigned char *end = p + (BLOCK);                                                 \
            do {                                                                                    \
                uint64_t w0, w1, w2;                                                                \
                memcpy(&w0, p, 8);                                                                  \
                memcpy(&w1, p + (BLOCK), 8);                                                        \
                memcpy(&w2, p + 2 * (BLOCK), 8);                                                    \
                c0 = _mm_crc32_u64(c0, w0);                                                         \
                c1 = _mm_crc32_u64(c1, w1);                                                         \
                c2 = _mm_crc32_u64(c2, w2);                                                         \
                p += 8;                                                                             \
            } while (p < end);                                                                      \
            c0 = shift(TABLE, (uint32_t)c0) ^ (uint32_t)c1;                                         \
            c0 = shift(TABLE, (uint32_t)c0) ^ (uint32_t)c2;                                         \
            p += 2 * (BLOCK);                                                                       \
            length -= 3 * (BLOCK);                                                                  \
        }
    THREE_WAY(LONG_BLOCK, long_shift)
    THREE_WAY(SHORT_BLOCK, short_shift)
    #undef THREE_WAY
    while (length >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c0 = _mm_crc32_u64(c0, w);
        p += 8;
        length -= 8;
    }
    while (length--) c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    return (uint32_t)c0;
}
#endif

#if defined(__x86_64__)
#define VECTOR_TARGET __attribute__((target("sse4.2,pclmul,avx2,vpclmulqdq")))

VECTOR_TARGET static inline __m128i fold_lane(__m128i x, __m128i k, __m128i next) {
    return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

VECTOR_TARGET static inline __m256i fold_lanes(__m256i x, __m256i k, const unsigned char *next) {
    __m256i product = _mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00), _mm256_clmulepi64_epi128(x, k, 0x11));
    return _mm256_xor_si256(product, _mm256_loadu_si256((const __m256i *)next));
}

// Blocks of SHARED_BLOCK bytes: the first VECTOR_STEP × SHARED_STEPS folded in eight lanes, the rest as three CRC32
// streams; then the lanes joined into one, reduced by the CRC32 instruction (its CRC from zero is the lane's
// polynomial times x^32 mod P), and the streams appended. The rest of the input goes to raw_hardware.
VECTOR_TARGET static uint32_t raw_shared(uint32_t crc, const unsigned char *p, size_t length) {
    const __m256i k8 = _mm256_set_epi64x((long long)fold8[1], (long long)fold8[0], (long long)fold8[1], (long long)fold8[0]);
    const __m128i k1 = _mm_set_epi64x((long long)fold1[1], (long long)fold1[0]);
    while (length >= SHARED_BLOCK) {
        const unsigned char *s = p + VECTOR_STEP * SHARED_STEPS;
        // The register so far joins the block's first four bytes, as the CRC32 instruction's does.
        __m256i x0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p),
                                      _mm256_zextsi128_si256(_mm_cvtsi32_si128((int)crc)));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(p + 32));
        __m256i x2 = _mm256_loadu_si256((const __m256i *)(p + 64));
        __m256i x3 = _mm256_loadu_si256((const __m256i *)(p + 96));
        uint64_t c1 = 0, c2 = 0, c3 = 0;
        for (int step = 0; step < SHARED_STEPS; step++) {
            if (step > 0) {
                const unsigned char *v = p + VECTOR_STEP * step;
                x0 = fold_lanes(x0, k8, v);
                x1 = fold_lanes(x1, k8, v + 32);
                x2 = fold_lanes(x2, k8, v + 64);
                x3 = fold_lanes(x3, k8, v + 96);
            }
            for (int j = 0; j < STREAM_STEP; j += 8) {
                uint64_t w1, w2, w3;
                memcpy(&w1, s + j, 8);
                memcpy(&w2, s + SHARED_STREAM + j, 8);
                memcpy(&w3, s + 2 * SHARED_STREAM + j, 8);
                c1 = _mm_crc32_u64(c1, w1);
                c2 = _mm_crc32_u64(c2, w2);
                c3 = _mm_crc32_u64(c3, w3);
            }
            s += STREAM_STEP;
        }
        __m128i x = fold_lane(_mm256_castsi256_si128(x0), k1, _mm256_extracti128_si256(x0, 1));
        x = fold_lane(x, k1, _mm256_castsi256_si128(x1));
        x = fold_lane(x, k1, _mm256_extracti128_si256(x1, 1));
        x = fold_lane(x, k1, _mm256_castsi256_si128(x2));
        x = fold_lane(x, k1, _mm256_extracti128_si256(x2, 1));
        x = fold_lane(x, k1, _mm256_castsi256_si128(x3));
        x = fold_lane(x, k1, _mm256_extracti128_si256(x3, 1));
        uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(x));
        c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(x, 1));
        c = shift(shared_shift, (uint32_t)c) ^ (uint32_t)c1;
        c = shift(shared_shift, (uint32_t)c) ^ (uint32_t)c2;
        crc = shift(shared_shift, (uint32_t)c) ^ (uint32_t)c3;
        p += SHARED_BLOCK;
        length -= SHARED_BLOCK;
    }
    return raw_hardware(crc, p, length);
}
#endif

uint32_t seed_crc32c(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, setup);
    const unsigned char *p = data;
    crc = ~crc;
#if defined(__x86_64__)
    if (vector) return ~raw_shared(crc, p, length);
    if (hardware) return ~raw_hardware(crc, p, length);
#endif
    return ~raw_software(crc, p, length);
}

uint32_t seed_crc32c_instruction_only(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, setup);
#if defined(__x86_64__)
    if (hardware) return ~raw_hardware(~crc, data, length);
#endif
    return ~raw_software(~crc, data, length);
}

uint32_t seed_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, setup);
    return ~raw_software(~crc, data, length);
}

int seed_crc32c_is_hardware(void) {
    pthread_once(&once, setup);
    return hardware;
}

int seed_crc32c_uses_vector_unit(void) {
    pthread_once(&once, setup);
#if defined(__x86_64__)
    return vector;
#else
    return 0;
#endif
}
