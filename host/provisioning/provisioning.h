// Provisioning a virtual device from a JSON profile (docs/provisioning.md),
// and programming primary slots as a factory would.
#pragma once

#include <array>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "otp/otp_map.h"
#include "platform/platform.h"
#include "virtual_device/virtual_device.h"

namespace bastion::host {

// A profile that cannot be used; the message names the field or file.
class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DomainProfile {
  std::vector<std::vector<uint8_t>> keys;       // SubjectPublicKeyInfo DER, 1..4
  std::vector<std::vector<uint8_t>> authority;  // 0..2
  uint8_t threshold = 2;
  bool revoke_older_on_confirm = false;
  uint32_t security_counter = 0;  // the anti-rollback floor set at provisioning
};

struct Profile {
  otp::Lifecycle lifecycle = otp::Lifecycle::kSecured;
  platform::FlashGeometry geometry;
  otp::FlashLayout layout{};
  std::array<DomainProfile, otp::kComponentCount> domains;
};

// The default layout for a geometry: key store, then for urot, sm, app a
// primary slot of 64 KiB, 128 KiB and 384 KiB (rounded up to whole sectors,
// at least two: the last sector holds the image-state trailer)
// each followed by its secondary slot, one sector larger (the swap's offset
// sector), then a scratch (swap status) area of max(16 KiB, 2 sectors) and a
// 32 KiB storage area.
otp::FlashLayout DefaultLayout(const platform::FlashGeometry& geometry);

// Reads and checks a profile; key paths are relative to the profile's folder.
// Throws ProfileError.
Profile LoadProfile(const std::filesystem::path& path);

// Writes the OTP (header, lifecycle, instance ID, layout, key domains), the
// flash key store and the two counter stores (each component's floor) of a
// blank device. Throws DeviceError.
void Provision(VirtualDevice& device, const Profile& profile);

// What `device flash` and `device install` accept as a file: an MCUboot
// image, optionally followed by erased padding or by imgtool's --pad /
// --confirm padding and trailer (boot magic in the last 16 bytes, image_ok =
// 0x01 for --confirm, every other byte erased). Only the image itself is
// written; the padding is dropped. The image (header, payload and TLVs) must
// not be larger than what the swap can move: the primary slot less its
// trailer sector (update::MaxSwapSectors(..., 1) sectors). A bigger one
// could be programmed but never updated, so it is refused with the limit in
// bytes.

// Programs `component`'s primary slot with `image` (erasing the whole slot),
// as a factory programmer would: the image is READY, whatever an imgtool
// trailer in the file says. The file must fit the slot and be as above.
// Throws DeviceError with the reason.
void FlashPrimarySlot(VirtualDevice& device, otp::Component component,
                      const std::vector<uint8_t>& image);

// Writes `image` into `component`'s secondary slot one sector in (where the
// swap expects a download) and marks it STAGED in the slot trailer (magic;
// image_ok too when `permanent` or when the file's imgtool trailer has
// image_ok set, i.e. imgtool --confirm): the next boot installs it if it
// verifies. Refused when the primary is not READY (a trial is running: the
// secondary holds the image to revert to), when the file is larger than the
// secondary slot, or is not as described above. Throws DeviceError.
void InstallSecondarySlot(VirtualDevice& device, otp::Component component,
                          const std::vector<uint8_t>& image, bool permanent);

// Parses "urot" / "sm" / "app"; throws std::invalid_argument otherwise.
otp::Component ParseComponent(const std::string& name);
// Parses a lifecycle name ("secured", ...); throws std::invalid_argument.
otp::Lifecycle ParseLifecycle(const std::string& name);

// Reads the OTP header without access checks (host tools). False if blank,
// incomplete, or its flash layout does not fit the device's flash.
bool ReadHeader(const VirtualDevice& device, otp::OtpHeader* header);

// Writes a complete OTP header holding only `layout` (no lifecycle, no key
// domains): enough for the access rules and the Secure Manager's stores
// (in-memory devices of bastion::psa_host, benchmarks, tests).
void WriteLayoutHeader(VirtualDevice& device, const otp::FlashLayout& layout);

}  // namespace bastion::host
