// The three flash geometries the power-fail tests run on, each with a
// DefaultLayout that fits (header only).
#pragma once

#include <cstdint>
#include <vector>

#include "platform/platform.h"
#include "virtual_device/virtual_device.h"

namespace bastion::test_support {

struct NamedGeometry {
  const char* name;
  platform::FlashGeometry geometry;
};

// 4 KiB sectors / 8-byte units, the default (8 KiB / 16 B), 128 KiB / 32 B.
// DefaultLayout of 128 KiB sectors needs 3.4 MiB: that flash gets 4 MiB.
inline std::vector<NamedGeometry> TestGeometries() {
  constexpr uint32_t kMiB = 1024 * 1024;
  return {
      {"4KiB/8B", {2 * kMiB, 4096, 8, 0xff}},
      {"8KiB/16B (default)", host::DefaultGeometry()},
      {"128KiB/32B", {4 * kMiB, 128 * 1024, 32, 0xff}},
  };
}

}  // namespace bastion::test_support
