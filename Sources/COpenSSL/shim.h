/* System OpenSSL libcrypto (Debian: libssl-dev): digests, the CSPRNG, constant-time compare. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/sha.h>

/* SHA-256 of `input` into `out` (32 bytes), with the context on the caller's stack: the low-level
   functions, which OpenSSL 3 keeps (deprecated, never removed in 3.x) and which run the same
   assembly as the EVP layer, without what OpenSSL 3.0 adds to every EVP_DigestInit: a context
   allocated, zeroed, wiped and freed, and a provider dispatch. SHA256_Final wipes the buffered
   input (a secret); what remains in the context is the digest itself. 1 on success. */
static inline int ta_sha256(const void *input, size_t length, unsigned char *out)
{
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    SHA256_CTX context;

    return SHA256_Init(&context) == 1
           && SHA256_Update(&context, input, length) == 1
           && SHA256_Final(out, &context) == 1;
#pragma clang diagnostic pop
}

/* SHA-256 of `input` into `out` (32 bytes) through EVP, so that OpenSSL chooses the provider: the
   FIPS provider when the default properties ask for it. 1 on success. */
static inline int ta_sha256_provided(const void *input, size_t length, unsigned char *out)
{
    unsigned int size = 0;

    return EVP_Digest(input, length, out, &size, EVP_sha256(), NULL) == 1 && size == 32;
}
