// The fixed signing keys shared by the COSE fuzzer and its seed generator:
// P-256 and P-384 keys drawn from a CTR-DRBG seeded with constant bytes, so
// seeds signed by cose_corpus_gen verify inside the fuzzer.
#pragma once

#include <cstdint>

#include "crypto/crypto.h"

namespace bastion::fuzz {

inline bool CoseFuzzKey(crypto::Curve curve, crypto::EcKeyPair* out) {
  crypto::Drbg drbg;
  uint8_t seed[48];
  for (uint32_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(0x3c ^ i);
  const uint8_t personalization[] = {'c', 'o', 's', 'e', '-', 'f', 'u', 'z', 'z'};
  if (!drbg.Seed(seed, personalization).ok()) return false;
  crypto::EcKeyPair p256;
  if (!drbg.GenerateKeyPair(crypto::Curve::kP256, &p256).ok()) return false;
  if (curve == crypto::Curve::kP256) {
    *out = p256;
    return true;
  }
  return drbg.GenerateKeyPair(crypto::Curve::kP384, out).ok();
}

}  // namespace bastion::fuzz
