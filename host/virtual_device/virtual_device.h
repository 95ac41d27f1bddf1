// The virtual device: one device kept in a directory, running
// the same device code as the target through the platform interfaces.
//
//   DIR/flash.bin  NOR flash (erased 0xff)      DIR/otp.bin  OTP (erased 0)
//   DIR/huk.bin    hardware unique key          DIR/ram.bin  RAM kept across a warm reset
//   DIR/external-flash.bin  external NOR flash (Protected Storage)
//   DIR/device.json geometry, operation counter, power-loss setting
//
// The external flash is a separate device on its own bus: no HDPL or owner
// checks guard it, and whoever holds the board can read, change or restore
// it (tests do that through raw_external_flash / FactoryWriteExternal).
//
// Every flash and OTP operation is counted and can be interrupted (power
// loss at operation N: that operation and all later ones do not happen until
// the next reset). Every access is checked against the current HDPL and the
// owner of the region it touches; regions come from the layout in OTP.
#pragma once

#include <csetjmp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "boot/boot_report.h"
#include "boot/handoff.h"
#include "platform/platform.h"
#include "virtual_device/nor_array.h"

namespace bastion::host {

// Host-side failures of the device files themselves (missing, corrupt).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Default geometry: STM32H5-like, 2 MiB, 8 KiB sectors, 16-byte program unit.
platform::FlashGeometry DefaultGeometry();
// Default external flash: 256 KiB, 4 KiB sectors, 1-byte program unit (SPI NOR).
platform::FlashGeometry DefaultExternalGeometry();

// RAM region sizes.
constexpr size_t kMailboxSize = 1024;
constexpr size_t kBootReportRegionSize = 512;
constexpr size_t kHandoffSize = 128;
constexpr size_t kSmHandoffSize = 128;

class VirtualDevice final : public platform::Flash,
                            public platform::HdplControl,
                            public platform::SharedRam,
                            public platform::HukAccess,
                            public platform::Rng,
                            public platform::System {
 public:
  // Creates a blank device in `dir` (which must not exist or be empty), with
  // a fresh random HUK. Throws DeviceError.
  static std::unique_ptr<VirtualDevice> Create(
      const std::filesystem::path& dir, const platform::FlashGeometry& geometry,
      const platform::FlashGeometry& external = DefaultExternalGeometry());
  // Opens an existing device. Throws DeviceError naming the bad file.
  static std::unique_ptr<VirtualDevice> Open(const std::filesystem::path& dir);
  // A device that lives only in memory (tests).
  static std::unique_ptr<VirtualDevice> InMemory(
      const platform::FlashGeometry& geometry,
      const platform::FlashGeometry& external = DefaultExternalGeometry());

  // Writes every file back (each via a temporary file and rename).
  void Save();

  platform::Platform platform();

  // Warm reset: HDPL back to 0, power restored, RAM kept.
  void WarmReset();
  // Power cycle: a warm reset that also clears RAM.
  void PowerCycle();

  // Power loss at operation `n` (1-based, counting from now); 0 disables.
  void SetPowerLossAfter(uint64_t n);
  // What the operation cut by a power loss leaves behind. kClean (default):
  // nothing, as if it never started. kTorn: an interrupted program leaves a
  // prefix of its bytes written and the unit holding the cut marked
  // programmed (it needs an erase before it can be programmed again); an
  // interrupted erase leaves a prefix of the sector erased, one program unit
  // of garbage (marked programmed) and the rest unchanged. The cut point is
  // a deterministic function of the operation number. Not saved to disk.
  enum class PowerLossMode : uint8_t { kClean = 0, kTorn = 1 };
  void SetPowerLossMode(PowerLossMode mode) { power_loss_mode_ = mode; }
  PowerLossMode power_loss_mode() const { return power_loss_mode_; }
  uint64_t operations() const { return operations_; }
  bool powered() const { return powered_; }

  // Runs the boot chain from reset. Returns true when the application was
  // reached; the boot report (read with no HDPL check) tells the rest.
  struct BootRun {
    bool app_reached = false;
    bool report_valid = false;
    boot::BootReport report{};
  };
  BootRun Boot();
  // Runs `stages` from reset the way Boot() runs the chain (tests run single
  // stages or inject faults this way). app_reached = `stages` returned.
  BootRun RunFromReset(const std::function<void(platform::Platform&)>& stages);

  // Factory access used by provisioning and `device flash`: no HDPL or owner
  // checks, still one-way for OTP. Throws DeviceError on misuse.
  void FactoryWriteFlash(uint32_t address, const std::vector<uint8_t>& bytes);
  void FactoryProgramOtp(uint32_t offset, const std::vector<uint8_t>& bytes);
  // Replaces the whole external flash (an attacker restoring an old copy).
  void FactoryWriteExternal(const std::vector<uint8_t>& bytes);

  // Raw views (tests, status) with no access checks.
  const std::vector<uint8_t>& raw_flash() const { return flash_.bytes(); }
  const std::vector<uint8_t>& raw_external_flash() const { return external_.bytes(); }
  const std::vector<uint8_t>& raw_otp() const { return otp_; }
  const std::vector<uint8_t>& raw_ram() const { return ram_; }
  platform::Hdpl hdpl() const { return hdpl_; }
  // The secrets the Secure Manager took from its handoff at the last boot
  // (its private memory; zero after a refused boot).
  const boot::SmHandoff& sm_secrets() const { return sm_secrets_; }
  // The external flash (no access checks; counted and cut like the internal one).
  platform::Flash& external_flash() { return external_port_; }

  // platform::Flash
  platform::FlashGeometry geometry() const override { return geometry_; }
  Status Read(uint32_t address, ByteSpan out) override;
  Status Program(uint32_t address, ConstByteSpan data) override;
  Status EraseSector(uint32_t address) override;
  // platform::HdplControl
  platform::Hdpl Current() const override { return hdpl_; }
  Status Raise(platform::Hdpl level) override;
  // platform::SharedRam
  Status Region(platform::RamRegion region, ByteSpan* out) override;
  // platform::HukAccess
  Status ReadHuk(std::span<uint8_t, 32> out) override;
  // platform::Rng
  Status Fill(ByteSpan out) override;
  // platform::System
  [[noreturn]] void Halt() override;

 private:
  VirtualDevice() = default;
  // platform::Otp has the same method names as platform::Flash, so it is a
  // separate small object forwarding to the device.
  class OtpPort final : public platform::Otp {
   public:
    explicit OtpPort(VirtualDevice& device) : device_(device) {}
    uint32_t size() const override { return static_cast<uint32_t>(device_.otp_.size()); }
    Status Read(uint32_t offset, ByteSpan out) override { return device_.OtpRead(offset, out); }
    Status Program(uint32_t offset, ConstByteSpan data) override {
      return device_.OtpProgram(offset, data);
    }

   private:
    VirtualDevice& device_;
  };

  // The external flash port: platform::Flash over `external_`, with no
  // access rules, sharing the device's power model.
  class ExternalPort final : public platform::Flash {
   public:
    explicit ExternalPort(VirtualDevice& device) : device_(device) {}
    platform::FlashGeometry geometry() const override { return device_.external_.geometry(); }
    Status Read(uint32_t address, ByteSpan out) override;
    Status Program(uint32_t address, ConstByteSpan data) override;
    Status EraseSector(uint32_t address) override;

   private:
    VirtualDevice& device_;
  };

  void InitStorage(const platform::FlashGeometry& geometry,
                   const platform::FlashGeometry& external);
  bool CountOperation();  // false when power is lost at this operation
  // Program / erase on `array` under the power model (counted, cut).
  Status NorProgram(NorArray& array, uint32_t address, ConstByteSpan data);
  Status NorErase(NorArray& array, uint32_t address);
  bool FlashAccessAllowed(uint32_t address, size_t size, bool write) const;
  bool OtpAccessAllowed(uint32_t offset, size_t size, bool write) const;
  Status OtpRead(uint32_t offset, ByteSpan out);
  Status OtpProgram(uint32_t offset, ConstByteSpan data);

  std::filesystem::path dir_;
  platform::FlashGeometry geometry_{};
  NorArray flash_;
  NorArray external_;
  std::vector<uint8_t> otp_;
  std::vector<uint8_t> ram_;
  std::vector<uint8_t> huk_;
  platform::Hdpl hdpl_ = platform::Hdpl::kIrot;
  uint64_t operations_ = 0;
  uint64_t power_loss_at_ = 0;  // absolute operation number; 0: never
  bool powered_ = true;
  PowerLossMode power_loss_mode_ = PowerLossMode::kClean;
  std::jmp_buf* halt_target_ = nullptr;
  boot::SmHandoff sm_secrets_{};
  OtpPort otp_port_{*this};
  ExternalPort external_port_{*this};
};

// Read-only view of a device's flash with no HDPL or owner checks, for host
// tools and tests that inspect what device code wrote (counter stores,
// journals) whatever level the device was left at. Program and EraseSector
// return kPermissionDenied.
class RawFlashReader final : public platform::Flash {
 public:
  explicit RawFlashReader(const VirtualDevice& device) : device_(device) {}
  platform::FlashGeometry geometry() const override { return device_.geometry(); }
  Status Read(uint32_t address, ByteSpan out) override;
  Status Program(uint32_t, ConstByteSpan) override { return StatusCode::kPermissionDenied; }
  Status EraseSector(uint32_t) override { return StatusCode::kPermissionDenied; }

 private:
  const VirtualDevice& device_;
};

}  // namespace bastion::host
