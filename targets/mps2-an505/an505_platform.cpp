#include "an505_platform.h"

#include <cstring>

#include "boot/boot_report.h"
#include "memory_map.h"
#include "otp/otp_map.h"
#include "platform/access_policy.h"
#include "semihosting.h"

namespace bastion::an505 {
namespace {

using platform::Hdpl;

volatile uint32_t& HdplWord() { return *reinterpret_cast<volatile uint32_t*>(kHdplRegister); }

Hdpl CurrentLevel() {
  const uint32_t v = HdplWord();
  return v <= 3 ? static_cast<Hdpl>(v) : Hdpl::kApplication;
}

const otp::FlashLayout* Layout() {
  const auto* header = reinterpret_cast<const otp::OtpHeader*>(kOtpBase + otp::kHeaderOffset);
  return header->complete == otp::kHeaderCompleteMarker ? &header->layout : nullptr;
}

uint8_t* FlashPtr(uint32_t address) { return reinterpret_cast<uint8_t*>(kFlashBase + address); }

class MappedFlash final : public platform::Flash {
 public:
  platform::FlashGeometry geometry() const override {
    return {kFlashSize, kFlashSectorSize, kFlashProgramUnit, 0xff};
  }
  Status Read(uint32_t address, ByteSpan out) override {
    BASTION_TRY(Check(address, out.size(), false));
    std::memcpy(out.data(), FlashPtr(address), out.size());
    return StatusCode::kOk;
  }
  Status Program(uint32_t address, ConstByteSpan data) override {
    if (address % kFlashProgramUnit != 0 || data.size() % kFlashProgramUnit != 0) {
      return StatusCode::kInvalidArgument;
    }
    BASTION_TRY(Check(address, data.size(), true));
    std::memcpy(FlashPtr(address), data.data(), data.size());
    return StatusCode::kOk;
  }
  Status EraseSector(uint32_t address) override {
    if (address % kFlashSectorSize != 0) return StatusCode::kInvalidArgument;
    BASTION_TRY(Check(address, kFlashSectorSize, true));
    std::memset(FlashPtr(address), 0xff, kFlashSectorSize);
    return StatusCode::kOk;
  }

 private:
  static Status Check(uint32_t address, size_t size, bool write) {
    if (address > kFlashSize || size > kFlashSize - address) return StatusCode::kOutOfRange;
    const otp::FlashLayout* layout = Layout();
    if (layout == nullptr ||
        !platform::FlashAccessAllowed(*layout, CurrentLevel(), address, size, write)) {
      return StatusCode::kPermissionDenied;
    }
    return StatusCode::kOk;
  }
};

class MappedOtp final : public platform::Otp {
 public:
  uint32_t size() const override { return kOtpSize; }
  Status Read(uint32_t offset, ByteSpan out) override {
    BASTION_TRY(Check(offset, out.size(), false));
    std::memcpy(out.data(), reinterpret_cast<const uint8_t*>(kOtpBase + offset), out.size());
    return StatusCode::kOk;
  }
  Status Program(uint32_t offset, ConstByteSpan data) override {
    if (offset % 4 != 0 || data.size() % 4 != 0) return StatusCode::kInvalidArgument;
    BASTION_TRY(Check(offset, data.size(), true));
    auto* otp = reinterpret_cast<uint8_t*>(kOtpBase + offset);
    for (size_t i = 0; i < data.size(); ++i) {
      if ((otp[i] & ~data[i]) != 0) return StatusCode::kFailedPrecondition;
    }
    for (size_t i = 0; i < data.size(); ++i) otp[i] = static_cast<uint8_t>(otp[i] | data[i]);
    return StatusCode::kOk;
  }

 private:
  static Status Check(uint32_t offset, size_t size, bool write) {
    if (offset > kOtpSize || size > kOtpSize - offset) return StatusCode::kOutOfRange;
    if (!platform::OtpAccessAllowed(CurrentLevel(), offset, size, write)) {
      return StatusCode::kPermissionDenied;
    }
    return StatusCode::kOk;
  }
};

class HdplRegister final : public platform::HdplControl {
 public:
  Hdpl Current() const override { return CurrentLevel(); }
  Status Raise(Hdpl level) override {
    if (static_cast<uint32_t>(level) < static_cast<uint32_t>(CurrentLevel())) {
      return StatusCode::kPermissionDenied;
    }
    HdplWord() = static_cast<uint32_t>(level);
    return StatusCode::kOk;
  }
};

constexpr size_t kMailboxSize = 1024;
constexpr size_t kBootReportSize = 512;
constexpr size_t kHandoffSize = 128;

class MappedRam final : public platform::SharedRam {
 public:
  Status Region(platform::RamRegion region, ByteSpan* out) override {
    uintptr_t base = kSharedRamBase;
    size_t size = 0;
    switch (region) {
      case platform::RamRegion::kMailbox:
        size = kMailboxSize;
        break;
      case platform::RamRegion::kBootReport:
        base += kMailboxSize;
        size = kBootReportSize;
        break;
      case platform::RamRegion::kHandoff:
        base += kMailboxSize + kBootReportSize;
        size = kHandoffSize;
        break;
      case platform::RamRegion::kSmHandoff:
        base += kMailboxSize + kBootReportSize + kHandoffSize;
        size = kHandoffSize;
        break;
      default:
        return StatusCode::kInvalidArgument;
    }
    if (static_cast<uint32_t>(CurrentLevel()) >
        static_cast<uint32_t>(platform::RamRegionOwner(region))) {
      return StatusCode::kPermissionDenied;
    }
    *out = ByteSpan(reinterpret_cast<uint8_t*>(base), size);
    return StatusCode::kOk;
  }
};

class Huk final : public platform::HukAccess {
 public:
  Status ReadHuk(std::span<uint8_t, 32> out) override {
    if (CurrentLevel() != Hdpl::kIrot) return StatusCode::kPermissionDenied;
    std::memcpy(out.data(), reinterpret_cast<const uint8_t*>(kHukBase), 32);
    return StatusCode::kOk;
  }
};

// QEMU's AN505 model has no TRNG; the boot chain needs none.
class NoRng final : public platform::Rng {
 public:
  Status Fill(ByteSpan) override { return StatusCode::kUnavailable; }
};

class QemuSystem final : public platform::System {
 public:
  // Prints the failure recorded in the boot report as numbers (names would
  // cost iROT over a kilobyte; `docs/boot-chain.md` and src/boot/boot_report.h
  // and src/image/image.h list them), then ends the run.
  [[noreturn]] void Halt() override {
    boot::BootReport report;
    if (boot::ReadBootReport(RamForHalt(), &report).ok()) {
      SemihostWrite("boot stopped: reason ");
      SemihostNumber(report.failure_reason);
      SemihostWrite(", component ");
      SemihostNumber(report.failure_component);
      SemihostWrite(", image error ");
      SemihostNumber(report.failure_detail);
      SemihostWrite("\n");
    } else {
      SemihostWrite("boot stopped (no boot report)\n");
    }
    SemihostExit(false);
  }

 private:
  static platform::SharedRam& RamForHalt();
};

// Constant-initialised and trivially destructible: no constructor runs at
// start-up and no destructor is registered.
constinit MappedFlash g_flash;
constinit MappedOtp g_otp;
constinit HdplRegister g_hdpl;
constinit MappedRam g_ram;
constinit Huk g_huk;
constinit NoRng g_rng;
constinit QemuSystem g_system;
constinit platform::Platform g_platform{g_flash, g_otp, g_hdpl, g_ram, g_huk, g_rng, g_system};

platform::SharedRam& QemuSystem::RamForHalt() { return g_ram; }

}  // namespace

platform::Platform& GetPlatform() { return g_platform; }

}  // namespace bastion::an505
