#ifndef SEED_CCRC32C_H
#define SEED_CCRC32C_H

#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli, the iSCSI/ext4/GCS checksum) of `length` bytes at `data`, continuing from `crc` (0 to
/// start): seed_crc32c(seed_crc32c(0, a, n), b, m) is the CRC of a followed by b. Uses the CPU's CRC32
/// instruction (SSE 4.2) on three interleaved streams where the CPU has it, beside carry-less multiplication on
/// 256-bit vectors (VPCLMULQDQ, AVX2) where it has that too, a table-driven loop otherwise. Thread-safe.
uint32_t seed_crc32c(uint32_t crc, const void *data, size_t length);

/// `seed_crc32c` on the table-driven loop whatever the CPU: what CPUs without the instruction run (for tests).
uint32_t seed_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// `seed_crc32c` on the CRC32 instruction's streams alone, without the vector unit (for tests); the table-driven
/// loop on CPUs without the instruction.
uint32_t seed_crc32c_instruction_only(uint32_t crc, const void *data, size_t length);

/// Whether `seed_crc32c` runs on the CPU's CRC32 instruction (for benchmarks and logs).
int seed_crc32c_is_hardware(void);

/// Whether `seed_crc32c` also runs the vector unit's carry-less multiplication (for benchmarks and logs).
int seed_crc32c_uses_vector_unit(void);

#endif
