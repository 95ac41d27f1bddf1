// libFuzzer target: ParseImage and, when it parses, VerifyImage with a
// SingleKeyResolver over a fixed key. The first input byte picks the curve
// (and the minimum security counter), the rest is the slot contents.
#include <cstddef>
#include <cstdint>

#include "fuzz_key.h"
#include "image/image.h"

namespace {

using bastion::HardenedBool;
using bastion::image::ImageError;

const bastion::crypto::EcKeyPair& Key(bastion::crypto::Curve curve) {
  static bastion::crypto::EcKeyPair keys[2];
  static bool made = false;
  if (!made) {
    if (!bastion::fuzz::ImageFuzzKey(bastion::crypto::Curve::kP256, &keys[0]) ||
        !bastion::fuzz::ImageFuzzKey(bastion::crypto::Curve::kP384, &keys[1])) {
      __builtin_trap();
    }
    made = true;
  }
  return keys[curve == bastion::crypto::Curve::kP256 ? 0 : 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const bastion::crypto::Curve curve =
      (selector & 1) != 0 ? bastion::crypto::Curve::kP384 : bastion::crypto::Curve::kP256;
  const uint32_t min_counter = (selector >> 1) & 0x7;
  const bool require_counter = (selector & 0x10) != 0;

  bastion::image::SpanImageSource source(bastion::ConstByteSpan(data + 1, size - 1));
  bastion::image::ParsedImage parsed;
  const ImageError parse_error = bastion::image::ParseImage(source, &parsed);
  if (parse_error != ImageError::kOk) return 0;
  // Invariants a successful parse promises.
  if (parsed.signed_size > parsed.total_size || parsed.total_size > source.size() ||
      !parsed.hash.present || !parsed.signature.present || !parsed.key.present) {
    __builtin_trap();
  }

  bastion::image::SingleKeyResolver resolver(Key(curve).public_key);
  bastion::image::VerifiedImage verified;
  HardenedBool decision = HardenedBool::kFalse;
  const ImageError verify_error = bastion::image::VerifyImage(
      source, parsed, resolver, min_counter, require_counter, &verified, &decision);
  if ((verify_error == ImageError::kOk) != (decision == HardenedBool::kTrue)) __builtin_trap();
  if (bastion::image::ImageErrorName(verify_error)[0] == '\0') __builtin_trap();
  return 0;
}
