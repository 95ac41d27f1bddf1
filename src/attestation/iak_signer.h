// IakSigner: the token signer over the crypto facade. It keeps a copy of
// the attestation seed (wiped on destruction), derives the IAK's private
// scalar for each signature and wipes it right after, and keeps the public
// key and its hash.
//
// The Secure Manager signs with the crypto partition's built-in IAK
// instead (the same key); this signer serves host tools, tests and
// benchmarks that need the IAK without a Secure Manager.
#pragma once

#include <cstdint>
#include <span>

#include "attestation/iak.h"
#include "attestation/token.h"
#include "common/status.h"
#include "crypto/crypto.h"

namespace bastion::attestation {

class IakSigner final : public TokenSigner {
 public:
  IakSigner() = default;
  ~IakSigner();
  IakSigner(const IakSigner&) = delete;
  IakSigner& operator=(const IakSigner&) = delete;

  // Takes a copy of `attestation_seed` and derives the public key. Returns
  // kOk, or what DeriveIakPublicKey returns (the signer then stays unready
  // and SignHash answers PSA_ERROR_SERVICE_FAILURE).
  Status Init(std::span<const uint8_t, 32> attestation_seed);

  bool ready() const { return ready_; }
  const crypto::EcPublicKey& public_key() const { return public_key_; }
  // SHA-256 of the public key's uncompressed point (IakKeyHash).
  std::span<const uint8_t, kKeyHashSize> key_hash() const { return key_hash_; }

  // ES256 over `sha256`. PSA_SUCCESS, or PSA_ERROR_SERVICE_FAILURE when not
  // ready or when the facade fails.
  psa_status_t SignHash(std::span<const uint8_t, 32> sha256,
                        std::span<uint8_t, kSignatureSize> raw_signature) override;

 private:
  uint8_t seed_[32] = {};
  crypto::EcPublicKey public_key_{};
  uint8_t key_hash_[kKeyHashSize] = {};
  bool ready_ = false;
};

}  // namespace bastion::attestation
