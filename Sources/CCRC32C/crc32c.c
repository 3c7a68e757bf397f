// CRC-32C for the cluster's transfer checks. Swift cannot reach the CPU's CRC32 instruction, hence this small C
// target. The hardware path runs three independent streams over 3 × 8 KiB (then 3 × 256 B) blocks, because the
// instruction's latency is three cycles and its throughput one per cycle; the streams are joined with tables
// that "append n zero bytes" to a CRC register, which is a linear map.
#include "CCRC32C.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

#define POLY 0x82F63B78u  // Castagnoli, reflected
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256

static uint32_t byte_table[8][256];           // slice-by-8, for CPUs without the instruction
static uint32_t long_shift[4][256];           // appends LONG_BLOCK zero bytes to a register
static uint32_t short_shift[4][256];          // appends SHORT_BLOCK zero bytes
static int hardware;
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
    unsigned a, b, c, d;
    hardware = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2);
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

uint32_t seed_crc32c(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, setup);
    const unsigned char *p = data;
    crc = ~crc;
#if defined(__x86_64__)
    if (hardware) return ~raw_hardware(crc, p, length);
#endif
    return ~raw_software(crc, p, length);
}

uint32_t seed_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&once, setup);
    return ~raw_software(~crc, data, length);
}

int seed_crc32c_is_hardware(void) {
    pthread_once(&once, setup);
    return hardware;
}
