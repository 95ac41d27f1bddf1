// libFuzzer target: ParseKeyFile on arbitrary bytes (PEM or DER, private or
// public), with both outputs. Checks the promises of its header: only
// kOk / kNotFound / kInvalidArgument, a public key on its curve that round
// trips through SubjectPublicKeyInfo, a private key that matches its public
// key, and the same answer when the private output is not asked for.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "crypto/crypto.h"

namespace {

namespace crypto = bastion::crypto;
using bastion::StatusCode;

bool SamePoint(const crypto::EcPublicKey& a, const crypto::EcPublicKey& b) {
  return a.curve == b.curve && a.point_size == b.point_size &&
         std::memcmp(a.point.data(), b.point.data(), a.point_size) == 0;
}

void CheckPublic(const crypto::EcPublicKey& key) {
  uint8_t der[crypto::kMaxSpkiDerSize];
  size_t written = 0;
  if (!crypto::WritePublicKeySpki(key, der, &written).ok()) __builtin_trap();
  crypto::EcPublicKey again;
  if (!crypto::ParsePublicKeySpki(bastion::ConstByteSpan(der, written), &again).ok())
    __builtin_trap();
  if (!SamePoint(key, again)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bastion::ConstByteSpan contents(data, size);
  crypto::EcPublicKey pub;
  crypto::EcKeyPair priv;
  const StatusCode code = crypto::ParseKeyFile(contents, &pub, &priv).code();
  if (code != StatusCode::kOk && code != StatusCode::kNotFound &&
      code != StatusCode::kInvalidArgument) {
    __builtin_trap();
  }

  crypto::EcPublicKey pub_only;
  const StatusCode code_pub_only = crypto::ParseKeyFile(contents, &pub_only, nullptr).code();
  if ((code == StatusCode::kInvalidArgument) != (code_pub_only == StatusCode::kInvalidArgument)) {
    __builtin_trap();
  }
  if (code == StatusCode::kInvalidArgument) return 0;
  if (code_pub_only != StatusCode::kOk || !SamePoint(pub, pub_only)) __builtin_trap();
  CheckPublic(pub);
  if (code == StatusCode::kNotFound) return 0;

  // A private key: its public key is the one reported, and it signs what
  // that public key verifies.
  if (!SamePoint(priv.public_key, pub)) __builtin_trap();
  const crypto::Digest digest =
      crypto::Hash(crypto::CurveHash(pub.curve), bastion::ConstByteSpan(data, size));
  uint8_t sig[crypto::kMaxEcdsaDerSigSize];
  size_t sig_size = 0;
  if (!crypto::EcdsaSign(priv, digest.view(), sig, &sig_size).ok()) __builtin_trap();
  if (crypto::EcdsaVerify(pub, digest.view(), bastion::ConstByteSpan(sig, sig_size)) !=
      bastion::HardenedBool::kTrue) {
    __builtin_trap();
  }
  return 0;
}
