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

bool GeometryValid(const platform::FlashGeometry& g) { return NorArray::GeometryValid(g); }

platform::FlashGeometry ReadGeometry(const nlohmann::json& j, const fs::path& state_path) {
  platform::FlashGeometry g;
  g.size = j.at("flash_size").get<uint32_t>();
  g.sector_size = j.at("sector_size").get<uint32_t>();
  g.program_unit = j.at("program_unit").get<uint32_t>();
  const auto erased = j.at("erased_value").get<int64_t>();
  if (erased < 0 || erased > 0xff) throw DeviceError(state_path.string() + ": bad erased_value");
  g.erased_value = static_cast<uint8_t>(erased);
  if (!GeometryValid(g)) throw DeviceError(state_path.string() + ": invalid flash geometry");
  return g;
}

nlohmann::json GeometryJson(const platform::FlashGeometry& g) {
  return {{"flash_size", g.size},
          {"sector_size", g.sector_size},
          {"program_unit", g.program_unit},
          {"erased_value", g.erased_value}};
}

}  // namespace

platform::FlashGeometry DefaultGeometry() {
  return platform::FlashGeometry{2u * 1024 * 1024, 8u * 1024, 16, 0xff};
}

platform::FlashGeometry DefaultExternalGeometry() {
  return platform::FlashGeometry{256u * 1024, 4u * 1024, 1, 0xff};
}

void VirtualDevice::InitStorage(const platform::FlashGeometry& geometry,
                                const platform::FlashGeometry& external) {
  if (!GeometryValid(geometry)) throw DeviceError("invalid flash geometry");
  if (!GeometryValid(external)) throw DeviceError("invalid external flash geometry");
  geometry_ = geometry;
  flash_.Init(geometry);
  external_.Init(external);
  otp_.assign(otp::kOtpSize, 0);
  ram_.assign(kRamSize, 0);
  huk_.assign(32, 0);
}

std::unique_ptr<VirtualDevice> VirtualDevice::InMemory(const platform::FlashGeometry& geometry,
                                                       const platform::FlashGeometry& external) {
  std::unique_ptr<VirtualDevice> device(new VirtualDevice());
  device->InitStorage(geometry, external);
  if (!device->Fill(device->huk_).ok()) throw DeviceError("no entropy for the HUK");
  return device;
}

std::unique_ptr<VirtualDevice> VirtualDevice::Create(const fs::path& dir,
                                                     const platform::FlashGeometry& geometry,
                                                     const platform::FlashGeometry& external) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    throw DeviceError(dir.string() + " already exists and is not empty");
  }
  auto device = InMemory(geometry, external);
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
    const platform::FlashGeometry g = ReadGeometry(state, state_path);
    // Devices made before the external flash existed get a blank one.
    const bool has_external = state.contains("external_flash");
    const platform::FlashGeometry external =
        has_external ? ReadGeometry(state.at("external_flash"), state_path)
                     : DefaultExternalGeometry();
    device->InitStorage(g, external);
    device->operations_ = state.at("operations").get<uint64_t>();
    device->power_loss_at_ = state.value("power_loss_at", uint64_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw DeviceError(state_path.string() + ": " + e.what());
  }
  device->dir_ = dir;
  device->flash_.SetBytes(ReadWhole(dir / "flash.bin", device->geometry_.size));
  if (fs::exists(dir / "external-flash.bin")) {
    device->external_.SetBytes(
        ReadWhole(dir / "external-flash.bin", device->external_.geometry().size));
    if (!device->external_.SetProgramMap(ReadWhole(dir / "external-program-map.bin", 0))) {
      throw DeviceError((dir / "external-program-map.bin").string() + " has the wrong size");
    }
  }
  device->otp_ = ReadWhole(dir / "otp.bin", otp::kOtpSize);
  device->huk_ = ReadWhole(dir / "huk.bin", 32);
  device->ram_ = ReadWhole(dir / "ram.bin", kRamSize);
  if (!device->flash_.SetProgramMap(ReadWhole(dir / "program-map.bin", 0))) {
    throw DeviceError((dir / "program-map.bin").string() + " has the wrong size");
  }
  return device;
}

void VirtualDevice::Save() {
  if (dir_.empty()) return;
  WriteWholeAtomic(dir_ / "flash.bin", flash_.bytes().data(), flash_.bytes().size());
  WriteWholeAtomic(dir_ / "external-flash.bin", external_.bytes().data(),
                   external_.bytes().size());
  WriteWholeAtomic(dir_ / "otp.bin", otp_.data(), otp_.size());
  WriteWholeAtomic(dir_ / "huk.bin", huk_.data(), huk_.size());
  WriteWholeAtomic(dir_ / "ram.bin", ram_.data(), ram_.size());
  const std::vector<uint8_t> units = flash_.ProgramMap();
  WriteWholeAtomic(dir_ / "program-map.bin", units.data(), units.size());
  const std::vector<uint8_t> external_units = external_.ProgramMap();
  WriteWholeAtomic(dir_ / "external-program-map.bin", external_units.data(),
                   external_units.size());
  nlohmann::json state = GeometryJson(geometry_);
  state["format"] = kStateFormat;
  state["external_flash"] = GeometryJson(external_.geometry());
  state["operations"] = operations_;
  state["power_loss_at"] = power_loss_at_;
  const std::string text = state.dump(2) + "\n";
  WriteWholeAtomic(dir_ / "device.json", text.data(), text.size());
}

platform::Platform VirtualDevice::platform() {
  return platform::Platform{*this, otp_port_, *this, *this, *this, *this, *this, &external_port_};
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
  if (Status s = flash_.CheckRead(address, out.size()); !s.ok()) return s;
  if (!FlashAccessAllowed(address, out.size(), false)) return StatusCode::kPermissionDenied;
  flash_.Read(address, out);
  return StatusCode::kOk;
}

Status VirtualDevice::Program(uint32_t address, ConstByteSpan data) {
  if (!powered_) return StatusCode::kUnavailable;
  if (Status s = flash_.CheckRead(address, data.size()); !s.ok()) return s;
  if (address % geometry_.program_unit != 0 || data.size() % geometry_.program_unit != 0) {
    return StatusCode::kInvalidArgument;
  }
  if (!FlashAccessAllowed(address, data.size(), true)) return StatusCode::kPermissionDenied;
  return NorProgram(flash_, address, data);
}

Status VirtualDevice::EraseSector(uint32_t address) {
  if (!powered_) return StatusCode::kUnavailable;
  if (Status s = flash_.CheckErase(address); !s.ok()) return s;
  if (!FlashAccessAllowed(address, geometry_.sector_size, true))
    return StatusCode::kPermissionDenied;
  return NorErase(flash_, address);
}

Status VirtualDevice::NorProgram(NorArray& array, uint32_t address, ConstByteSpan data) {
  if (Status s = array.CheckProgram(address, data); !s.ok()) return s;
  if (!CountOperation()) {
    if (power_loss_mode_ == PowerLossMode::kTorn) array.TearProgram(address, data, operations_);
    return StatusCode::kUnavailable;
  }
  array.Program(address, data);
  return StatusCode::kOk;
}

Status VirtualDevice::NorErase(NorArray& array, uint32_t address) {
  if (!CountOperation()) {
    if (power_loss_mode_ == PowerLossMode::kTorn) array.TearErase(address, operations_);
    return StatusCode::kUnavailable;
  }
  array.Erase(address);
  return StatusCode::kOk;
}

// ---- External flash: no access rules ----

Status VirtualDevice::ExternalPort::Read(uint32_t address, ByteSpan out) {
  if (!device_.powered_) return StatusCode::kUnavailable;
  if (Status s = device_.external_.CheckRead(address, out.size()); !s.ok()) return s;
  device_.external_.Read(address, out);
  return StatusCode::kOk;
}

Status VirtualDevice::ExternalPort::Program(uint32_t address, ConstByteSpan data) {
  if (!device_.powered_) return StatusCode::kUnavailable;
  return device_.NorProgram(device_.external_, address, data);
}

Status VirtualDevice::ExternalPort::EraseSector(uint32_t address) {
  if (!device_.powered_) return StatusCode::kUnavailable;
  if (Status s = device_.external_.CheckErase(address); !s.ok()) return s;
  return device_.NorErase(device_.external_, address);
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
  if (!flash_.FactoryWrite(address, bytes)) {
    throw DeviceError("factory write outside the flash or not sector aligned");
  }
}

void VirtualDevice::FactoryWriteExternal(const std::vector<uint8_t>& bytes) {
  if (bytes.size() != external_.geometry().size || !external_.FactoryWrite(0, bytes)) {
    throw DeviceError("an external flash image must be exactly the external flash's size");
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
