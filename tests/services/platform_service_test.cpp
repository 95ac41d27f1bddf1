// The platform service partition (src/platform_service) behind an SPM:
// the boot report as applications see it, confirm / reject queued in the
// mailbox only for a TRIAL image, revocation commands checked for form and
// queued, callers the table does not list refused, a full mailbox reported.
#include "platform_service/platform_service.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "bastion/services.h"
#include "boot/boot_update.h"
#include "cose/cose.h"
#include "mailbox/mailbox.h"
#include "revocation/revocation_command.h"
#include "sm/caller_memory.h"
#include "sm/spm.h"
#include "support/test_keys.h"

namespace bastion::platform_service {
namespace {

using otp::Component;

constexpr sm::ClientId kApp = BASTION_NS_CLIENT_APP;
constexpr sm::ClientId kOtherApp = -2;
inline constexpr sm::ClientId kRevokers[] = {kApp};
inline constexpr sm::ServiceDecl kServices[] = {
    {.name = "platform",
     .sid = BASTION_PLATFORM_SID,
     .version = 1,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true}},
    {.name = "revocation",
     .sid = BASTION_REVOCATION_SID,
     .version = 1,
     .model = sm::ServiceModel::kStateless,
     .callers = {.clients = kRevokers}},
};
inline constexpr sm::PartitionDecl kTable[] = {
    {.name = "platform",
     .id = 3,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 1024,
     .memory_bytes = 1024},
};
BASTION_SM_CHECK_PARTITION_TABLE(kTable);
constexpr psa_handle_t kPlatform = sm::StatelessHandle(kTable, BASTION_PLATFORM_SID, 1);
constexpr psa_handle_t kRevocation = sm::StatelessHandle(kTable, BASTION_REVOCATION_SID, 1);

// Shared RAM with only a mailbox.
class MailboxRam final : public platform::SharedRam {
 public:
  Status Region(platform::RamRegion region, ByteSpan* out) override {
    if (region != platform::RamRegion::kMailbox) return StatusCode::kPermissionDenied;
    *out = ByteSpan(bytes.data(), bytes.size());
    return StatusCode::kOk;
  }
  mailbox::Requests Parse() {
    copy = bytes;
    mailbox::Requests requests;
    if (mailbox::ParseMailbox(copy, &requests) != mailbox::MailboxError::kOk) requests.count = 0;
    return requests;
  }
  std::array<uint8_t, mailbox::kMailboxCapacity> bytes{};
  std::array<uint8_t, mailbox::kMailboxCapacity> copy{};
};

boot::BootReport Report(uint8_t app_state) {
  boot::BootReport r{};
  r.magic = boot::kBootReportMagic;
  r.lifecycle = static_cast<uint32_t>(otp::Lifecycle::kSecured);
  r.image_count = 2;
  r.images[0].component = static_cast<uint8_t>(Component::kSm);
  r.images[0].verified = 1;
  r.images[0].state = static_cast<uint8_t>(boot::ImageState::kReady);
  r.images[0].hash_alg = static_cast<uint8_t>(crypto::HashAlg::kSha384);
  r.images[1].component = static_cast<uint8_t>(Component::kApp);
  r.images[1].verified = 1;
  r.images[1].state = app_state;
  r.images[1].key_slot = 2;
  r.images[1].hash_alg = static_cast<uint8_t>(crypto::HashAlg::kSha256);
  r.images[1].version = {2, 1, 3, 7};
  r.images[1].security_counter = 0x02010003;
  for (size_t i = 0; i < 32; ++i) r.images[1].measurement[i] = static_cast<uint8_t>(i);
  r.domains[1] = {static_cast<uint8_t>(Component::kSm),
                  static_cast<uint8_t>(boot::DomainReport::kUnreadable), {}, 0, 16, 0};
  r.domains[2] = {static_cast<uint8_t>(Component::kApp),
                  static_cast<uint8_t>(boot::DomainReport::kRead),
                  {2, 1, 1, 0},
                  1,
                  16,
                  5};
  r.request_count = 1;
  r.requests[0] = {static_cast<uint8_t>(mailbox::RequestType::kRevoke),
                   static_cast<uint8_t>(Component::kApp), 0, 0, 5, 0x2, {}};
  return r;
}

std::vector<uint8_t> RevokeCommand(uint32_t sequence) {
  revocation::RevocationCommand c;
  c.domain = Component::kApp;
  c.slots[0] = 1;
  c.slot_count = 1;
  c.sequence = sequence;
  std::vector<uint8_t> payload(revocation::kMaxPayloadSize);
  size_t n = 0;
  EXPECT_TRUE(revocation::EncodeCommand(c, payload, &n).ok());
  payload.resize(n);
  const auto& key = test_support::P256(0);
  const std::array<uint8_t, 32> kid = test_support::Kid(key);
  const cose::SignerInput signer{&key, kid};
  std::vector<uint8_t> out(2048);
  size_t m = 0;
  EXPECT_TRUE(cose::BuildCoseSign(payload, std::span(&signer, 1), {}, out, &m).ok());
  out.resize(m);
  return out;
}

class PlatformServiceTest : public ::testing::Test {
 protected:
  void Start(uint8_t app_state, bool valid = true) {
    report_ = Report(app_state);
    service_ = std::make_unique<PlatformService>(report_, valid, &ram_, kTable);
    partitions_[0] = service_.get();
    spm_ = std::make_unique<sm::SpmBuffer<1, 4>>(kTable, partitions_, memory_);
    service_->set_spm(spm_.get());
    ASSERT_TRUE(spm_->Start().ok());
  }
  psa_status_t Call(sm::ClientId client, psa_handle_t handle, int32_t type, const void* in,
                    size_t in_size, void* out = nullptr, size_t out_size = 0) {
    memory_.Clear();
    const psa_invec in_vec[1] = {{in, in_size}};
    psa_outvec out_vec[1] = {{out, out_size}};
    if (in_size != 0) memory_.Add(client, in, in_size, false);
    if (out_size != 0) memory_.Add(client, out, out_size, true);
    memory_.Add(client, in_vec, sizeof(in_vec), false);
    memory_.Add(client, out_vec, sizeof(out_vec), true);
    return spm_->Call(client, handle, type, in_size != 0 ? in_vec : nullptr, in_size != 0 ? 1 : 0,
                      out_size != 0 ? out_vec : nullptr, out_size != 0 ? 1 : 0);
  }
  psa_status_t Confirm(uint8_t component, int32_t type = BASTION_PLATFORM_CONFIRM) {
    return Call(kApp, kPlatform, type, &component, 1);
  }

  boot::BootReport report_{};
  MailboxRam ram_;
  sm::AllowedRanges<8> memory_;
  std::unique_ptr<PlatformService> service_;
  sm::Partition* partitions_[1] = {};
  std::unique_ptr<sm::SpmBuffer<1, 4>> spm_;
};

TEST_F(PlatformServiceTest, BootReportCarriesImagesRequestsAndPartitions) {
  Start(static_cast<uint8_t>(boot::ImageState::kTrial));
  bastion_boot_report_t out;
  std::memset(&out, 0xAA, sizeof(out));
  ASSERT_EQ(Call(kApp, kPlatform, BASTION_PLATFORM_BOOT_REPORT, nullptr, 0, &out, sizeof(out)),
            PSA_SUCCESS);
  EXPECT_EQ(out.version, BASTION_BOOT_REPORT_VERSION);
  EXPECT_EQ(out.lifecycle, 0x3000u);
  ASSERT_EQ(out.image_count, 2u);
  const bastion_image_info_t& app = out.images[1];
  EXPECT_EQ(app.component, BASTION_COMPONENT_APP);
  EXPECT_EQ(app.state, BASTION_IMAGE_TRIAL);
  EXPECT_EQ(app.key_slot, 2);
  EXPECT_EQ(app.version_major, 2);
  EXPECT_EQ(app.version_minor, 1);
  EXPECT_EQ(app.version_revision, 3);
  EXPECT_EQ(app.version_build, 7u);
  EXPECT_EQ(app.security_counter, 0x02010003u);
  EXPECT_EQ(app.measurement_size, 32);
  EXPECT_EQ(app.measurement[31], 31);
  EXPECT_EQ(out.images[0].measurement_size, 48);
  // Domains the boot chain did not reach are left out; an unreadable one says so.
  ASSERT_EQ(out.domain_count, 2u);
  EXPECT_EQ(out.domains[0].component, BASTION_COMPONENT_SM);
  EXPECT_EQ(out.domains[0].readable, 0);
  EXPECT_EQ(out.domains[0].records_capacity, 0);
  EXPECT_EQ(out.domains[1].component, BASTION_COMPONENT_APP);
  EXPECT_EQ(out.domains[1].readable, 1);
  EXPECT_EQ(out.domains[1].signing_slot_states[0], BASTION_SLOT_REVOKED);
  EXPECT_EQ(out.domains[1].signing_slot_states[3], BASTION_SLOT_BLANK);
  EXPECT_EQ(out.domains[1].records_used, 1);
  EXPECT_EQ(out.domains[1].records_capacity, 16);
  EXPECT_EQ(out.domains[1].revocation_sequence, 5u);
  ASSERT_EQ(out.request_count, 1u);
  EXPECT_EQ(out.requests[0].type, BASTION_REQUEST_REVOKE);
  EXPECT_EQ(out.requests[0].sequence, 5u);
  EXPECT_EQ(out.requests[0].revoked_slots, 0x2);
  ASSERT_EQ(out.partition_count, 1u);
  EXPECT_EQ(out.partitions[0].partition_id, 3);
  EXPECT_EQ(out.partitions[0].restarts, 0u);
}

TEST_F(PlatformServiceTest, BootReportNeedsRoomAndAValidReport) {
  Start(static_cast<uint8_t>(boot::ImageState::kReady));
  std::vector<uint8_t> small(sizeof(bastion_boot_report_t) - 1, 0x5A);
  EXPECT_EQ(Call(kApp, kPlatform, BASTION_PLATFORM_BOOT_REPORT, nullptr, 0, small.data(),
                 small.size()),
            PSA_ERROR_BUFFER_TOO_SMALL);
  for (uint8_t b : small) ASSERT_EQ(b, 0x5A);  // nothing written
  Start(static_cast<uint8_t>(boot::ImageState::kReady), /*valid=*/false);
  bastion_boot_report_t out;
  EXPECT_EQ(Call(kApp, kPlatform, BASTION_PLATFORM_BOOT_REPORT, nullptr, 0, &out, sizeof(out)),
            PSA_ERROR_BAD_STATE);
}

TEST_F(PlatformServiceTest, ConfirmAndRejectQueueOnlyForATrialImage) {
  Start(static_cast<uint8_t>(boot::ImageState::kTrial));
  EXPECT_EQ(Confirm(BASTION_COMPONENT_APP), PSA_SUCCESS);
  EXPECT_EQ(Confirm(BASTION_COMPONENT_APP), PSA_SUCCESS);  // not queued twice
  mailbox::Requests queued = ram_.Parse();
  ASSERT_EQ(queued.count, 1u);
  EXPECT_EQ(queued.items[0].type, mailbox::RequestType::kConfirm);
  EXPECT_EQ(queued.items[0].component, BASTION_COMPONENT_APP);
  // The SM's image is READY: nothing to confirm or reject.
  EXPECT_EQ(Confirm(BASTION_COMPONENT_SM), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(Confirm(BASTION_COMPONENT_SM, BASTION_PLATFORM_REJECT), PSA_ERROR_BAD_STATE);
  EXPECT_EQ(Confirm(7), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Confirm(BASTION_COMPONENT_APP, BASTION_PLATFORM_REJECT), PSA_SUCCESS);
  queued = ram_.Parse();
  ASSERT_EQ(queued.count, 2u);
  EXPECT_EQ(queued.items[1].type, mailbox::RequestType::kReject);
  // A component vector of the wrong size is the client's error.
  const uint8_t two[2] = {2, 2};
  EXPECT_EQ(Call(kApp, kPlatform, BASTION_PLATFORM_CONFIRM, two, 2), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(ram_.Parse().count, 2u);
}

TEST_F(PlatformServiceTest, ConfirmOfAReadyImageChangesNothing) {
  Start(static_cast<uint8_t>(boot::ImageState::kReady));
  EXPECT_EQ(Confirm(BASTION_COMPONENT_APP), PSA_ERROR_BAD_STATE);
  for (uint8_t b : ram_.bytes) ASSERT_EQ(b, 0);
}

TEST_F(PlatformServiceTest, RevocationCommandIsCheckedForFormAndQueued) {
  Start(static_cast<uint8_t>(boot::ImageState::kReady));
  const std::vector<uint8_t> command = RevokeCommand(9);
  EXPECT_EQ(Call(kApp, kRevocation, BASTION_REVOCATION_SUBMIT, command.data(), command.size()),
            PSA_SUCCESS);
  const mailbox::Requests queued = ram_.Parse();
  ASSERT_EQ(queued.count, 1u);
  EXPECT_EQ(queued.items[0].type, mailbox::RequestType::kRevoke);
  ASSERT_EQ(queued.items[0].data.size(), command.size());
  EXPECT_EQ(std::memcmp(queued.items[0].data.data(), command.data(), command.size()), 0);
}

TEST_F(PlatformServiceTest, MalformedRevocationCommandsChangeNothing) {
  Start(static_cast<uint8_t>(boot::ImageState::kReady));
  std::vector<uint8_t> command = RevokeCommand(9);
  std::vector<std::vector<uint8_t>> bad;
  bad.push_back({0xa0});                                           // a CBOR map, not a COSE_Sign
  bad.push_back(std::vector<uint8_t>(command.begin(), command.end() - 1));  // truncated
  std::vector<uint8_t> flipped = command;
  flipped[6] ^= 0xFF;  // inside the protected header / payload
  bad.push_back(flipped);
  for (const auto& b : bad) {
    EXPECT_EQ(Call(kApp, kRevocation, BASTION_REVOCATION_SUBMIT, b.data(), b.size()),
              PSA_ERROR_INVALID_ARGUMENT);
  }
  std::vector<uint8_t> huge(BASTION_REVOCATION_MAX_SIZE + 1, 0);
  EXPECT_EQ(Call(kApp, kRevocation, BASTION_REVOCATION_SUBMIT, huge.data(), huge.size()),
            PSA_ERROR_INVALID_ARGUMENT);
  for (uint8_t b : ram_.bytes) ASSERT_EQ(b, 0);
}

TEST_F(PlatformServiceTest, OnlyListedClientsMaySubmitRevocations) {
  Start(static_cast<uint8_t>(boot::ImageState::kReady));
  EXPECT_EQ(spm_->Version(kOtherApp, BASTION_REVOCATION_SID), PSA_VERSION_NONE);
  EXPECT_EQ(spm_->Version(kApp, BASTION_REVOCATION_SID), 1u);
  const std::vector<uint8_t> command = RevokeCommand(9);
  EXPECT_EQ(
      Call(kOtherApp, kRevocation, BASTION_REVOCATION_SUBMIT, command.data(), command.size()),
      PSA_ERROR_PROGRAMMER_ERROR);
  for (uint8_t b : ram_.bytes) ASSERT_EQ(b, 0);
}

TEST_F(PlatformServiceTest, AFullMailboxIsReported) {
  Start(static_cast<uint8_t>(boot::ImageState::kTrial));
  for (uint32_t i = 0; i < mailbox::kMaxRequests; ++i) {
    const std::vector<uint8_t> command = RevokeCommand(10 + i);
    ASSERT_EQ(Call(kApp, kRevocation, BASTION_REVOCATION_SUBMIT, command.data(), command.size()),
              PSA_SUCCESS)
        << i;
  }
  const std::array<uint8_t, mailbox::kMailboxCapacity> before = ram_.bytes;
  EXPECT_EQ(Confirm(BASTION_COMPONENT_APP), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(ram_.bytes, before);
}

TEST_F(PlatformServiceTest, GarbageInTheMailboxIsReplaced) {
  Start(static_cast<uint8_t>(boot::ImageState::kTrial));
  ram_.bytes.fill(0x5C);
  EXPECT_EQ(Confirm(BASTION_COMPONENT_APP), PSA_SUCCESS);
  EXPECT_EQ(ram_.Parse().count, 1u);
}

TEST_F(PlatformServiceTest, LifecycleIsReported) {
  Start(static_cast<uint8_t>(boot::ImageState::kReady));
  uint8_t bytes[4] = {};
  ASSERT_EQ(Call(kApp, kPlatform, BASTION_PLATFORM_LIFECYCLE, nullptr, 0, bytes, 4), PSA_SUCCESS);
  EXPECT_EQ(LoadLe32(bytes), 0x3000u);
}

}  // namespace
}  // namespace bastion::platform_service
