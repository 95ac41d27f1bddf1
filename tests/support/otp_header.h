// Writes a complete OTP header holding `layout` into a virtual device (so the
// access policy and the stages know the regions); nothing else provisioned.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "virtual_device/virtual_device.h"

namespace bastion::test_support {

inline void ProgramLayoutHeader(host::VirtualDevice& device, const otp::FlashLayout& layout) {
  host::WriteLayoutHeader(device, layout);
}

}  // namespace bastion::test_support
