#ifndef SEED_COPENSSL_SHIM_H
#define SEED_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/ec.h>

// Function-like macros do not import into Swift: thin inline wrappers.
static inline int seed_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long seed_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int seed_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int seed_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline int seed_BIO_pending(BIO *b) { return BIO_pending(b); }
static inline uint64_t seed_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return (uint64_t)SSL_OP_CIPHER_SERVER_PREFERENCE; }
// EVP_EC_gen is a macro over a variadic function.
static inline EVP_PKEY *seed_generate_p256_key(void) { return EVP_EC_gen("P-256"); }
#endif
