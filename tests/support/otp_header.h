// Writes a complete OTP header holding `layout` into a virtual device (so the
// access policy and the stages know the regions); nothing else provisioned.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "otp/otp_map.h"
#include "virtual_device/virtual_device.h"

namespace bastion::test_support {

inline void ProgramLayoutHeader(host::VirtualDevice& device, const otp::FlashLayout& layout) {
  otp::OtpHeader header{};
  header.magic = otp::kOtpMagic;
  header.format_version = otp::kOtpFormatVersion;
  header.layout = layout;
  header.complete = otp::kHeaderCompleteMarker;
  std::vector<uint8_t> bytes(sizeof(header));
  std::memcpy(bytes.data(), &header, sizeof(header));
  device.FactoryProgramOtp(0, bytes);
}

}  // namespace bastion::test_support
