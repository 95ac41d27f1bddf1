// The fixed key domain the revocation fuzzer checks commands against, shared
// with its seed generator: signing slot 0 = the COSE fuzz P-256 key, slot 1 =
// the COSE fuzz P-384 key, slot 2 provisioned with no key in the store and
// revoked by the one committed record (sequence 5, marker not yet written),
// slot 3 blank; authority slot 0 revoked; threshold 2.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "fuzz_key.h"
#include "keys/key_domain.h"
#include "revocation/revocation.h"

namespace bastion::fuzz {

constexpr uint32_t kFuzzStoredSequence = 5;
inline constexpr std::array<uint8_t, 32> kFuzzInstanceId = {
    0x1e, 0x55, 0xa0, 0x7c, 0x31, 0x99, 0x02, 0xfe, 0x6b, 0xd4, 0x47, 0x80, 0x13, 0xc2, 0x5a, 0x0e,
    0x88, 0x21, 0xf7, 0x3d, 0x64, 0xb9, 0x0a, 0x5c, 0xe2, 0x17, 0x4f, 0x93, 0x6d, 0xa8, 0x30, 0xcb};

inline bool FuzzSlotHash(const crypto::EcPublicKey& key, uint8_t (&hash)[32]) {
  uint8_t der[crypto::kMaxSpkiDerSize];
  size_t n = 0;
  if (!crypto::WritePublicKeySpki(key, der, &n).ok()) return false;
  const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(der, n));
  std::memcpy(hash, d.bytes.data(), 32);
  return true;
}

// The fuzz keys (P-256, P-384) and the domain built from them.
inline bool FuzzDomain(crypto::EcKeyPair (&keys)[2], keys::KeyDomain* out) {
  if (!CoseFuzzKey(crypto::Curve::kP256, &keys[0]) ||
      !CoseFuzzKey(crypto::Curve::kP384, &keys[1])) {
    return false;
  }
  keys::KeyDomain d;
  d.component = otp::Component::kApp;
  d.raw.configured = otp::kDomainConfiguredMarker;
  d.raw.config.threshold = 2;
  for (size_t i = 0; i < 2; ++i) {
    if (!FuzzSlotHash(keys[i].public_key, d.raw.signing[i].key_hash)) return false;
    d.raw.signing[i].provisioned = otp::kSlotProvisionedMarker;
  }
  std::memset(d.raw.signing[2].key_hash, 0x22, 32);
  d.raw.signing[2].provisioned = otp::kSlotProvisionedMarker;
  std::memset(d.raw.authority[0].key_hash, 0xaa, 32);
  d.raw.authority[0].provisioned = otp::kSlotProvisionedMarker;
  d.raw.authority[0].revoked = otp::kSlotRevokedMarker;
  // The stored sequence is a committed record revoking slot 2 whose marker
  // is not written yet (a roll-forward pending).
  d.raw.revocations[0] = otp::MakeRevocationRecord(kFuzzStoredSequence, 1u << 2);
  for (size_t i = 0; i < otp::kSigningSlots; ++i) {
    d.signing[i] = keys::ClassifySigningSlot(d.raw, i, 1u << 2);
  }
  d.recorded_revocations = 1u << 2;
  for (size_t i = 0; i < otp::kAuthoritySlots; ++i) {
    d.authority[i] = keys::ClassifySlot(d.raw.authority[i]);
  }
  d.revocation_sequence = kFuzzStoredSequence;
  *out = d;
  return true;
}

}  // namespace bastion::fuzz
