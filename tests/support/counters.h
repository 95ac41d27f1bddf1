// The security counter a virtual device holds for a component, read from its
// counter store with no HDPL check (tests).
#pragma once

#include <cstdint>

#include "counters/counter_store.h"
#include "otp/otp_map.h"
#include "virtual_device/virtual_device.h"

namespace bastion::test_support {

// The counter, or UINT32_MAX when the store cannot be read (no live sector).
inline uint32_t StoredCounter(const host::VirtualDevice& device, const otp::FlashLayout& layout,
                              otp::Component c) {
  host::RawFlashReader flash(device);
  uint32_t value = 0;
  if (!counters::ReadCounter(flash, otp::CounterStoreArea(layout, c), c, &value).ok()) {
    return UINT32_MAX;
  }
  return value;
}

}  // namespace bastion::test_support
