// The benchmark's "direct" column: Mbed TLS's PSA Crypto core called in this
// process through its own (renamed, SPM-mode) PSA functions, with no client
// library, no SPM and no partition in between. Its own translation unit,
// compiled with the core's configuration; this header shows no PSA type, so
// the benchmark's client side (psa/crypto.h in client mode) can include it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bastion::bench {

// Imports the AES-256 and P-256 keys (volatile, an owner no client has).
// The core must be initialised (the Secure Manager's crypto partition does
// it). Returns false when the core refuses.
bool DirectSetUp(const uint8_t aes_key[32], const uint8_t ec_private_key[32]);
void DirectTearDown();

bool DirectSha256(const uint8_t* message, size_t size, uint8_t digest[32]);
// AES-256-GCM with a 12-byte nonce, no additional data; `out` takes size + 16.
bool DirectGcmEncrypt(const uint8_t nonce[12], const uint8_t* message, size_t size, uint8_t* out);
// ECDSA(SHA-256) over a 32-byte digest; raw r || s signature (64 bytes).
bool DirectSign(const uint8_t digest[32], uint8_t signature[64]);
bool DirectVerify(const uint8_t digest[32], const uint8_t signature[64]);

}  // namespace bastion::bench
