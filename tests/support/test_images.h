// Signed MCUboot images for the boot-level tests (header only).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "crypto/crypto.h"
#include "image/image.h"

namespace bastion::test_support {

// An image of `payload_size` pseudo-random bytes (no erased-looking runs, so
// a swap copies every byte), version major.0.0, header 0x200, SEC_CNT
// `counter`, signed with `key` (full public key TLV with `full_key`, else
// KEYHASH), carrying `revocation` in its protected TLV when given.
inline std::vector<uint8_t> SignTestImage(const crypto::EcKeyPair& key, uint8_t major,
                                          uint32_t counter, size_t payload_size,
                                          bool full_key = false,
                                          const std::vector<uint8_t>& revocation = {}) {
  std::vector<uint8_t> payload(payload_size);
  uint32_t x = 0x9e3779b9u * (major + 1) + static_cast<uint32_t>(payload_size);
  for (uint8_t& b : payload) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  image::SignOptions options;
  options.version.major = major;
  options.header_size = 0x200;
  options.pad_header = true;
  options.has_security_counter = true;
  options.security_counter = counter;
  options.full_public_key = full_key;
  if (!revocation.empty()) options.revocation = ConstByteSpan(revocation.data(), revocation.size());
  std::vector<uint8_t> out(payload.size() + 0x200 + 1024 + revocation.size());
  size_t written = 0;
  EXPECT_EQ(image::BuildSignedImage(payload, options, key, out, &written), image::BuildError::kOk);
  out.resize(written);
  return out;
}

}  // namespace bastion::test_support
