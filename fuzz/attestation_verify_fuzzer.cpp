// The host attestation verifier (host/attestation_verify) on arbitrary
// bytes. The first byte picks the entry point:
//   even: ParseClaims on the rest (the claims map: every claim, the
//         software components, Bastion's revocation claim);
//   odd:  VerifyToken on the rest with the IAK of a fixed seed (the
//         COSE_Sign1 envelope, kid and signature checks, then the claims
//         when a signature verifies: the seed tokens do).
// Whatever is accepted must hold what the verifier promises.
// Seeds live in fuzz/corpus/attestation: a token `bastion device attest`
// made with that seed's key and its claims map, each behind its mode byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attestation/iak.h"
#include "attestation_verify/attestation_verify.h"

namespace {

using namespace bastion;

void Check(bool condition) {
  if (!condition) std::abort();
}

bool HashSize(size_t n) { return n == 32 || n == 48 || n == 64; }

void CheckClaims(const attest::Claims& c) {
  Check(HashSize(c.nonce.size()));
  Check(c.instance_id.size() == 33 && c.instance_id[0] == 0x01);
  Check(c.client_id != 0);
  Check(c.implementation_id.size() == 32);
  Check(c.boot_seed.size() >= 8 && c.boot_seed.size() <= 32);
  Check(!c.software_components.empty());
  for (const attest::SoftwareComponent& s : c.software_components) {
    Check(HashSize(s.measurement_value.size()) && HashSize(s.signer_id.size()));
  }
  if (c.revocation) {
    for (const attest::DomainState& d : *c.revocation) {
      Check(!d.readable || (d.revoked_slots & d.provisioned_slots) == 0);
      Check(!d.readable || d.records_used <= d.records_capacity);
    }
  }
}

const crypto::EcPublicKey& Iak() {
  static const crypto::EcPublicKey key = [] {
    uint8_t seed[32];
    for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(0xa5 ^ i);
    crypto::EcPublicKey k;
    Check(attestation::DeriveIakPublicKey(seed, &k).ok());
    return k;
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ConstByteSpan rest(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    attest::Claims claims;
    if (attest::ParseClaims(rest, &claims).empty()) CheckClaims(claims);
  } else {
    attest::Token token;
    attest::Expectations expect;
    if (attest::VerifyToken(rest, Iak(), expect, &token).empty()) CheckClaims(token.claims);
  }
  return 0;
}
