// Deterministic test keys and the encodings Bastion stores for them, shared
// by the unit tests (header only).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "crypto/crypto.h"

namespace bastion::test_support {

// A key pair derived from `seed` alone: the same seed gives the same key.
inline crypto::EcKeyPair MakeKey(crypto::Curve curve, uint8_t seed) {
  std::array<uint8_t, 48> entropy{};
  entropy.fill(seed);
  crypto::Drbg drbg;
  EXPECT_TRUE(drbg.Seed(entropy, {}).ok());
  crypto::EcKeyPair key;
  EXPECT_TRUE(drbg.GenerateKeyPair(curve, &key).ok());
  return key;
}
inline crypto::EcKeyPair MakeKey(uint8_t seed) { return MakeKey(crypto::Curve::kP256, seed); }

// The key's SubjectPublicKeyInfo DER (what provisioning takes).
inline std::vector<uint8_t> Spki(const crypto::EcKeyPair& key) {
  std::vector<uint8_t> der(crypto::kMaxSpkiDerSize);
  size_t n = 0;
  EXPECT_TRUE(crypto::WritePublicKeySpki(key.public_key, der, &n).ok());
  der.resize(n);
  return der;
}

// SHA-256 of the SPKI: the OTP key-slot value and the COSE kid.
inline std::array<uint8_t, 32> Kid(const crypto::EcKeyPair& key) {
  const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, Spki(key));
  std::array<uint8_t, 32> kid{};
  std::memcpy(kid.data(), d.bytes.data(), 32);
  return kid;
}

}  // namespace bastion::test_support
