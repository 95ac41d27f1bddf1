// AES-256-GCM over Mbed TLS's GCM module. A file of its own so that only
// what seals or opens links GCM: the boot stages' copies of the facade
// (bastion_crypto_variant) do not compile it.
#include <cstring>

#include "crypto/crypto.h"
#include "mbedtls/gcm.h"

namespace bastion::crypto {
namespace {

// Owns an mbedtls_gcm_context keyed for AES-256 for one operation; wipes it
// (the key schedule and the hash subkey table) when done.
class GcmContext {
 public:
  explicit GcmContext(std::span<const uint8_t, kAeadKeySize> key) {
    // Where Mbed TLS has its cipher layer (the Secure Manager's PSA core),
    // GCM allocates its cipher context: from the arena.
    Init();
    mbedtls_gcm_init(&ctx_);
    ok_ = mbedtls_gcm_setkey(&ctx_, MBEDTLS_CIPHER_ID_AES, key.data(), kAeadKeySize * 8) == 0;
  }
  ~GcmContext() {
    mbedtls_gcm_free(&ctx_);
    SecureWipe(&ctx_, sizeof(ctx_));
  }
  GcmContext(const GcmContext&) = delete;
  GcmContext& operator=(const GcmContext&) = delete;
  bool ok() const { return ok_; }
  mbedtls_gcm_context* get() { return &ctx_; }

 private:
  mbedtls_gcm_context ctx_;
  bool ok_ = false;
};

}  // namespace

Status AeadSeal(std::span<const uint8_t, kAeadKeySize> key,
                std::span<const uint8_t, kAeadNonceSize> nonce, ConstByteSpan aad,
                ConstByteSpan plaintext, ByteSpan ciphertext,
                std::span<uint8_t, kAeadTagSize> tag) {
  if (plaintext.size() != ciphertext.size()) return StatusCode::kInvalidArgument;
  GcmContext gcm(key);
  if (!gcm.ok()) return StatusCode::kInternal;
  if (mbedtls_gcm_crypt_and_tag(gcm.get(), MBEDTLS_GCM_ENCRYPT, plaintext.size(), nonce.data(),
                                nonce.size(), aad.data(), aad.size(), plaintext.data(),
                                ciphertext.data(), tag.size(), tag.data()) != 0) {
    SecureWipe(ciphertext.data(), ciphertext.size());
    return StatusCode::kInternal;
  }
  return StatusCode::kOk;
}

Status AeadOpen(std::span<const uint8_t, kAeadKeySize> key,
                std::span<const uint8_t, kAeadNonceSize> nonce, ConstByteSpan aad,
                ConstByteSpan ciphertext, std::span<const uint8_t, kAeadTagSize> tag,
                ByteSpan plaintext) {
  if (plaintext.size() != ciphertext.size()) return StatusCode::kInvalidArgument;
  GcmContext gcm(key);
  if (!gcm.ok()) return StatusCode::kInternal;
  // Mbed TLS decrypts, then compares the tag in constant time and zeroes the
  // output when it differs; the wipe below does not rely on that.
  const int ret = mbedtls_gcm_auth_decrypt(gcm.get(), ciphertext.size(), nonce.data(), nonce.size(),
                                           aad.data(), aad.size(), tag.data(), tag.size(),
                                           ciphertext.data(), plaintext.data());
  if (ret == 0) return StatusCode::kOk;
  SecureWipe(plaintext.data(), plaintext.size());
  return ret == MBEDTLS_ERR_GCM_AUTH_FAILED ? StatusCode::kUnauthenticated : StatusCode::kInternal;
}

}  // namespace bastion::crypto
