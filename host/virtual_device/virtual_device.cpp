#include "virtual_device/virtual_device.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "boot/boot_stages.h"
#include "common/bytes.h"
#include "otp/otp_map.h"
#include "platform/access_policy.h"

namespace bastion::host {
namespace {

namespace fs = std::filesystem;
using platform::Hdpl;

constexpr size_t kRamOffsetMailbox = 0;
constexpr size_t kRamOffsetBootReport = kRamOffsetMailbox + kMailboxSize;
constexpr size_t kRamOffsetHandoff = kRamOffsetBootReport + kBootReportRegionSize;
constexpr size_t kRamOffsetSmHandoff = kRamOffsetHandoff + kHandoffSize;
constexpr size_t kRamSize = kRamOffsetSmHandoff + kSmHandoffSize;
constexpr int kStateFormat = 1;

std::vector<uint8_t> ReadWhole(const fs::path& path, size_t expected) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DeviceError("cannot read " + path.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (expected != 0 && bytes.size() != expected) {
    throw DeviceError(path.string() + " has " + std::to_string(bytes.size()) + " bytes, expected " +
                      std::to_string(expected));
  }
  return bytes;
}

void WriteWholeAtomic(const fs::path& path, const void* data, size_t size) {
  const fs::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw DeviceError("cannot write " + tmp.string());
  const auto* p = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, p + done, size - done);
    if (n <= 0) {
      ::close(fd);
      throw DeviceError("cannot write " + tmp.string());
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (synced) fs::rename(tmp, path, ec);
  if (!synced || ec) {
    fs::remove(tmp, ec);
    throw DeviceError("cannot write " + path.string());
  }
}

bool GeometryValid(const platform::FlashGeometry& g) {
  auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  return pow2(g.sector_size) && pow2(g.program_unit) && g.program_unit <= 256 &&
         g.sector_size % g.program_unit == 0 && g.size != 0 && g.size % g.sector_size == 0 &&
         g.size <= 64u * 1024 * 1024;
}

}  // namespace

platform::FlashGeometry DefaultGeometry() {
  return platform::FlashGeometry{2u * 1024 * 1024, 8u * 1024, 16, 0xff};
}

void VirtualDevice::InitStorage(const platform::FlashGeometry& geometry) {
  if (!GeometryValid(geometry)) throw DeviceError("invalid flash geometry");
  geometry_ = geometry;
  flash_.assign(geometry.size, geometry.erased_value);
  otp_.assign(otp::kOtpSize, 0);
  ram_.assign(kRamSize, 0);
  huk_.assign(32, 0);
  unit_programmed_.assign(geometry.size / geometry.program_unit, false);
}

std::unique_ptr<VirtualDevice> VirtualDevice::InMemory(const platform::FlashGeometry& geometry) {
  std::unique_ptr<VirtualDevice> device(new VirtualDevice());
  device->InitStorage(geometry);
  if (!device->Fill(device->huk_).ok()) throw DeviceError("no entropy for the HUK");
  return device;
}

std::unique_ptr<VirtualDevice> VirtualDevice::Create(const fs::path& dir,
                                                     const platform::FlashGeometry& geometry) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    throw DeviceError(dir.string() + " already exists and is not empty");
  }
  auto device = InMemory(geometry);
  fs::create_directories(dir, ec);
  if (ec) throw DeviceError("cannot create " + dir.string() + ": " + ec.message());
  device->dir_ = dir;
  device->Save();
  return device;
}

std::unique_ptr<VirtualDevice> VirtualDevice::Open(const fs::path& dir) {
  const fs::path state_path = dir / "device.json";
  std::ifstream in(state_path);
  if (!in) throw DeviceError("no device in " + dir.string() + " (missing device.json)");
  nlohmann::json state;
  try {
    in >> state;
  } catch (const std::exception&) {
    throw DeviceError(state_path.string() + " is not valid JSON");
  }
  std::unique_ptr<VirtualDevice> device(new VirtualDevice());
  try {
    if (state.at("format").get<int>() != kStateFormat)
      throw DeviceError("unsupported device format");
    platform::FlashGeometry g;
    g.size = state.at("flash_size").get<uint32_t>();
    g.sector_size = state.at("sector_size").get<uint32_t>();
    g.program_unit = state.at("program_unit").get<uint32_t>();
    const auto erased = state.at("erased_value").get<int64_t>();
    if (erased < 0 || erased > 0xff) throw DeviceError(state_path.string() + ": bad erased_value");
    g.erased_value = static_cast<uint8_t>(erased);
    if (!GeometryValid(g)) throw DeviceError(state_path.string() + ": invalid flash geometry");
    device->InitStorage(g);
    device->operations_ = state.at("operations").get<uint64_t>();
    device->power_loss_at_ = state.value("power_loss_at", uint64_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw DeviceError(state_path.string() + ": " + e.what());
  }
  device->dir_ = dir;
  device->flash_ = ReadWhole(dir / "flash.bin", device->geometry_.size);
  device->otp_ = ReadWhole(dir / "otp.bin", otp::kOtpSize);
  device->huk_ = ReadWhole(dir / "huk.bin", 32);
  device->ram_ = ReadWhole(dir / "ram.bin", kRamSize);
  const std::vector<uint8_t> units = ReadWhole(dir / "program-map.bin", 0);
  if (units.size() != (device->unit_programmed_.size() + 7) / 8) {
    throw DeviceError((dir / "program-map.bin").string() + " has the wrong size");
  }
  for (size_t i = 0; i < device->unit_programmed_.size(); ++i) {
    device->unit_programmed_[i] = (units[i / 8] >> (i % 8)) & 1;
  }
  return device;
}

void VirtualDevice::Save() {
  if (dir_.empty()) return;
  WriteWholeAtomic(dir_ / "flash.bin", flash_.data(), flash_.size());
  WriteWholeAtomic(dir_ / "otp.bin", otp_.data(), otp_.size());
  WriteWholeAtomic(dir_ / "huk.bin", huk_.data(), huk_.size());
  WriteWholeAtomic(dir_ / "ram.bin", ram_.data(), ram_.size());
  std::vector<uint8_t> units((unit_programmed_.size() + 7) / 8, 0);
  for (size_t i = 0; i < unit_programmed_.size(); ++i) {
    if (unit_programmed_[i]) units[i / 8] = static_cast<uint8_t>(units[i / 8] | (1u << (i % 8)));
  }
  WriteWholeAtomic(dir_ / "program-map.bin", units.data(), units.size());
  nlohmann::json state = {
      {"format", kStateFormat},
      {"flash_size", geometry_.size},
      {"sector_size", geometry_.sector_size},
      {"program_unit", geometry_.program_unit},
      {"erased_value", geometry_.erased_value},
      {"operations", operations_},
      {"power_loss_at", power_loss_at_},
  };
  const std::string text = state.dump(2) + "\n";
  WriteWholeAtomic(dir_ / "device.json", text.data(), text.size());
}

platform::Platform VirtualDevice::platform() {
  return platform::Platform{*this, otp_port_, *this, *this, *this, *this, *this};
}

void VirtualDevice::WarmReset() {
  hdpl_ = Hdpl::kIrot;
  powered_ = true;
  if (power_loss_at_ != 0 && power_loss_at_ <= operations_) power_loss_at_ = 0;
}

void VirtualDevice::PowerCycle() {
  WarmReset();
  std::fill(ram_.begin(), ram_.end(), 0);
}

void VirtualDevice::SetPowerLossAfter(uint64_t n) { power_loss_at_ = n == 0 ? 0 : operations_ + n; }

bool VirtualDevice::CountOperation() {
  if (!powered_) return false;
  ++operations_;
  if (power_loss_at_ != 0 && operations_ >= power_loss_at_) {
    powered_ = false;
    power_loss_at_ = 0;
    return false;
  }
  return true;
}

VirtualDevice::BootRun VirtualDevice::Boot() {
  return RunFromReset([this](platform::Platform& p) {
    boot::BootReport published{};
    boot::RunBootChain(p, &sm_secrets_, &published);
  });
}

VirtualDevice::BootRun VirtualDevice::RunFromReset(
    const std::function<void(platform::Platform&)>& stages) {
  BootRun run;
  WarmReset();
  SecureWipe(&sm_secrets_, sizeof(sm_secrets_));
  std::jmp_buf env;
  halt_target_ = &env;
  if (setjmp(env) == 0) {
    platform::Platform p = platform();
    stages(p);
    run.app_reached = true;
  }
  halt_target_ = nullptr;
  boot::RemoveFaultHandler();
  std::memcpy(&run.report, ram_.data() + kRamOffsetBootReport, sizeof(run.report));
  run.report_valid = run.report.magic == boot::kBootReportMagic;
  return run;
}

void VirtualDevice::Halt() {
  if (halt_target_ != nullptr) std::longjmp(*halt_target_, 1);
  std::abort();
}

// ---- Access rules ----

bool VirtualDevice::FlashAccessAllowed(uint32_t address, size_t size, bool write) const {
  otp::OtpHeader header;
  std::memcpy(&header, otp_.data() + otp::kHeaderOffset, sizeof(header));
  if (header.complete != otp::kHeaderCompleteMarker) return false;
  return platform::FlashAccessAllowed(header.layout, hdpl_, address, size, write);
}

bool VirtualDevice::OtpAccessAllowed(uint32_t offset, size_t size, bool write) const {
  return platform::OtpAccessAllowed(hdpl_, offset, size, write);
}

// ---- platform::Flash ----

Status VirtualDevice::Read(uint32_t address, ByteSpan out) {
  if (!powered_) return StatusCode::kUnavailable;
  if (address > flash_.size() || out.size() > flash_.size() - address)
    return StatusCode::kOutOfRange;
  if (!FlashAccessAllowed(address, out.size(), false)) return StatusCode::kPermissionDenied;
  std::memcpy(out.data(), flash_.data() + address, out.size());
  return StatusCode::kOk;
}

Status VirtualDevice::Program(uint32_t address, ConstByteSpan data) {
  if (!powered_) return StatusCode::kUnavailable;
  if (address > flash_.size() || data.size() > flash_.size() - address)
    return StatusCode::kOutOfRange;
  const uint32_t unit = geometry_.program_unit;
  if (address % unit != 0 || data.size() % unit != 0) return StatusCode::kInvalidArgument;
  if (!FlashAccessAllowed(address, data.size(), true)) return StatusCode::kPermissionDenied;
  for (size_t i = 0; i < data.size(); i += unit) {
    if (unit_programmed_[(address + i) / unit]) return StatusCode::kFailedPrecondition;
  }
  if (!CountOperation()) {
    if (power_loss_mode_ == PowerLossMode::kTorn) TearProgram(address, data);
    return StatusCode::kUnavailable;
  }
  std::memcpy(flash_.data() + address, data.data(), data.size());
  for (size_t i = 0; i < data.size(); i += unit) unit_programmed_[(address + i) / unit] = true;
  return StatusCode::kOk;
}

Status VirtualDevice::EraseSector(uint32_t address) {
  if (!powered_) return StatusCode::kUnavailable;
  if (address >= flash_.size()) return StatusCode::kOutOfRange;
  if (address % geometry_.sector_size != 0) return StatusCode::kInvalidArgument;
  if (!FlashAccessAllowed(address, geometry_.sector_size, true))
    return StatusCode::kPermissionDenied;
  if (!CountOperation()) {
    if (power_loss_mode_ == PowerLossMode::kTorn) TearErase(address);
    return StatusCode::kUnavailable;
  }
  std::fill_n(flash_.begin() + address, geometry_.sector_size, geometry_.erased_value);
  const uint32_t unit = geometry_.program_unit;
  for (uint32_t i = 0; i < geometry_.sector_size; i += unit)
    unit_programmed_[(address + i) / unit] = false;
  return StatusCode::kOk;
}

// ---- Torn operations (PowerLossMode::kTorn) ----

namespace {
// A deterministic cut point in [0, size) from the operation number.
size_t CutPoint(uint64_t operation, size_t size) {
  uint64_t x = operation * 0x9e3779b97f4a7c15ull;
  x ^= x >> 29;
  return size == 0 ? 0 : static_cast<size_t>(x % size);
}
}  // namespace

void VirtualDevice::TearProgram(uint32_t address, ConstByteSpan data) {
  const uint32_t unit = geometry_.program_unit;
  const size_t cut = CutPoint(operations_, data.size());
  std::memcpy(flash_.data() + address, data.data(), cut);
  // Every unit fully written, and the unit holding the cut, are programmed.
  for (size_t i = 0; i <= cut && i < data.size(); i += unit) {
    unit_programmed_[(address + i) / unit] = true;
  }
}

void VirtualDevice::TearErase(uint32_t address) {
  const uint32_t unit = geometry_.program_unit;
  const size_t cut = CutPoint(operations_, geometry_.sector_size) / unit * unit;
  std::fill_n(flash_.begin() + address, cut, geometry_.erased_value);
  for (size_t i = 0; i < cut; i += unit) unit_programmed_[(address + i) / unit] = false;
  if (cut < geometry_.sector_size) {
    for (size_t i = 0; i < unit; ++i) {
      flash_[address + cut + i] = static_cast<uint8_t>((operations_ + i) * 0x5b ^ 0xa7);
    }
    unit_programmed_[(address + cut) / unit] = true;
  }
}

// ---- platform::Otp ----

Status VirtualDevice::OtpRead(uint32_t offset, ByteSpan out) {
  if (!powered_) return StatusCode::kUnavailable;
  if (offset > otp_.size() || out.size() > otp_.size() - offset) return StatusCode::kOutOfRange;
  if (!OtpAccessAllowed(offset, out.size(), false)) return StatusCode::kPermissionDenied;
  std::memcpy(out.data(), otp_.data() + offset, out.size());
  return StatusCode::kOk;
}

Status VirtualDevice::OtpProgram(uint32_t offset, ConstByteSpan data) {
  if (!powered_) return StatusCode::kUnavailable;
  if (offset > otp_.size() || data.size() > otp_.size() - offset) return StatusCode::kOutOfRange;
  if (offset % 4 != 0 || data.size() % 4 != 0) return StatusCode::kInvalidArgument;
  if (!OtpAccessAllowed(offset, data.size(), true)) return StatusCode::kPermissionDenied;
  for (size_t i = 0; i < data.size(); ++i) {
    if ((otp_[offset + i] & ~data[i]) != 0) return StatusCode::kFailedPrecondition;
  }
  if (!CountOperation()) return StatusCode::kUnavailable;
  for (size_t i = 0; i < data.size(); ++i) otp_[offset + i] |= data[i];
  return StatusCode::kOk;
}

// ---- HDPL, RAM, HUK, RNG ----

Status VirtualDevice::Raise(Hdpl level) {
  if (static_cast<unsigned>(level) < static_cast<unsigned>(hdpl_))
    return StatusCode::kPermissionDenied;
  if (static_cast<unsigned>(level) > static_cast<unsigned>(Hdpl::kApplication)) {
    return StatusCode::kInvalidArgument;
  }
  hdpl_ = level;
  return StatusCode::kOk;
}

Status VirtualDevice::Region(platform::RamRegion region, ByteSpan* out) {
  size_t offset = 0;
  size_t size = 0;
  switch (region) {
    case platform::RamRegion::kMailbox:
      offset = kRamOffsetMailbox;
      size = kMailboxSize;
      break;
    case platform::RamRegion::kBootReport:
      offset = kRamOffsetBootReport;
      size = kBootReportRegionSize;
      break;
    case platform::RamRegion::kHandoff:
      offset = kRamOffsetHandoff;
      size = kHandoffSize;
      break;
    case platform::RamRegion::kSmHandoff:
      offset = kRamOffsetSmHandoff;
      size = kSmHandoffSize;
      break;
    default:
      return StatusCode::kInvalidArgument;
  }
  if (static_cast<unsigned>(hdpl_) > static_cast<unsigned>(platform::RamRegionOwner(region))) {
    return StatusCode::kPermissionDenied;
  }
  *out = ByteSpan(ram_.data() + offset, size);
  return StatusCode::kOk;
}

Status VirtualDevice::ReadHuk(std::span<uint8_t, 32> out) {
  if (hdpl_ != Hdpl::kIrot) return StatusCode::kPermissionDenied;
  std::memcpy(out.data(), huk_.data(), 32);
  return StatusCode::kOk;
}

Status VirtualDevice::Fill(ByteSpan out) {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(out.data()),
                    static_cast<std::streamsize>(out.size()))) {
    return StatusCode::kUnavailable;
  }
  return StatusCode::kOk;
}

// ---- Factory access ----

void VirtualDevice::FactoryWriteFlash(uint32_t address, const std::vector<uint8_t>& bytes) {
  const uint32_t sector = geometry_.sector_size;
  if (address % sector != 0 || address > flash_.size() || bytes.size() > flash_.size() - address) {
    throw DeviceError("factory write outside the flash or not sector aligned");
  }
  const size_t span = (bytes.size() + sector - 1) / sector * sector;
  std::fill_n(flash_.begin() + address, span, geometry_.erased_value);
  std::copy(bytes.begin(), bytes.end(), flash_.begin() + address);
  const uint32_t unit = geometry_.program_unit;
  for (size_t i = 0; i < span; i += unit) {
    const size_t end = std::min(i + unit, bytes.size());
    bool programmed = false;
    for (size_t j = i; j < end; ++j) programmed = programmed || bytes[j] != geometry_.erased_value;
    unit_programmed_[(address + i) / unit] = i < bytes.size() && programmed;
  }
}

void VirtualDevice::FactoryProgramOtp(uint32_t offset, const std::vector<uint8_t>& bytes) {
  if (offset > otp_.size() || bytes.size() > otp_.size() - offset) {
    throw DeviceError("factory OTP write outside the OTP");
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    if ((otp_[offset + i] & ~bytes[i]) != 0) throw DeviceError("OTP bits cannot be cleared");
  }
  for (size_t i = 0; i < bytes.size(); ++i) otp_[offset + i] |= bytes[i];
}

Status RawFlashReader::Read(uint32_t address, ByteSpan out) {
  const std::vector<uint8_t>& flash = device_.raw_flash();
  if (address > flash.size() || out.size() > flash.size() - address) {
    return StatusCode::kOutOfRange;
  }
  std::memcpy(out.data(), flash.data() + address, out.size());
  return StatusCode::kOk;
}

}  // namespace bastion::host
