// Who may touch what at which hide-protection level: the rules both the
// virtual device and the target port enforce.
//
//   flash key store          read at HDPL <= 2, never written after provisioning
//   urot swap status area,   HDPL 0 (iROT's own boot state)
//   urot counter store
//   urot slots               HDPL <= 1
//   sm/app swap status area, HDPL <= 1 (uROT's own boot state)
//   sm/app counter store
//   sm/app slots, storage    HDPL <= 2
//   anything else            nobody (an access must lie inside one region)
//   OTP header               read at any level, programmed at HDPL 0
//   OTP HDPL0 area           HDPL 0 only
//   OTP HDPL1 area           HDPL <= 1
//   RAM mailbox, boot report any level; handoff HDPL <= 1; SM handoff HDPL <= 2
//   HUK                      HDPL 0 only
#pragma once

#include <cstddef>
#include <cstdint>

#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::platform {

bool FlashAccessAllowed(const otp::FlashLayout& layout, Hdpl level, uint32_t address, size_t size,
                        bool write);
bool OtpAccessAllowed(Hdpl level, uint32_t offset, size_t size, bool write);
// The highest level that may still use a RAM region.
Hdpl RamRegionOwner(RamRegion region);

}  // namespace bastion::platform
