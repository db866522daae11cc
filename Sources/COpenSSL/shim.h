/* System OpenSSL libcrypto (Debian: libssl-dev): digests, the CSPRNG, constant-time compare. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
