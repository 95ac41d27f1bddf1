// Secrets and facts handed from one boot stage to the next through RAM
// regions that the hardware hides once the level rises (temporal isolation).
//
//   iROT  -> uROT : UrotHandoff in kHandoff (owner HDPL1), HDPL1 seed from the HUK
//   uROT  -> SM   : SmHandoff in kSmHandoff (owner HDPL2), storage and attestation seeds
//
// uROT wipes kHandoff before it raises the level to HDPL2; the platform
// refuses access to each region once the level is past its owner.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "platform/platform.h"

namespace bastion::boot {

constexpr uint32_t kUrotHandoffMagic = 0x71d04c9e;
constexpr uint32_t kSmHandoffMagic = 0x3ea8b215;

struct UrotHandoff {
  uint32_t magic;
  uint32_t lifecycle;
  uint8_t hdpl1_seed[32];  // HKDF(HUK) for uROT and below; never leaves HDPL1
  uint32_t crc;
};
static_assert(sizeof(UrotHandoff) == 44);

struct SmHandoff {
  uint32_t magic;
  uint32_t lifecycle;
  uint8_t storage_key[32];       // root of Internal Trusted Storage keys
  uint8_t attestation_seed[32];  // seed of the initial attestation key
  uint32_t crc;
};
static_assert(sizeof(SmHandoff) == 76);

// Writes / reads (checking magic and CRC) the handoffs. Read returns kOk,
// kDataLoss (missing or corrupt), or the RAM error (kPermissionDenied once
// the level is past the owner).
Status WriteUrotHandoff(platform::SharedRam& ram, UrotHandoff* handoff);
Status ReadUrotHandoff(platform::SharedRam& ram, UrotHandoff* handoff);
Status WriteSmHandoff(platform::SharedRam& ram, SmHandoff* handoff);
Status ReadSmHandoff(platform::SharedRam& ram, SmHandoff* handoff);
// Zeroes a handoff region if the current level can still reach it.
void WipeHandoff(platform::SharedRam& ram, platform::RamRegion region);

}  // namespace bastion::boot
