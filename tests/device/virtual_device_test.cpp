// The virtual device's rules: HDPL only rises, secrets and areas hide as it
// rises, OTP bits only set, flash program units programmable once per
// erase, power loss at operation N, and persistence in a directory.
#include "virtual_device/virtual_device.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <filesystem>

#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "support/otp_header.h"

namespace bastion::host {
namespace {

using platform::Hdpl;
using platform::RamRegion;

// A device whose OTP header holds the default layout (no keys needed here).
std::unique_ptr<VirtualDevice> DeviceWithLayout() {
  auto device = VirtualDevice::InMemory(DefaultGeometry());
  test_support::ProgramLayoutHeader(*device, DefaultLayout(DefaultGeometry()));
  return device;
}

TEST(VirtualDeviceTest, HdplOnlyRisesUntilReset) {
  auto device = DeviceWithLayout();
  EXPECT_EQ(device->Current(), Hdpl::kIrot);
  ASSERT_TRUE(device->Raise(Hdpl::kUrot).ok());
  EXPECT_EQ(device->Raise(Hdpl::kIrot), Status(StatusCode::kPermissionDenied));
  EXPECT_EQ(device->Current(), Hdpl::kUrot);
  ASSERT_TRUE(device->Raise(Hdpl::kSecureManager).ok());
  device->WarmReset();
  EXPECT_EQ(device->Current(), Hdpl::kIrot);
}

TEST(VirtualDeviceTest, HukReadableOnlyAtHdpl0) {
  auto device = DeviceWithLayout();
  std::array<uint8_t, 32> huk{};
  ASSERT_TRUE(device->ReadHuk(huk).ok());
  std::array<uint8_t, 32> zero{};
  EXPECT_NE(huk, zero);
  ASSERT_TRUE(device->Raise(Hdpl::kUrot).ok());
  std::array<uint8_t, 32> after{};
  EXPECT_EQ(device->ReadHuk(after), Status(StatusCode::kPermissionDenied));
  EXPECT_EQ(after, zero);
}

TEST(VirtualDeviceTest, OtpAreasHideAsTheLevelRises) {
  auto device = DeviceWithLayout();
  platform::Platform p = device->platform();
  std::array<uint8_t, 16> buffer{};
  EXPECT_TRUE(p.otp.Read(otp::kHdpl0AreaOffset, buffer).ok());
  EXPECT_TRUE(p.otp.Read(otp::kHdpl1AreaOffset, buffer).ok());
  ASSERT_TRUE(device->Raise(Hdpl::kUrot).ok());
  EXPECT_EQ(p.otp.Read(otp::kHdpl0AreaOffset, buffer), Status(StatusCode::kPermissionDenied));
  EXPECT_TRUE(p.otp.Read(otp::kHdpl1AreaOffset, buffer).ok());
  EXPECT_TRUE(p.otp.Read(otp::kHeaderOffset, buffer).ok());
  ASSERT_TRUE(device->Raise(Hdpl::kSecureManager).ok());
  EXPECT_EQ(p.otp.Read(otp::kHdpl1AreaOffset, buffer), Status(StatusCode::kPermissionDenied));
  EXPECT_TRUE(p.otp.Read(otp::kHeaderOffset, buffer).ok());
  // An access straddling two areas is refused even at a level that may read one.
  EXPECT_EQ(p.otp.Read(otp::kHdpl1AreaOffset - 8, buffer), Status(StatusCode::kPermissionDenied));
}

TEST(VirtualDeviceTest, OtpBitsOnlySet) {
  auto device = DeviceWithLayout();
  platform::Platform p = device->platform();
  const uint32_t offset = otp::kHdpl1AreaOffset + 0x100;
  const std::array<uint8_t, 4> first{0x0f, 0, 0, 0};
  const std::array<uint8_t, 4> more{0xff, 0, 0, 0};
  const std::array<uint8_t, 4> clear{0x01, 0, 0, 0};
  ASSERT_TRUE(p.otp.Program(offset, first).ok());
  ASSERT_TRUE(p.otp.Program(offset, more).ok());
  EXPECT_EQ(p.otp.Program(offset, clear), Status(StatusCode::kFailedPrecondition));
  std::array<uint8_t, 4> read{};
  ASSERT_TRUE(p.otp.Read(offset, read).ok());
  EXPECT_EQ(read[0], 0xff);
  EXPECT_EQ(p.otp.Program(offset + 1, first), Status(StatusCode::kInvalidArgument));
  // The header is programmable only at HDPL0.
  ASSERT_TRUE(device->Raise(Hdpl::kUrot).ok());
  EXPECT_EQ(p.otp.Program(otp::kHeaderOffset + 200, first), Status(StatusCode::kPermissionDenied));
}

TEST(VirtualDeviceTest, FlashProgramUnitOncePerErase) {
  auto device = DeviceWithLayout();
  const otp::FlashLayout layout = DefaultLayout(DefaultGeometry());
  const uint32_t address = layout.primary[2].offset;
  std::array<uint8_t, 16> data{};
  data.fill(0x5a);
  ASSERT_TRUE(device->Program(address, data).ok());
  EXPECT_EQ(device->Program(address, data), Status(StatusCode::kFailedPrecondition));
  EXPECT_EQ(device->Program(address + 8, ConstByteSpan(data.data(), 8)),
            Status(StatusCode::kInvalidArgument));
  ASSERT_TRUE(device->EraseSector(address).ok());
  EXPECT_TRUE(device->Program(address, data).ok());
  EXPECT_EQ(device->EraseSector(address + 16), Status(StatusCode::kInvalidArgument));
}

TEST(VirtualDeviceTest, FlashRegionsFollowTheirOwners) {
  auto device = DeviceWithLayout();
  const otp::FlashLayout layout = DefaultLayout(DefaultGeometry());
  std::array<uint8_t, 16> buffer{};
  // The key store is never writable, even at HDPL0.
  EXPECT_EQ(device->EraseSector(layout.key_store.offset), Status(StatusCode::kPermissionDenied));
  EXPECT_TRUE(device->Read(layout.key_store.offset, buffer).ok());
  ASSERT_TRUE(device->Raise(Hdpl::kSecureManager).ok());
  // uROT's slots are hidden from the Secure Manager; its own are not.
  EXPECT_EQ(device->Read(layout.primary[0].offset, buffer), Status(StatusCode::kPermissionDenied));
  EXPECT_TRUE(device->Read(layout.primary[2].offset, buffer).ok());
  ASSERT_TRUE(device->Raise(Hdpl::kApplication).ok());
  EXPECT_EQ(device->Read(layout.primary[2].offset, buffer), Status(StatusCode::kPermissionDenied));
  EXPECT_EQ(device->Read(layout.key_store.offset, buffer), Status(StatusCode::kPermissionDenied));
  // Outside every region: nobody.
  device->WarmReset();
  EXPECT_EQ(device->Read(DefaultGeometry().size - 16, buffer),
            Status(StatusCode::kPermissionDenied));
  EXPECT_EQ(device->Read(DefaultGeometry().size, buffer), Status(StatusCode::kOutOfRange));
}

TEST(VirtualDeviceTest, RamRegionsHideAsTheLevelRises) {
  auto device = DeviceWithLayout();
  ByteSpan region;
  ASSERT_TRUE(device->Region(RamRegion::kHandoff, &region).ok());
  ASSERT_TRUE(device->Raise(Hdpl::kSecureManager).ok());
  EXPECT_EQ(device->Region(RamRegion::kHandoff, &region), Status(StatusCode::kPermissionDenied));
  EXPECT_TRUE(device->Region(RamRegion::kSmHandoff, &region).ok());
  ASSERT_TRUE(device->Raise(Hdpl::kApplication).ok());
  EXPECT_EQ(device->Region(RamRegion::kSmHandoff, &region), Status(StatusCode::kPermissionDenied));
  EXPECT_TRUE(device->Region(RamRegion::kMailbox, &region).ok());
  EXPECT_TRUE(device->Region(RamRegion::kBootReport, &region).ok());
}

TEST(VirtualDeviceTest, RamSurvivesWarmResetNotPowerCycle) {
  auto device = DeviceWithLayout();
  ByteSpan mailbox;
  ASSERT_TRUE(device->Region(RamRegion::kMailbox, &mailbox).ok());
  mailbox[0] = 0x42;
  device->WarmReset();
  ASSERT_TRUE(device->Region(RamRegion::kMailbox, &mailbox).ok());
  EXPECT_EQ(mailbox[0], 0x42);
  device->PowerCycle();
  ASSERT_TRUE(device->Region(RamRegion::kMailbox, &mailbox).ok());
  EXPECT_EQ(mailbox[0], 0);
}

TEST(VirtualDeviceTest, PowerLossAtOperationN) {
  auto device = DeviceWithLayout();
  const otp::FlashLayout layout = DefaultLayout(DefaultGeometry());
  const uint32_t base = layout.primary[2].offset;
  std::array<uint8_t, 16> data{};
  data.fill(0x11);
  const uint64_t start = device->operations();
  device->SetPowerLossAfter(3);
  EXPECT_TRUE(device->Program(base, data).ok());
  EXPECT_TRUE(device->Program(base + 16, data).ok());
  EXPECT_EQ(device->Program(base + 32, data), Status(StatusCode::kUnavailable));
  EXPECT_FALSE(device->powered());
  EXPECT_EQ(device->Program(base + 48, data), Status(StatusCode::kUnavailable));
  EXPECT_EQ(device->operations(), start + 3);
  // The interrupted operation did not happen.
  EXPECT_EQ(device->raw_flash()[base + 32], 0xff);
  device->WarmReset();
  EXPECT_TRUE(device->powered());
  EXPECT_TRUE(device->Program(base + 32, data).ok());
}

TEST(VirtualDeviceTest, PersistsInItsDirectory) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bastion-vd-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    auto device = VirtualDevice::Create(dir, DefaultGeometry());
    device->FactoryProgramOtp(otp::kHdpl1AreaOffset, {1, 2, 3, 4});
    device->Save();
  }
  auto reopened = VirtualDevice::Open(dir);
  EXPECT_EQ(reopened->raw_otp()[otp::kHdpl1AreaOffset + 2], 3);
  EXPECT_THROW(VirtualDevice::Create(dir, DefaultGeometry()), DeviceError);
  std::filesystem::resize_file(dir / "otp.bin", 10);
  EXPECT_THROW(VirtualDevice::Open(dir), DeviceError);
  std::filesystem::remove_all(dir);
  EXPECT_THROW(VirtualDevice::Open(dir), DeviceError);
}

}  // namespace
}  // namespace bastion::host
