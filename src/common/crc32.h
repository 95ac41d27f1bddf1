// CRC-32 (IEEE 802.3, reflected, as zlib) for integrity of RAM structures
// such as the boot report and the request mailbox. Not a security check.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace bastion {

uint32_t Crc32(ConstByteSpan data, uint32_t crc = 0);

}  // namespace bastion
