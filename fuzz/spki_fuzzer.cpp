// libFuzzer target: ParsePublicKeySpki on arbitrary bytes. A key it accepts
// must be written back byte for byte by WritePublicKeySpki (DER has one
// encoding per key, and Bastion hashes these bytes), and must be a key the
// verifier accepts as such.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "crypto/crypto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace crypto = bastion::crypto;
  crypto::EcPublicKey key;
  if (!crypto::ParsePublicKeySpki(bastion::ConstByteSpan(data, size), &key).ok()) return 0;

  if (key.point_size != 1 + 2 * crypto::CoordinateSize(key.curve) || key.point[0] != 0x04) {
    __builtin_trap();
  }
  uint8_t out[crypto::kMaxSpkiDerSize];
  size_t written = 0;
  if (!crypto::WritePublicKeySpki(key, out, &written).ok()) __builtin_trap();
  if (written != size || std::memcmp(out, data, size) != 0) __builtin_trap();

  // A well-formed key still refuses a signature that is not one.
  const uint8_t digest[32] = {};
  const uint8_t not_a_signature[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
  if (crypto::EcdsaVerify(key, digest, not_a_signature) != bastion::HardenedBool::kFalse) {
    __builtin_trap();
  }
  return 0;
}
