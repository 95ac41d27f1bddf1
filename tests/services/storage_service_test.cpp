// The storage partition (src/storage_service) behind an SPM, over the ITS
// engine: the request layouts of bastion/services.h, per-client namespaces
// (another client's uid answers exactly like a missing one), per-client
// quotas, malformed vectors refused with nothing changed, and a restart
// rebuilding the partition from flash.
#include "storage_service/storage_service.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "bastion/services.h"
#include "its/its_store.h"
#include "provisioning/provisioning.h"
#include "sm/caller_memory.h"
#include "sm/spm.h"
#include "support/otp_header.h"
#include "virtual_device/virtual_device.h"

namespace bastion::storage_service {
namespace {

constexpr sm::ClientId kApp = -1;
constexpr sm::ClientId kOtherApp = -2;
constexpr sm::ClientId kPartition = 5;  // a secure partition with its own quota
constexpr uint32_t kNsQuota = 2048;

inline constexpr sm::ClientId kSecureCallers[] = {kPartition};
inline constexpr sm::ServiceDecl kServices[] = {
    {.name = "its",
     .sid = BASTION_ITS_SID,
     .version = 1,
     .model = sm::ServiceModel::kStateless,
     .callers = {.any_non_secure = true, .clients = kSecureCallers}},
};
inline constexpr sm::PartitionDecl kTable[] = {
    {.name = "its",
     .id = 1,
     .kind = sm::PartitionKind::kPsaRot,
     .services = kServices,
     .storage_quota_bytes = 0,
     .key_slots = 0,
     .stack_bytes = 2048,
     .memory_bytes = 8192},
    {.name = "client",
     .id = kPartition,
     .kind = sm::PartitionKind::kApplicationRot,
     .services = {},
     .storage_quota_bytes = 300,
     .key_slots = 0,
     .stack_bytes = 1024,
     .memory_bytes = 256},
};
BASTION_SM_CHECK_PARTITION_TABLE(kTable);
constexpr psa_handle_t kIts = sm::StatelessHandle(kTable, BASTION_ITS_SID, 1);
constexpr uint8_t kKey[its::kKeySize] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

// A partition with no services (the table's "client").
class Idle final : public sm::Partition {
 public:
  sm::Reply Serve(const sm::ServiceDecl&, sm::Message&) override {
    return sm::Reply::Status(PSA_ERROR_NOT_SUPPORTED);
  }
  void Restart(const sm::PartitionDecl&) override {}
};

using ItsService = StorageService<its::Store, its::kMaxObjectSize>;

class StorageServiceTest : public ::testing::Test {
 protected:
  StorageServiceTest()
      : device_(host::VirtualDevice::InMemory(host::DefaultGeometry())),
        layout_(host::DefaultLayout(host::DefaultGeometry())) {
    test_support::ProgramLayoutHeader(*device_, layout_);
    Boot();
  }
  // A new store, service and SPM over the same flash (a reboot).
  void Boot() {
    spm_.reset();
    service_.reset();
    store_ = std::make_unique<its::ItsStore>(*device_, layout_.storage.offset, layout_.storage.size,
                                          std::span(kKey));
    service_ = std::make_unique<ItsService>(*store_, kTable, kNsQuota,
                                            ServiceTraits{.protected_storage = false});
    partitions_[0] = service_.get();
    partitions_[1] = &idle_;
    spm_ = std::make_unique<sm::SpmBuffer<2, 4>>(kTable, partitions_, memory_);
    ASSERT_TRUE(spm_->Start().ok());
    ASSERT_TRUE(service_->opened());
  }

  // One call with the given vectors (each input and output granted).
  psa_status_t Call(sm::ClientId client, int32_t type, std::vector<std::vector<uint8_t>> ins,
                    std::vector<uint8_t>* out = nullptr) {
    memory_.Clear();
    psa_invec in_vec[4] = {};
    for (size_t i = 0; i < ins.size(); ++i) {
      in_vec[i] = {ins[i].data(), ins[i].size()};
      if (!ins[i].empty()) memory_.Add(client, ins[i].data(), ins[i].size(), false);
    }
    psa_outvec out_vec[1] = {{out != nullptr ? out->data() : nullptr, out ? out->size() : 0}};
    if (out != nullptr && !out->empty()) memory_.Add(client, out->data(), out->size(), true);
    memory_.Add(client, in_vec, sizeof(in_vec), false);
    memory_.Add(client, out_vec, sizeof(out_vec), true);
    const psa_status_t status = spm_->Call(client, kIts, type, in_vec, ins.size(),
                                           out != nullptr ? out_vec : nullptr, out ? 1 : 0);
    if (out != nullptr && status == PSA_SUCCESS) out->resize(out_vec[0].len);
    return status;
  }
  static std::vector<uint8_t> Uid(uint64_t uid) {
    std::vector<uint8_t> v(8);
    for (size_t i = 0; i < 8; ++i) v[i] = static_cast<uint8_t>(uid >> (8 * i));
    return v;
  }
  static std::vector<uint8_t> U32(uint32_t value) {
    std::vector<uint8_t> v(4);
    StoreLe32(v.data(), value);
    return v;
  }
  psa_status_t Set(sm::ClientId client, uint64_t uid, std::vector<uint8_t> data,
                   uint32_t flags = 0) {
    return Call(client, BASTION_STORAGE_SET, {Uid(uid), std::move(data), U32(flags)});
  }
  psa_status_t Get(sm::ClientId client, uint64_t uid, std::vector<uint8_t>* out,
                   uint32_t offset = 0, size_t capacity = 1024) {
    out->assign(capacity, 0xEE);
    return Call(client, BASTION_STORAGE_GET, {Uid(uid), U32(offset)}, out);
  }
  psa_status_t Info(sm::ClientId client, uint64_t uid, std::vector<uint8_t>* out) {
    out->assign(BASTION_STORAGE_INFO_SIZE, 0);
    return Call(client, BASTION_STORAGE_GET_INFO, {Uid(uid)}, out);
  }

  std::unique_ptr<host::VirtualDevice> device_;
  otp::FlashLayout layout_;
  sm::AllowedRanges<12> memory_;
  std::unique_ptr<its::ItsStore> store_;
  std::unique_ptr<ItsService> service_;
  Idle idle_;
  sm::Partition* partitions_[2] = {};
  std::unique_ptr<sm::SpmBuffer<2, 4>> spm_;
};

TEST_F(StorageServiceTest, RoundTripInfoAndRemove) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6, 7};
  ASSERT_EQ(Set(kApp, 42, data), PSA_SUCCESS);
  std::vector<uint8_t> out;
  ASSERT_EQ(Get(kApp, 42, &out), PSA_SUCCESS);
  EXPECT_EQ(out, data);
  ASSERT_EQ(Get(kApp, 42, &out, 5), PSA_SUCCESS);
  EXPECT_EQ(out, (std::vector<uint8_t>{6, 7}));
  ASSERT_EQ(Get(kApp, 42, &out, 0, 3), PSA_SUCCESS);
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(Get(kApp, 42, &out, 8), PSA_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(Info(kApp, 42, &out), PSA_SUCCESS);
  EXPECT_EQ(LoadLe32(out.data()), 7u);      // capacity
  EXPECT_EQ(LoadLe32(out.data() + 4), 7u);  // size
  EXPECT_EQ(LoadLe32(out.data() + 8), 0u);  // flags
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_REMOVE, {Uid(42)}), PSA_SUCCESS);
  EXPECT_EQ(Get(kApp, 42, &out), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_REMOVE, {Uid(42)}), PSA_ERROR_DOES_NOT_EXIST);
}

TEST_F(StorageServiceTest, AnotherClientsUidLooksExactlyLikeAMissingOne) {
  ASSERT_EQ(Set(kApp, 7, {9, 9, 9}, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
  std::vector<uint8_t> theirs, missing;
  const psa_status_t get_theirs = Get(kOtherApp, 7, &theirs);
  const psa_status_t get_missing = Get(kOtherApp, 8, &missing);
  EXPECT_EQ(get_theirs, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(get_theirs, get_missing);
  EXPECT_EQ(theirs, missing);
  EXPECT_EQ(Info(kOtherApp, 7, &theirs), Info(kOtherApp, 8, &missing));
  EXPECT_EQ(Call(kOtherApp, BASTION_STORAGE_REMOVE, {Uid(7)}),
            Call(kOtherApp, BASTION_STORAGE_REMOVE, {Uid(8)}));
  // Their write-once entry does not stop another client using the same uid.
  EXPECT_EQ(Set(kOtherApp, 7, {1}), PSA_SUCCESS);
  std::vector<uint8_t> out;
  ASSERT_EQ(Get(kApp, 7, &out), PSA_SUCCESS);
  EXPECT_EQ(out, (std::vector<uint8_t>{9, 9, 9}));
  EXPECT_EQ(Set(kApp, 7, {2}), PSA_ERROR_NOT_PERMITTED);
}

TEST_F(StorageServiceTest, QuotasArePerClient) {
  EXPECT_EQ(Set(kApp, 1, std::vector<uint8_t>(1024, 1)), PSA_SUCCESS);
  EXPECT_EQ(Set(kApp, 2, std::vector<uint8_t>(1024, 2)), PSA_SUCCESS);
  EXPECT_EQ(Set(kApp, 3, std::vector<uint8_t>(1, 3)), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(kOtherApp, 3, std::vector<uint8_t>(1024, 3)), PSA_SUCCESS);
  // The secure partition's quota comes from the table (300 bytes).
  EXPECT_EQ(Set(kPartition, 1, std::vector<uint8_t>(300, 4)), PSA_SUCCESS);
  EXPECT_EQ(Set(kPartition, 2, std::vector<uint8_t>(1, 4)), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(kOtherApp, 4, std::vector<uint8_t>(its::kMaxObjectSize + 1, 1)),
            PSA_ERROR_INSUFFICIENT_STORAGE);
}

TEST_F(StorageServiceTest, MalformedVectorsChangeNothing) {
  ASSERT_EQ(Set(kApp, 1, {5}), PSA_SUCCESS);
  const std::vector<uint8_t> before = device_->raw_flash();
  const std::vector<uint8_t> short_uid = {1, 0, 0, 0};
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_SET, {short_uid, {1}, U32(0)}),
            PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_SET, {Uid(1), {1}}), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_SET, {Uid(1), {1}, {0, 0}}), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_REMOVE, {{}}), PSA_ERROR_PROGRAMMER_ERROR);
  std::vector<uint8_t> info(BASTION_STORAGE_INFO_SIZE - 1);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_GET_INFO, {Uid(1)}, &info), PSA_ERROR_PROGRAMMER_ERROR);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_SET, {Uid(0), {1}, U32(0)}), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_SET, {Uid(2), {1}, U32(1u << 9)}),
            PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(Call(kApp, 99, {Uid(1)}), PSA_ERROR_NOT_SUPPORTED);
  // Protected-Storage-only requests are not ITS's.
  std::vector<uint8_t> support(4);
  EXPECT_EQ(Call(kApp, BASTION_STORAGE_GET_SUPPORT, {}, &support), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(device_->raw_flash(), before);
  std::vector<uint8_t> out;
  ASSERT_EQ(Get(kApp, 1, &out), PSA_SUCCESS);
  EXPECT_EQ(out, (std::vector<uint8_t>{5}));
}

TEST_F(StorageServiceTest, DataSurvivesARebootAndAPartitionRestart) {
  ASSERT_EQ(Set(kApp, 11, {1, 1}), PSA_SUCCESS);
  spm_->ReportFault(1);  // the partition is restarted from its declaration and storage
  EXPECT_EQ(spm_->FaultCount(1), 1u);
  std::vector<uint8_t> out;
  ASSERT_EQ(Get(kApp, 11, &out), PSA_SUCCESS);
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 1}));
  Boot();
  ASSERT_EQ(Get(kApp, 11, &out), PSA_SUCCESS);
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 1}));
}

}  // namespace
}  // namespace bastion::storage_service
