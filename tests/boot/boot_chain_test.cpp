// The verified boot chain on the virtual device: what boots, what is
// refused and why, what the boot report says, and that secrets hide.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "boot/boot_report.h"
#include "boot/boot_stages.h"
#include "boot/boot_update.h"
#include "boot/handoff.h"
#include "crypto/crypto.h"
#include "image/image.h"
#include "otp/otp_map.h"
#include "provisioning/provisioning.h"
#include "support/counters.h"
#include "support/test_keys.h"
#include "update/swap_journal.h"
#include "virtual_device/virtual_device.h"

namespace bastion {
namespace {

using boot::BootReason;
using host::VirtualDevice;
using image::ImageError;
using otp::Component;
using test_support::MakeKey;
using test_support::Spki;

struct SignSpec {
  uint8_t major = 1;
  uint32_t security_counter = 0;
  bool has_counter = true;
  bool full_key = false;
};

std::vector<uint8_t> Sign(const crypto::EcKeyPair& key, const SignSpec& spec = {},
                          size_t payload_size = 3000) {
  std::vector<uint8_t> payload(payload_size);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7 + spec.major);
  image::SignOptions options;
  options.version.major = spec.major;
  options.header_size = 0x200;
  options.pad_header = true;
  options.has_security_counter = spec.has_counter;
  options.security_counter = spec.security_counter;
  options.full_public_key = spec.full_key;
  std::vector<uint8_t> out(payload_size + 0x200 + 1024);
  size_t written = 0;
  EXPECT_EQ(image::BuildSignedImage(payload, options, key, out, &written), image::BuildError::kOk);
  out.resize(written);
  return out;
}

class BootChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_[0] = MakeKey(crypto::Curve::kP256, 1);  // urot slot 0
    keys_[1] = MakeKey(crypto::Curve::kP256, 2);  // urot slot 1
    keys_[2] = MakeKey(crypto::Curve::kP384, 3);  // sm slot 0 (P-384 domain)
    keys_[3] = MakeKey(crypto::Curve::kP256, 4);  // app slot 0
    keys_[4] = MakeKey(crypto::Curve::kP256, 5);  // app slot 1
    stranger_ = MakeKey(crypto::Curve::kP256, 9);
    profile_.geometry = host::DefaultGeometry();
    profile_.layout = host::DefaultLayout(profile_.geometry);
    profile_.domains[0].keys = {Spki(keys_[0]), Spki(keys_[1])};
    profile_.domains[0].threshold = 1;
    profile_.domains[1].keys = {Spki(keys_[2])};
    profile_.domains[1].threshold = 1;
    profile_.domains[2].keys = {Spki(keys_[3]), Spki(keys_[4])};
  }

  std::unique_ptr<VirtualDevice> Provisioned() {
    auto device = VirtualDevice::InMemory(profile_.geometry);
    host::Provision(*device, profile_);
    return device;
  }

  // A device with valid urot (key 1, full key), sm and app (key 0) images.
  std::unique_ptr<VirtualDevice> Bootable() {
    auto device = Provisioned();
    host::FlashPrimarySlot(*device, Component::kUrot, Sign(keys_[1], {1, 1, true, true}));
    host::FlashPrimarySlot(*device, Component::kSm, Sign(keys_[2], {2, 3}));
    host::FlashPrimarySlot(*device, Component::kApp, Sign(keys_[3], {3, 0}));
    return device;
  }

  // The flash without the counter stores: a boot that refuses a later
  // image may still have set an earlier, verified factory image's floor.
  std::vector<uint8_t> FlashButCounters(const VirtualDevice& device) const {
    std::vector<uint8_t> flash = device.raw_flash();
    for (const otp::FlashRegion& r : {profile_.layout.urot_counters, profile_.layout.counters}) {
      std::fill_n(flash.begin() + r.offset, r.size, 0);
    }
    return flash;
  }

  void ExpectRefused(VirtualDevice& device, Component component, ImageError error) {
    const auto flash = FlashButCounters(device);
    const auto otp = device.raw_otp();
    const VirtualDevice::BootRun run = device.Boot();
    EXPECT_FALSE(run.app_reached);
    ASSERT_TRUE(run.report_valid);
    EXPECT_EQ(run.report.outcome, boot::BootOutcome::kFailed);
    EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kImageRefused);
    EXPECT_EQ(static_cast<Component>(run.report.failure_component), component);
    EXPECT_EQ(static_cast<ImageError>(run.report.failure_detail), error)
        << image::ImageErrorName(static_cast<ImageError>(run.report.failure_detail));
    // A refused boot changes nothing in flash or OTP (but the floors of the
    // factory images verified before the refusal), and leaves no secret.
    EXPECT_EQ(FlashButCounters(device), flash);
    EXPECT_EQ(device.raw_otp(), otp);
    EXPECT_EQ(device.hdpl(), platform::Hdpl::kApplication);
    ExpectHandoffsWiped(device);
  }

  static void ExpectHandoffsWiped(VirtualDevice& device) {
    device.WarmReset();  // HDPL0 can see every region
    for (auto region : {platform::RamRegion::kHandoff}) {
      ByteSpan bytes;
      ASSERT_TRUE(device.Region(region, &bytes).ok());
      for (uint8_t b : bytes) ASSERT_EQ(b, 0);
    }
  }

  // An older sm (1.0.0, SEC_CNT 2) staged over the running sm 2.0.0 (SEC_CNT
  // 3, the floor) is refused as a rollback; sm 2.0.0 keeps running.
  void ExpectOlderSmRefused(VirtualDevice& device) {
    host::InstallSecondarySlot(device, Component::kSm, Sign(keys_[2], {1, 2}), false);
    const VirtualDevice::BootRun run = device.Boot();
    ASSERT_TRUE(run.app_reached);
    bool seen = false;
    for (size_t i = 0; i < run.report.image_count; ++i) {
      const boot::BootReportImage& e = run.report.images[i];
      if (e.component != static_cast<uint8_t>(Component::kSm)) continue;
      seen = true;
      EXPECT_EQ(e.update, static_cast<uint8_t>(boot::UpdateEvent::kInstallRefused));
      EXPECT_EQ(e.update_detail, static_cast<uint16_t>(ImageError::kSecurityCounterRollback));
      EXPECT_EQ(e.version.major, 2);
    }
    EXPECT_TRUE(seen);
  }

  void Corrupt(VirtualDevice& device, Component component, uint32_t offset) {
    const otp::FlashRegion slot = profile_.layout.primary[static_cast<size_t>(component)];
    std::vector<uint8_t> bytes(device.raw_flash().begin() + slot.offset,
                               device.raw_flash().begin() + slot.offset + slot.size);
    bytes[offset] ^= 0x01;
    device.FactoryWriteFlash(slot.offset, bytes);
  }

  std::array<crypto::EcKeyPair, 5> keys_;
  crypto::EcKeyPair stranger_;
  host::Profile profile_;
};

TEST_F(BootChainTest, BootsAndReportsEveryStage) {
  auto device = Bootable();
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  ASSERT_TRUE(run.report_valid);
  EXPECT_EQ(run.report.outcome, boot::BootOutcome::kBooted);
  EXPECT_EQ(run.report.lifecycle, static_cast<uint32_t>(otp::Lifecycle::kSecured));
  ASSERT_EQ(run.report.image_count, 3);
  const boot::BootReportImage& urot = run.report.images[0];
  EXPECT_EQ(urot.component, 0);
  EXPECT_EQ(urot.key_slot, 1);
  EXPECT_EQ(urot.version.major, 1);
  EXPECT_EQ(urot.security_counter, 1u);
  EXPECT_EQ(urot.verified, 1);
  const boot::BootReportImage& sm = run.report.images[1];
  EXPECT_EQ(sm.key_slot, 0);
  EXPECT_EQ(sm.hash_alg, static_cast<uint8_t>(crypto::HashAlg::kSha384));
  EXPECT_EQ(sm.security_counter, 3u);
  // The measurement is the image hash over header, payload and protected TLVs.
  const std::vector<uint8_t> app_image = Sign(keys_[3], {3, 0});
  const image::SpanImageSource source(app_image);
  image::ParsedImage parsed;
  ASSERT_EQ(image::ParseImage(source, &parsed), ImageError::kOk);
  const crypto::Digest expected =
      crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(app_image.data(), parsed.signed_size));
  EXPECT_EQ(0, std::memcmp(run.report.images[2].measurement, expected.bytes.data(), 32));
  // After hand-over: HDPL2, the HUK and the iROT OTP area are unreadable, and
  // uROT's handoff (the HDPL1 seed) is gone.
  EXPECT_EQ(device->hdpl(), platform::Hdpl::kSecureManager);
  std::array<uint8_t, 32> huk{};
  EXPECT_EQ(device->ReadHuk(huk), Status(StatusCode::kPermissionDenied));
  std::array<uint8_t, 8> otp_bytes{};
  EXPECT_EQ(device->platform().otp.Read(otp::kHdpl0AreaOffset, otp_bytes),
            Status(StatusCode::kPermissionDenied));
  EXPECT_EQ(device->platform().otp.Read(otp::kHdpl1AreaOffset, otp_bytes),
            Status(StatusCode::kPermissionDenied));
  // The Secure Manager took its secrets and wiped its handoff region.
  boot::SmHandoff sm_handoff;
  EXPECT_EQ(boot::ReadSmHandoff(*device, &sm_handoff), Status(StatusCode::kDataLoss));
  EXPECT_EQ(device->sm_secrets().magic, boot::kSmHandoffMagic);
  ExpectHandoffsWiped(*device);
}

TEST_F(BootChainTest, SecretsAreStableAndDeviceUnique) {
  auto a = Bootable();
  ASSERT_TRUE(a->Boot().app_reached);
  const boot::SmHandoff first = a->sm_secrets();
  ASSERT_TRUE(a->Boot().app_reached);
  const boot::SmHandoff second = a->sm_secrets();
  EXPECT_EQ(0, std::memcmp(first.storage_key, second.storage_key, 32));
  EXPECT_NE(0, std::memcmp(first.storage_key, first.attestation_seed, 32));
  const std::array<uint8_t, 32> zero{};
  EXPECT_NE(0, std::memcmp(first.storage_key, zero.data(), 32));
  auto b = Bootable();  // another HUK
  ASSERT_TRUE(b->Boot().app_reached);
  EXPECT_NE(0, std::memcmp(first.storage_key, b->sm_secrets().storage_key, 32));
}

TEST_F(BootChainTest, TamperedUrotIsRefusedByIrot) {
  auto device = Bootable();
  Corrupt(*device, Component::kUrot, 0x200 + 100);
  ExpectRefused(*device, Component::kUrot, ImageError::kHashMismatch);
}

TEST_F(BootChainTest, TamperedProtectedTlvIsRefused) {
  auto device = Bootable();
  // The SEC_CNT value sits right after the payload and the protected info.
  Corrupt(*device, Component::kApp, 0x200 + 3000 + 4 + 4);
  ExpectRefused(*device, Component::kApp, ImageError::kHashMismatch);
}

TEST_F(BootChainTest, TamperedSmIsRefusedByUrot) {
  auto device = Bootable();
  Corrupt(*device, Component::kSm, 0x200 + 5);
  ExpectRefused(*device, Component::kSm, ImageError::kHashMismatch);
}

TEST_F(BootChainTest, UnprovisionedKeyIsRefused) {
  auto device = Bootable();
  host::FlashPrimarySlot(*device, Component::kApp, Sign(stranger_));
  ExpectRefused(*device, Component::kApp, ImageError::kKeyNotProvisioned);
  host::FlashPrimarySlot(*device, Component::kApp, Sign(stranger_, {1, 0, true, true}));
  ExpectRefused(*device, Component::kApp, ImageError::kKeyNotProvisioned);
}

TEST_F(BootChainTest, KeyOfAnotherDomainIsRefused) {
  auto device = Bootable();
  // Signed by a uROT key: valid elsewhere, not in the app domain.
  host::FlashPrimarySlot(*device, Component::kApp, Sign(keys_[0]));
  ExpectRefused(*device, Component::kApp, ImageError::kKeyNotProvisioned);
}

TEST_F(BootChainTest, RevokedKeyIsRefused) {
  auto device = Bootable();
  // Revoke app slot 0 as the revocation engine will: the marker word.
  std::vector<uint8_t> marker(4);
  StoreLe32(marker.data(), otp::kSlotRevokedMarker);
  const uint32_t offset = otp::DomainOffset(Component::kApp) + offsetof(otp::OtpDomain, signing) +
                          offsetof(otp::OtpKeySlot, revoked);
  device->FactoryProgramOtp(offset, marker);
  ExpectRefused(*device, Component::kApp, ImageError::kKeyRevoked);
  host::FlashPrimarySlot(*device, Component::kApp, Sign(keys_[4]));
  EXPECT_TRUE(device->Boot().app_reached);
}

TEST_F(BootChainTest, SecurityCounterBelowTheProvisionedFloorIsRefused) {
  profile_.domains[1].security_counter = 5;  // the profile's floor for sm
  auto device = Bootable();
  EXPECT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kSm), 5u);
  ExpectRefused(*device, Component::kSm, ImageError::kSecurityCounterRollback);
  host::FlashPrimarySlot(*device, Component::kSm, Sign(keys_[2], {2, 5}));
  EXPECT_TRUE(device->Boot().app_reached);
}

// A factory-flashed image sets the floor at its first boot (it never goes
// through a confirm): nothing older installs over it afterwards.
TEST_F(BootChainTest, FactoryImageSetsTheFloorAtItsFirstBoot) {
  auto device = Bootable();  // sm 2.0.0 with SEC_CNT 3, urot 1
  EXPECT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kSm), 0u);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  EXPECT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kSm), 3u);
  EXPECT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kUrot), 1u);
  bool reported = false;
  for (size_t i = 0; i < run.report.image_count; ++i) {
    const boot::BootReportImage& e = run.report.images[i];
    if (e.component != static_cast<uint8_t>(Component::kSm)) continue;
    reported = true;
    EXPECT_EQ(e.counter_update, static_cast<uint8_t>(boot::CounterUpdate::kRaised));
    EXPECT_EQ(e.stored_counter, 3u);
  }
  EXPECT_TRUE(reported);
  ExpectOlderSmRefused(*device);
}

TEST_F(BootChainTest, EmptySlotIsRefused) {
  auto device = Provisioned();
  ExpectRefused(*device, Component::kUrot, ImageError::kSlotEmpty);
}

TEST_F(BootChainTest, KeyHashImageNeedsAKeyStoreEntryMatchingOtp) {
  auto device = Bootable();
  // app signed with KEYHASH by key slot 0: the key comes from the key store.
  ASSERT_TRUE(device->Boot().app_reached);
  // Corrupt the key store entry: its hash no longer matches OTP.
  const uint32_t entry =
      profile_.layout.key_store.offset + otp::KeyStoreEntryOffset(Component::kApp, 0) + 4 + 40;
  std::vector<uint8_t> store(device->raw_flash().begin() + profile_.layout.key_store.offset,
                             device->raw_flash().begin() + profile_.layout.key_store.offset +
                                 profile_.layout.key_store.size);
  store[entry - profile_.layout.key_store.offset] ^= 0x80;
  device->FactoryWriteFlash(profile_.layout.key_store.offset, store);
  ExpectRefused(*device, Component::kApp, ImageError::kKeyNotProvisioned);
}

TEST_F(BootChainTest, LifecycleDecidesWhetherToBoot) {
  profile_.lifecycle = otp::Lifecycle::kDecommissioned;
  auto device = Bootable();
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kLifecycleNotBootable);
  EXPECT_EQ(run.report.image_count, 0);
}

TEST_F(BootChainTest, EarlyFailureDoesNotReusePreviousReport) {
  auto device = Bootable();
  ASSERT_TRUE(device->Boot().app_reached);
  // Break the OTP header's layout check: the next boot stops before iROT
  // starts a report, and must not present the previous boot's images.
  std::vector<uint8_t> flash_size_marker(4);
  StoreLe32(flash_size_marker.data(), 0xffffffff);
  device->FactoryProgramOtp(offsetof(otp::OtpHeader, layout) + offsetof(otp::FlashLayout, storage),
                            flash_size_marker);
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kLayoutInvalid);
  EXPECT_EQ(run.report.image_count, 0);
}

TEST_F(BootChainTest, CorruptKeyDomainStopsTheBoot) {
  auto device = Bootable();
  // A record log with a gap (entry 1 written, entry 0 empty) is corrupt OTP,
  // not an image problem.
  const otp::OtpRevocationRecord record = otp::MakeRevocationRecord(1, 0x1);
  std::vector<uint8_t> bytes(sizeof(record));
  std::memcpy(bytes.data(), &record, sizeof(record));
  device->FactoryProgramOtp(
      otp::DomainOffset(Component::kApp) + offsetof(otp::OtpDomain, revocations) + sizeof(record),
      bytes);
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kDomainUnavailable);
  EXPECT_EQ(static_cast<Component>(run.report.failure_component), Component::kApp);
}

// A counter store whose sectors no longer check (a corrupted HDPL1 region;
// a power loss never does this) does not stop the device: uROT rebuilds it
// from what it still holds, raises each counter back to its running,
// verified image's SEC_CNT, says so, and nothing older installs afterwards.
TEST_F(BootChainTest, CorruptCounterStoreIsRebuiltAndTheFloorComesBack) {
  auto device = Bootable();  // sm 2.0.0 with SEC_CNT 3
  ASSERT_TRUE(device->Boot().app_reached);
  ASSERT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kSm), 3u);
  device->FactoryWriteFlash(profile_.layout.counters.offset,
                            std::vector<uint8_t>(profile_.layout.counters.size, 0x00));
  ASSERT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kSm), UINT32_MAX);
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  for (size_t i = 0; i < run.report.image_count; ++i) {
    const boot::BootReportImage& e = run.report.images[i];
    const bool in_store = e.component != static_cast<uint8_t>(Component::kUrot);
    EXPECT_EQ(e.counter_update, static_cast<uint8_t>(in_store ? boot::CounterUpdate::kRepaired
                                                              : boot::CounterUpdate::kNone))
        << int{e.component};
  }
  EXPECT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kSm), 3u);
  EXPECT_EQ(test_support::StoredCounter(*device, profile_.layout, Component::kUrot), 1u);
  ExpectOlderSmRefused(*device);
}

// Each swap journal lives in an area only its owner (or a lower stage) can
// write: the Secure Manager (HDPL2) can forge neither, uROT (HDPL1) not
// iROT's. And iROT acts only on its own area: a journal naming the urot
// slots in uROT's area (what HDPL2 could once write, to make iROT copy an
// erased sector over uROT or roll a confirmed uROT back) changes nothing.
TEST_F(BootChainTest, SwapJournalsAreOwnedAndIrotActsOnlyOnItsOwn) {
  auto device = Bootable();
  ASSERT_TRUE(device->Boot().app_reached);
  const otp::FlashLayout& l = profile_.layout;
  const size_t u = static_cast<size_t>(Component::kUrot);
  const uint32_t sector = profile_.geometry.sector_size;
  update::JournalHeader h{};
  h.kind = static_cast<uint8_t>(update::SwapKind::kRevert);
  h.sectors = 2;
  h.primary_offset = l.primary[u].offset;
  h.secondary_offset = l.secondary[u].offset;
  h.primary_image_sectors = 2;
  h.secondary_image_sectors = 2;
  h.sector_size = sector;
  update::Journal journal;
  device->WarmReset();
  ASSERT_TRUE(device->Raise(platform::Hdpl::kSecureManager).ok());
  EXPECT_EQ(update::BeginJournal(*device, l.scratch, h, &journal).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(update::BeginJournal(*device, l.urot_scratch, h, &journal).code(),
            StatusCode::kPermissionDenied);
  device->WarmReset();
  ASSERT_TRUE(device->Raise(platform::Hdpl::kUrot).ok());
  EXPECT_EQ(update::BeginJournal(*device, l.urot_scratch, h, &journal).code(),
            StatusCode::kPermissionDenied);
  // uROT's own area takes it; iROT must not act on it.
  ASSERT_TRUE(update::BeginJournal(*device, l.scratch, h, &journal).ok());
  const std::vector<uint8_t> before = device->raw_flash();
  const VirtualDevice::BootRun run = device->Boot();
  ASSERT_TRUE(run.app_reached);
  for (const otp::FlashRegion& r : {l.primary[u], l.secondary[u]}) {
    EXPECT_TRUE(std::equal(before.begin() + r.offset, before.begin() + r.offset + r.size,
                           device->raw_flash().begin() + r.offset));
  }
  EXPECT_EQ(run.report.images[0].component, static_cast<uint8_t>(Component::kUrot));
  EXPECT_EQ(run.report.images[0].verified, 1);
}

// The boot chain's formats need 8-byte program units: a device whose OTP
// layout names a 4-byte unit geometry refuses to boot with its reason,
// instead of re-running swaps at every boot.
TEST_F(BootChainTest, ProgramUnitBelowEightBytesIsAnInvalidLayout) {
  platform::FlashGeometry g = profile_.geometry;
  g.program_unit = 4;
  auto device = VirtualDevice::InMemory(g);
  otp::OtpHeader header{};
  header.magic = otp::kOtpMagic;
  header.format_version = otp::kOtpFormatVersion;
  header.layout = host::DefaultLayout(g);
  header.complete = otp::kHeaderCompleteMarker;
  EXPECT_FALSE(otp::LayoutValid(header.layout, g));
  std::vector<uint8_t> bytes(sizeof(header));
  std::memcpy(bytes.data(), &header, sizeof(header));
  device->FactoryProgramOtp(0, bytes);
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kLayoutInvalid);
  host::Profile p = profile_;
  p.geometry = g;
  EXPECT_THROW(host::Provision(*VirtualDevice::InMemory(g), p), host::DeviceError);
}

TEST_F(BootChainTest, UrotWithoutHandoffStops) {
  auto device = Bootable();
  const VirtualDevice::BootRun run = device->RunFromReset([](platform::Platform& p) {
    boot::BootReport report;
    boot::InitBootReport(&report, otp::Lifecycle::kSecured);
    ASSERT_TRUE(boot::WriteBootReport(p.ram, &report).ok());
    ASSERT_TRUE(p.hdpl.Raise(platform::Hdpl::kUrot).ok());
    boot::RunUrot(p);  // no iROT before it: no HDPL1 seed
  });
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kHandoffInvalid);
  // Both images were verified first; the missing seed stopped the hand-over.
  EXPECT_EQ(run.report.image_count, 2);
}

TEST_F(BootChainTest, HardenedFaultGoesThroughTheFailureExit) {
  auto device = Bootable();
  const VirtualDevice::BootRun run = device->RunFromReset([](platform::Platform& p) {
    (void)boot::RunIrot(p);
    // A decision value that is neither kTrue nor kFalse: a glitch.
    (void)HardenedIsTrue(static_cast<HardenedBool>(Launder(0x7390u)));
  });
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kFaultDetected);
  EXPECT_EQ(device->hdpl(), platform::Hdpl::kApplication);
  ExpectHandoffsWiped(*device);
}

TEST_F(BootChainTest, ForgedReportInRamIsNotReused) {
  auto device = Bootable();
  // The application can write the report region; plant an "in progress"
  // report with a fake verified image, then make the next boot fail early.
  {
    ByteSpan region;
    ASSERT_TRUE(device->Region(platform::RamRegion::kBootReport, &region).ok());
    boot::BootReport forged;
    boot::InitBootReport(&forged, otp::Lifecycle::kSecured);
    boot::BootReportImage fake{};
    fake.verified = 1;
    ASSERT_TRUE(boot::AppendImage(&forged, fake).ok());
    ASSERT_TRUE(boot::WriteBootReport(*device, &forged).ok());
  }
  host::FlashPrimarySlot(*device, Component::kUrot, Sign(stranger_));
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  ASSERT_EQ(run.report.image_count, 1);
  EXPECT_EQ(run.report.images[0].verified, 0);
}

TEST_F(BootChainTest, UnprovisionedDeviceDoesNotBoot) {
  auto device = VirtualDevice::InMemory(profile_.geometry);
  const VirtualDevice::BootRun run = device->Boot();
  EXPECT_FALSE(run.app_reached);
  EXPECT_EQ(static_cast<BootReason>(run.report.failure_reason), BootReason::kOtpNotProvisioned);
}

TEST_F(BootChainTest, PowerLossDuringBootNeverHandsOver) {
  // Boot does not write flash or OTP today; a device that has lost power
  // refuses every access, and the chain stops instead of handing over.
  auto device = Bootable();
  device->SetPowerLossAfter(1);
  std::array<uint8_t, 16> data{};
  EXPECT_FALSE(device->Program(profile_.layout.scratch.offset, data).ok());
  VirtualDevice::BootRun run;
  // Boot() resets, restoring power: the interrupted write left nothing.
  run = device->Boot();
  EXPECT_TRUE(run.app_reached);
  EXPECT_EQ(device->raw_flash()[profile_.layout.scratch.offset], 0xff);
}

}  // namespace
}  // namespace bastion
