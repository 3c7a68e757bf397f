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

// Sealing TLS records ourselves (``RecordSealer``): OpenSSL's kernel-TLS interface, offered by our own BIO.
//
// With SSL_OP_ENABLE_KTLS, OpenSSL asks the write BIO to take over record encryption once the application keys
// are in place (BIO_ctrl 72 with the keys in the kernel's `tls12_crypto_info_*` layout), and from then on hands
// it plaintext, naming the record type before any record that is not application data (BIO_ctrl 74). A socket
// BIO passes that to the kernel; ours seals the records into the outgoing buffer itself. That spares the two
// copies OpenSSL's own path makes (plaintext into its record buffer, records out of it into ours). The control
// numbers are OpenSSL's internal ones (include/internal/bio.h, listed in a comment of <openssl/bio.h>); the key
// layout is the kernel's UAPI (<linux/tls.h>), stable by the kernel's rules.
#if defined(__linux__) && !defined(OPENSSL_NO_KTLS)
#include <linux/tls.h>
#include <string.h>
#define SEED_BIO_CTRL_SET_KTLS 72
#define SEED_BIO_CTRL_GET_KTLS_SEND 73
#define SEED_BIO_CTRL_SET_KTLS_TX_SEND_CTRL_MSG 74
#define SEED_BIO_CTRL_CLEAR_KTLS_TX_CTRL_MSG 75
#define SEED_BIO_CTRL_GET_KTLS_RECV 76
static inline int seed_record_sealing_available(void) { return 1; }
#else
#define SEED_BIO_CTRL_SET_KTLS (-1000)
#define SEED_BIO_CTRL_GET_KTLS_SEND (-1001)
#define SEED_BIO_CTRL_SET_KTLS_TX_SEND_CTRL_MSG (-1002)
#define SEED_BIO_CTRL_CLEAR_KTLS_TX_CTRL_MSG (-1003)
#define SEED_BIO_CTRL_GET_KTLS_RECV (-1004)
static inline int seed_record_sealing_available(void) { return 0; }
#endif

/// The keys OpenSSL hands the BIO, read out of the kernel's layout. `cipher` is 0 for anything not sealed here
/// (TLS 1.2, AES-CCM, ARIA, SM4): the BIO then declines and OpenSSL keeps encrypting itself.
typedef struct {
    int cipher;               // 1 AES-128-GCM, 2 AES-256-GCM, 3 ChaCha20-Poly1305; 0 not sealed here
    unsigned char key[32];
    int keyLength;
    unsigned char iv[12];     // the 12-byte static IV (TLS 1.3: salt then iv)
    unsigned char sequence[8]; // the next record's sequence number, big-endian
} seed_record_keys;

static inline void seed_read_record_keys(const void *info, seed_record_keys *out) {
    memset(out, 0, sizeof(*out));
#if defined(__linux__) && !defined(OPENSSL_NO_KTLS)
    const struct tls_crypto_info *head = (const struct tls_crypto_info *)info;
    if (head->version != TLS_1_3_VERSION) return;
    switch (head->cipher_type) {
    case TLS_CIPHER_AES_GCM_128: {
        const struct tls12_crypto_info_aes_gcm_128 *k = info;
        out->cipher = 1; out->keyLength = 16; memcpy(out->key, k->key, 16);
        memcpy(out->iv, k->salt, 4); memcpy(out->iv + 4, k->iv, 8); memcpy(out->sequence, k->rec_seq, 8);
        break;
    }
    case TLS_CIPHER_AES_GCM_256: {
        const struct tls12_crypto_info_aes_gcm_256 *k = info;
        out->cipher = 2; out->keyLength = 32; memcpy(out->key, k->key, 32);
        memcpy(out->iv, k->salt, 4); memcpy(out->iv + 4, k->iv, 8); memcpy(out->sequence, k->rec_seq, 8);
        break;
    }
#ifdef TLS_CIPHER_CHACHA20_POLY1305
    case TLS_CIPHER_CHACHA20_POLY1305: {
        const struct tls12_crypto_info_chacha20_poly1305 *k = info;
        out->cipher = 3; out->keyLength = 32; memcpy(out->key, k->key, 32);
        memcpy(out->iv, k->iv, 12); memcpy(out->sequence, k->rec_seq, 8);
        break;
    }
#endif
    default: break;
    }
#else
    (void)info;
#endif
}
static inline uint64_t seed_SSL_OP_ENABLE_KTLS(void) {
#ifdef SSL_OP_ENABLE_KTLS
    return (uint64_t)SSL_OP_ENABLE_KTLS;
#else
    return 0;
#endif
}
#endif
