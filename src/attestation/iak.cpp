#include "attestation/iak.h"

#include "common/hardened.h"
#include "crypto/crypto.h"

namespace bastion::attestation {
namespace {

// The order n of the P-256 group (SEC 2, big-endian).
constexpr uint8_t kP256Order[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

// 0 < d < n, without branching on the secret's bytes.
bool InRange(std::span<const uint8_t, 32> d) {
  uint32_t nonzero = 0;
  int32_t less = 0;  // settled once the first differing byte is seen
  uint32_t settled = 0;
  for (size_t i = 0; i < 32; ++i) {
    nonzero |= d[i];
    const int32_t diff = static_cast<int32_t>(d[i]) - static_cast<int32_t>(kP256Order[i]);
    const uint32_t differs = static_cast<uint32_t>(diff != 0);
    const uint32_t take = differs & ~settled;
    less |= static_cast<int32_t>(take & static_cast<uint32_t>(diff < 0));
    settled |= differs;
  }
  return nonzero != 0 && less != 0;
}

}  // namespace

Status DeriveIakPrivateKey(std::span<const uint8_t, 32> attestation_seed,
                           std::span<uint8_t, kIakPrivateKeySize> private_key) {
  static constexpr char kLabel[] = "bastion iak p256";
  uint8_t info[sizeof(kLabel)];  // label without its NUL, then the counter
  for (size_t i = 0; i + 1 < sizeof(kLabel); ++i) info[i] = static_cast<uint8_t>(kLabel[i]);
  for (unsigned counter = 0; counter < 256; ++counter) {
    info[sizeof(info) - 1] = static_cast<uint8_t>(counter);
    const Status s = crypto::HkdfSha256({}, attestation_seed, info, private_key);
    if (!s.ok()) {
      SecureWipe(private_key.data(), private_key.size());
      return s;
    }
    if (InRange(private_key)) return Status::Ok();
  }
  SecureWipe(private_key.data(), private_key.size());
  return Status(StatusCode::kInternal);
}

Status DeriveIakPublicKey(std::span<const uint8_t, 32> attestation_seed,
                          crypto::EcPublicKey* public_key) {
  uint8_t scalar[kIakPrivateKeySize];
  Status s = DeriveIakPrivateKey(attestation_seed, scalar);
  if (s.ok()) {
    crypto::EcKeyPair pair;
    s = crypto::KeyPairFromPrivateScalar(crypto::Curve::kP256, scalar, &pair);
    if (s.ok()) *public_key = pair.public_key;
  }
  SecureWipe(scalar, sizeof(scalar));
  return s;
}

Status IakKeyHash(const crypto::EcPublicKey& public_key, std::span<uint8_t, 32> hash) {
  if (public_key.curve != crypto::Curve::kP256 || public_key.point_size != 65 ||
      public_key.point[0] != 0x04) {
    return StatusCode::kInvalidArgument;
  }
  const crypto::Digest digest = crypto::Hash(
      crypto::HashAlg::kSha256, ConstByteSpan(public_key.point.data(), public_key.point_size));
  if (digest.size != hash.size()) return StatusCode::kInternal;
  for (size_t i = 0; i < hash.size(); ++i) hash[i] = digest.bytes[i];
  return StatusCode::kOk;
}

}  // namespace bastion::attestation
