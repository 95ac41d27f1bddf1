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

// Key `which` (0..3) of `curve`, made once per process (key generation is
// slow) and shared by every caller.
inline const crypto::EcKeyPair& CachedKey(crypto::Curve curve, int which) {
  static crypto::EcKeyPair keys[2][4];
  static bool made[2][4] = {};
  const int c = curve == crypto::Curve::kP256 ? 0 : 1;
  EXPECT_TRUE(which >= 0 && which < 4);
  if (!made[c][which]) {
    keys[c][which] = MakeKey(curve, static_cast<uint8_t>(0xc0 + 4 * c + which));
    made[c][which] = true;
  }
  return keys[c][which];
}
inline const crypto::EcKeyPair& P256(int which = 0) {
  return CachedKey(crypto::Curve::kP256, which);
}
inline const crypto::EcKeyPair& P384(int which = 0) {
  return CachedKey(crypto::Curve::kP384, which);
}

// The key's SubjectPublicKeyInfo DER (what provisioning takes).
inline std::vector<uint8_t> Spki(const crypto::EcPublicKey& key) {
  std::vector<uint8_t> der(crypto::kMaxSpkiDerSize);
  size_t n = 0;
  EXPECT_TRUE(crypto::WritePublicKeySpki(key, der, &n).ok());
  der.resize(n);
  return der;
}
inline std::vector<uint8_t> Spki(const crypto::EcKeyPair& key) { return Spki(key.public_key); }

// SHA-256 of the SPKI: the OTP key-slot value and the COSE kid.
inline std::array<uint8_t, 32> Kid(const crypto::EcKeyPair& key) {
  const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, Spki(key));
  std::array<uint8_t, 32> kid{};
  std::memcpy(kid.data(), d.bytes.data(), 32);
  return kid;
}

}  // namespace bastion::test_support
