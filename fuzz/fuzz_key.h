// The fixed signing keys shared by the fuzzers and their seed generators:
// P-256 and P-384 keys drawn from a CTR-DRBG seeded with constant bytes, so
// seeds signed by a *_corpus_gen verify inside its fuzzer. Each fuzzer has
// its own constants (its own keys).
#pragma once

#include <cstdint>

#include "crypto/crypto.h"

namespace bastion::fuzz {

// The key for `curve` from the DRBG seeded with bytes (seed_xor ^ i) and
// `personalization`.
inline bool FuzzKey(crypto::Curve curve, uint8_t seed_xor, ConstByteSpan personalization,
                    crypto::EcKeyPair* out) {
  crypto::Drbg drbg;
  uint8_t seed[48];
  for (uint32_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(seed_xor ^ i);
  if (!drbg.Seed(seed, personalization).ok()) return false;
  crypto::EcKeyPair p256;
  if (!drbg.GenerateKeyPair(crypto::Curve::kP256, &p256).ok()) return false;
  if (curve == crypto::Curve::kP256) {
    *out = p256;
    return true;
  }
  return drbg.GenerateKeyPair(crypto::Curve::kP384, out).ok();
}

// The image parser fuzzer's key (image_corpus_gen signs its seeds with it).
inline bool ImageFuzzKey(crypto::Curve curve, crypto::EcKeyPair* out) {
  const uint8_t personalization[] = {'i', 'm', 'a', 'g', 'e', '-', 'f', 'u', 'z', 'z'};
  return FuzzKey(curve, 0xb5, personalization, out);
}

// The COSE and revocation fuzzers' key (cose_corpus_gen signs with it).
inline bool CoseFuzzKey(crypto::Curve curve, crypto::EcKeyPair* out) {
  const uint8_t personalization[] = {'c', 'o', 's', 'e', '-', 'f', 'u', 'z', 'z'};
  return FuzzKey(curve, 0x3c, personalization, out);
}

}  // namespace bastion::fuzz
