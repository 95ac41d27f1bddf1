// libFuzzer target: ParseCoseSign / ParseCoseSign1 on arbitrary bytes and,
// when a message parses, VerifySigner for every signer against a fixed key
// of the signer's curve. The first input byte picks the structure (bit 2:
// COSE_Sign1) and the tag policy (bits 0-1); the rest is the message.
#include <cstddef>
#include <cstdint>

#include "cose/cose.h"
#include "fuzz_key.h"

namespace {

using bastion::ConstByteSpan;
using bastion::HardenedBool;
namespace cose = bastion::cose;
namespace crypto = bastion::crypto;

const crypto::EcPublicKey& Key(cose::Algorithm alg) {
  static crypto::EcKeyPair keys[2];
  static bool made = false;
  if (!made) {
    if (!bastion::fuzz::CoseFuzzKey(crypto::Curve::kP256, &keys[0]) ||
        !bastion::fuzz::CoseFuzzKey(crypto::Curve::kP384, &keys[1])) {
      __builtin_trap();
    }
    made = true;
  }
  return keys[alg == cose::Algorithm::kEs256 ? 0 : 1].public_key;
}

bool Within(ConstByteSpan inner, ConstByteSpan outer) {
  return inner.empty() || (inner.data() >= outer.data() &&
                           inner.data() + inner.size() <= outer.data() + outer.size());
}

void CheckSigner(const cose::CoseSigner& s, ConstByteSpan message) {
  if (s.signature.size() != cose::SignatureSize(s.alg) || s.kid.empty() ||
      s.kid.size() > cose::kMaxKidSize || s.protected_header.empty() ||
      s.protected_header.size() > cose::kMaxProtectedHeaderSize || !Within(s.kid, message) ||
      !Within(s.signature, message) || !Within(s.protected_header, message)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto policy = static_cast<cose::TagPolicy>((data[0] & 3) % 3);
  const bool sign1 = (data[0] & 4) != 0;
  const ConstByteSpan message(data + 1, size - 1);
  bastion::cbor::CborError detail = bastion::cbor::CborError::kOk;

  if (sign1) {
    cose::ParsedCoseSign1 parsed;
    const cose::CoseError error = cose::ParseCoseSign1(message, policy, &parsed, &detail);
    if (cose::CoseErrorName(error)[0] == '\0') __builtin_trap();
    if (error != cose::CoseError::kOk) return 0;
    CheckSigner(parsed.signer, message);
    if (!Within(parsed.payload, message)) __builtin_trap();
    const HardenedBool verdict = cose::VerifyCoseSign1(parsed, Key(parsed.signer.alg));
    if (verdict != HardenedBool::kTrue && verdict != HardenedBool::kFalse) __builtin_trap();
    return 0;
  }

  cose::ParsedCoseSign parsed;
  const cose::CoseError error = cose::ParseCoseSign(message, policy, &parsed, &detail);
  if (cose::CoseErrorName(error)[0] == '\0') __builtin_trap();
  if (error != cose::CoseError::kOk) return 0;
  if (parsed.signer_count == 0 || parsed.signer_count > cose::kMaxSigners ||
      !Within(parsed.payload, message) || !Within(parsed.body_protected, message)) {
    __builtin_trap();
  }
  for (size_t i = 0; i < parsed.signer_count; ++i) {
    CheckSigner(parsed.signers[i], message);
    const HardenedBool verdict = cose::VerifySigner(parsed, i, Key(parsed.signers[i].alg));
    if (verdict != HardenedBool::kTrue && verdict != HardenedBool::kFalse) __builtin_trap();
  }
  if (cose::VerifySigner(parsed, parsed.signer_count, Key(cose::Algorithm::kEs256)) !=
      HardenedBool::kFalse) {
    __builtin_trap();
  }
  return 0;
}
