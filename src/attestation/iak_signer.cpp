#include "attestation/iak_signer.h"

#include <cstring>

#include "crypto/ecdsa_der.h"

namespace bastion::attestation {

IakSigner::~IakSigner() { SecureWipe(seed_, sizeof(seed_)); }

Status IakSigner::Init(std::span<const uint8_t, 32> attestation_seed) {
  ready_ = false;
  std::memcpy(seed_, attestation_seed.data(), sizeof(seed_));
  Status s = DeriveIakPublicKey(seed_, &public_key_);
  if (s.ok()) s = IakKeyHash(public_key_, key_hash_);
  if (!s.ok()) {
    SecureWipe(seed_, sizeof(seed_));
    return s;
  }
  ready_ = true;
  return StatusCode::kOk;
}

psa_status_t IakSigner::SignHash(std::span<const uint8_t, 32> sha256,
                                 std::span<uint8_t, kSignatureSize> raw_signature) {
  if (!ready_) return PSA_ERROR_SERVICE_FAILURE;
  crypto::EcKeyPair pair;  // wipes its scalar on destruction
  uint8_t scalar[kIakPrivateKeySize];
  uint8_t der[crypto::kMaxDerSignatureSize];
  size_t der_size = 0;
  bool ok = DeriveIakPrivateKey(seed_, scalar).ok();
  if (ok) {
    pair.public_key = public_key_;
    std::memcpy(pair.scalar.data(), scalar, sizeof(scalar));
    ok = crypto::EcdsaSign(pair, sha256, der, &der_size).ok() &&
         crypto::EcdsaDerToRaw(ConstByteSpan(der, der_size), 32, raw_signature).ok();
  }
  SecureWipe(scalar, sizeof(scalar));
  SecureWipe(pair.scalar.data(), pair.scalar.size());
  if (!ok) {
    SecureWipe(raw_signature.data(), raw_signature.size());
    return PSA_ERROR_SERVICE_FAILURE;
  }
  return PSA_SUCCESS;
}

}  // namespace bastion::attestation
