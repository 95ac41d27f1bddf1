// A device set up as the Secure Manager sees it for storage: a layout in
// OTP with a storage region of the wanted size (HDPL <= 2), the device at
// HDPL 2, an ITS store over that region and a PS store over (part of) the
// external flash, bound to a root in that ITS. Shared by the PS unit tests
// and the storage power-cut campaign.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "its/its_store.h"
#include "provisioning/provisioning.h"
#include "ps/ps_store.h"
#include "support/otp_header.h"
#include "virtual_device/virtual_device.h"

namespace bastion::test_support {

constexpr uint8_t kPsRootKey[ps::kRootKeySize] = {
    0x91, 0x0e, 0x5c, 0x27, 0xd3, 0x48, 0xaa, 0x1f, 0x60, 0xb7, 0x3d, 0x82, 0xe9, 0x14, 0x75, 0xc6,
    0x2b, 0xf0, 0x59, 0x8e, 0x07, 0xdd, 0x36, 0xa1, 0x4c, 0x93, 0xfa, 0x68, 0x15, 0xbe, 0x22, 0x7d};
constexpr uint8_t kItsKey[its::kKeySize] = {
    0x3c, 0x11, 0x9a, 0x42, 0x07, 0xe5, 0x68, 0xd0, 0x21, 0xb4, 0x5f, 0x83, 0xca, 0x16, 0x7e, 0x90,
    0x4d, 0x2b, 0xf1, 0x58, 0xa3, 0x6c, 0x09, 0xde, 0x77, 0x34, 0xbb, 0x02, 0xe8, 0x95, 0x1f, 0x60};
// The PS partition's id: the owner of the root in ITS.
constexpr int32_t kPsPartition = 3005;

// The default layout with a storage region of `sectors` sectors: the
// layout's own when large enough, else placed after its last region.
inline otp::FlashLayout StorageLayout(const platform::FlashGeometry& g, uint32_t sectors) {
  otp::FlashLayout l = host::DefaultLayout(g);
  const uint32_t want = sectors * g.sector_size;
  if (l.storage.size < want) {
    const uint32_t end = l.counters.offset + l.counters.size;
    l.storage = {end, want};
  }
  return l;
}

struct StorageGeometry {
  const char* name;
  platform::FlashGeometry internal;
  platform::FlashGeometry external;
  uint32_t its_sectors;  // of the internal storage region
  uint32_t ps_sectors;   // of the external flash, from its start
};

class StorageRig {
 public:
  explicit StorageRig(const StorageGeometry& g)
      : geometry_(g),
        device_(host::VirtualDevice::InMemory(g.internal, g.external)),
        layout_(StorageLayout(g.internal, g.its_sectors)) {
    ProgramLayoutHeader(*device_, layout_);
    its_offset_ = layout_.storage.offset;
    its_size_ = g.its_sectors * g.internal.sector_size;
    ps_size_ = g.ps_sectors * g.external.sector_size;
    Reset();
  }

  host::VirtualDevice& device() { return *device_; }
  const StorageGeometry& geometry() const { return geometry_; }
  uint32_t its_offset() const { return its_offset_; }
  uint32_t its_size() const { return its_size_; }
  uint32_t ps_size() const { return ps_size_; }

  // A reset: the stores are dropped and the device runs at HDPL 2.
  void Reset() {
    ps_.reset();
    its_.reset();
    device_->WarmReset();
    (void)device_->Raise(platform::Hdpl::kSecureManager);
  }

  // New store objects over the regions (a reboot of the SM), opened. The
  // statuses of the two Opens are returned; the stores exist either way.
  struct Opened {
    Status its;
    Status ps;
  };
  Opened Open(std::span<const uint8_t, ps::kRootKeySize> root_key = std::span(kPsRootKey)) {
    ps_.reset();
    its_.reset();
    its_ = std::make_unique<its::ItsStore>(*device_, its_offset_, its_size_, std::span(kItsKey));
    Opened o{its_->Open(), StatusCode::kFailedPrecondition};
    ps_ = std::make_unique<ps::Store>(device_->external_flash(), 0, ps_size_, *its_, kPsPartition,
                                      *device_, root_key);
    if (o.its.ok()) o.ps = ps_->Open();
    return o;
  }
  its::Store& its() { return *its_; }
  ps::Store& ps() { return *ps_; }

  // The storage as bytes: the ITS region and the whole external flash.
  struct Image {
    std::vector<uint8_t> its;
    std::vector<uint8_t> external;
  };
  Image Save() const {
    const auto& flash = device_->raw_flash();
    return {
        std::vector<uint8_t>(flash.begin() + its_offset_, flash.begin() + its_offset_ + its_size_),
        device_->raw_external_flash()};
  }
  void Restore(const Image& image) {
    device_->FactoryWriteFlash(its_offset_, image.its);
    device_->FactoryWriteExternal(image.external);
  }

 private:
  StorageGeometry geometry_;
  std::unique_ptr<host::VirtualDevice> device_;
  otp::FlashLayout layout_;
  uint32_t its_offset_ = 0;
  uint32_t its_size_ = 0;
  uint32_t ps_size_ = 0;
  std::unique_ptr<its::ItsStore> its_;
  std::unique_ptr<ps::Store> ps_;
};

}  // namespace bastion::test_support
