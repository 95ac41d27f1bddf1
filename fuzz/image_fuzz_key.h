// The fixed signing key shared by the image fuzzer and its seed generator:
// a P-256 or P-384 key drawn from a CTR-DRBG seeded with constant bytes, so
// seeds signed by image_corpus_gen verify inside the fuzzer.
#pragma once

#include <cstdint>

#include "crypto/crypto.h"

namespace bastion::fuzz {

inline bool ImageFuzzKey(crypto::Curve curve, crypto::EcKeyPair* out) {
  crypto::Drbg drbg;
  uint8_t seed[48];
  for (uint32_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(0xb5 ^ i);
  const uint8_t personalization[] = {'i', 'm', 'a', 'g', 'e', '-', 'f', 'u', 'z', 'z'};
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
