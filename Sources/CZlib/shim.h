#ifndef SEED_CZLIB_SHIM_H
#define SEED_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit/deflateInit are macros (they pass the library version and struct size): thin wrappers.
static inline int seed_inflateInit(z_streamp stream) { return inflateInit(stream); }
static inline int seed_deflateInit(z_streamp stream, int level) { return deflateInit(stream, level); }
#endif
