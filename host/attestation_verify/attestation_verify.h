// A verifier of PSA attestation tokens (RFC 9783, profile
// "tag:psacertified.org,2023:psa#tfm"), written from RFC 9783, EAT (RFC
// 9711) and COSE (RFC 9052), for host tools and tests. Every byte of a
// token is hostile.
//
// VerifyToken checks, in this order, and stops at the first failure:
//   1. the COSE_Sign1 (tagged or not): strict CBOR, protected alg ES256,
//      at most 8 KiB (src/cose's rules, which also require a kid); the kid
//      must be the SHA-256 of the IAK's uncompressed point;
//   2. the signature with the IAK's public key;
//   3. the claims (ParseClaims): one strict CBOR map, no duplicate keys, every
//      claim of RFC 9783 with its type and size; claims it does not know
//      are skipped (they must still be well-formed CBOR);
//   4. the profile, the instance id against the IAK, and the nonce when the
//      caller expects one.
// Bastion's private claim (-80001, the key domains' revocation state) is
// decoded when present and must then follow its schema
// (docs/attestation.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "crypto/crypto.h"

namespace bastion::attest {

struct SoftwareComponent {
  std::optional<std::string> measurement_type;         // 1
  std::vector<uint8_t> measurement_value;              // 2 (32, 48 or 64 bytes)
  std::optional<std::string> version;                  // 4
  std::vector<uint8_t> signer_id;                      // 5 (32, 48 or 64 bytes)
  std::optional<std::string> measurement_description;  // 6
};

// One key domain of Bastion's revocation claim.
struct DomainState {
  std::string name;
  std::string serves;
  bool readable = false;
  // When readable:
  uint32_t sequence = 0;
  uint8_t revoked_slots = 0;
  uint8_t provisioned_slots = 0;
  uint8_t records_used = 0;
  uint8_t records_capacity = 0;
};

struct Claims {
  std::vector<uint8_t> nonce;                          // 10
  std::vector<uint8_t> instance_id;                    // 256 (33 bytes, 0x01 || key hash)
  std::string profile;                                 // 265
  int32_t client_id = 0;                               // 2394
  uint16_t security_lifecycle = 0;                     // 2395
  std::vector<uint8_t> implementation_id;              // 2396 (32 bytes)
  std::vector<uint8_t> boot_seed;                      // 2397 (8..32 bytes)
  std::optional<std::string> certification_reference;  // 2398
  std::vector<SoftwareComponent> software_components;  // 2399
  std::optional<std::string> verification_service;     // 2400
  std::optional<std::vector<DomainState>> revocation;  // -80001
  size_t unknown_claims = 0;                           // claims skipped
};

struct Token {
  std::vector<uint8_t> kid;  // SHA-256 of the IAK public key
  Claims claims;
};

// What a verifier asks for besides the signature.
struct Expectations {
  std::optional<std::vector<uint8_t>> nonce;
};

// Parses a claims map. Returns "" and fills *out, or why it is refused.
std::string ParseClaims(ConstByteSpan payload, Claims* out);

// Verifies `token` with `iak` (a P-256 public key). Returns "" and fills
// *out, or one line saying why the token is refused.
std::string VerifyToken(ConstByteSpan token, const crypto::EcPublicKey& iak,
                        const Expectations& expect, Token* out);

// SHA-256 of a P-256 public key's uncompressed point (the kid and the
// instance id's key hash).
std::vector<uint8_t> KeyHash(const crypto::EcPublicKey& key);

// "secured", "non-psa-rot-debug", ... for a security lifecycle's major
// state, "unknown" for anything RFC 9783 does not define.
const char* LifecycleName(uint16_t security_lifecycle);
// Whether RFC 9783 lets a verifier trust the PSA RoT in that state
// (SECURED or NON_PSA_ROT_DEBUG).
bool LifecycleTrustworthy(uint16_t security_lifecycle);

}  // namespace bastion::attest
