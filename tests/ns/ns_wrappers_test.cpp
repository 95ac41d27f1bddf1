// libbastion_ns over a fake transport that records every call: psa/client.h
// dispatch, and the ITS, PS and platform wrappers marshalling exactly the
// request layouts of include/bastion/services.h (and refusing bad arguments
// locally, without a call).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bastion/platform.h"
#include "bastion/services.h"
#include "bastion_ns_transport.h"
#include "psa/client.h"
#include "psa/internal_trusted_storage.h"
#include "psa/protected_storage.h"

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}
Bytes Le64(uint64_t v) {
  Bytes out = Le32(static_cast<uint32_t>(v));
  const Bytes high = Le32(static_cast<uint32_t>(v >> 32));
  out.insert(out.end(), high.begin(), high.end());
  return out;
}

struct RecordedCall {
  psa_handle_t handle = 0;
  int32_t type = 0;
  std::vector<Bytes> in;
  std::vector<size_t> out_capacity;
};

// The fake Secure Manager: records, and answers with `status` and `outputs`.
struct FakeService {
  std::vector<RecordedCall> calls;
  std::vector<uint32_t> version_sids;
  std::vector<psa_handle_t> closed;
  uint32_t version = 1;
  psa_handle_t connect_answer = 0x10001;
  psa_status_t status = PSA_SUCCESS;
  std::vector<Bytes> outputs;  // written to the out vectors (cut to their capacity)

  static FakeService* Of(void* context) { return static_cast<FakeService*>(context); }
  static uint32_t Framework(void* context) {
    Of(context)->version_sids.push_back(0);
    return 0x0101;
  }
  static uint32_t Version(void* context, uint32_t sid) {
    Of(context)->version_sids.push_back(sid);
    return Of(context)->version;
  }
  static psa_handle_t Connect(void* context, uint32_t sid, uint32_t version) {
    Of(context)->version_sids.push_back(sid);
    Of(context)->version_sids.push_back(version);
    return Of(context)->connect_answer;
  }
  static psa_status_t Call(void* context, psa_handle_t handle, int32_t type, const psa_invec* in,
                           size_t in_len, psa_outvec* out, size_t out_len) {
    FakeService* self = Of(context);
    RecordedCall call{handle, type, {}, {}};
    for (size_t i = 0; i < in_len; ++i) {
      const auto* base = static_cast<const uint8_t*>(in[i].base);
      call.in.emplace_back(base, base + in[i].len);
    }
    for (size_t i = 0; i < out_len; ++i) {
      call.out_capacity.push_back(out[i].len);
      const Bytes data = i < self->outputs.size() ? self->outputs[i] : Bytes{};
      const size_t n = std::min(data.size(), out[i].len);
      if (n != 0) std::memcpy(out[i].base, data.data(), n);
      out[i].len = n;
    }
    self->calls.push_back(call);
    return self->status;
  }
  static void Close(void* context, psa_handle_t handle) { Of(context)->closed.push_back(handle); }

  bastion_ns_transport_t Transport() {
    return {this, &Framework, &Version, &Connect, &Call, &Close};
  }
};

class NsWrappersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const bastion_ns_transport_t transport = fake_.Transport();
    ASSERT_EQ(bastion_ns_set_transport(&transport), PSA_SUCCESS);
  }
  void TearDown() override { (void)bastion_ns_set_transport(nullptr); }

  const RecordedCall& OnlyCall() {
    EXPECT_EQ(fake_.calls.size(), 1u);
    if (fake_.calls.empty()) fake_.calls.emplace_back();
    return fake_.calls[0];
  }

  FakeService fake_;
};

constexpr psa_storage_uid_t kUid = 0x0102030405060708ull;
constexpr size_t kTooBig = size_t{UINT32_MAX} + 1;
static_assert(sizeof(size_t) == 8, "the UINT32_MAX cases need a 64-bit host");

// ---- psa/client.h dispatch ----

TEST_F(NsWrappersTest, ClientCallsReachTheTransportWithItsContext) {
  EXPECT_EQ(psa_framework_version(), 0x0101u);
  fake_.version = 3;
  EXPECT_EQ(psa_version(0x77), 3u);
  EXPECT_EQ(psa_connect(0x78, 2), 0x10001);
  psa_close(0x10001);
  EXPECT_EQ(fake_.version_sids, (std::vector<uint32_t>{0, 0x77, 0x78, 2}));
  EXPECT_EQ(fake_.closed, (std::vector<psa_handle_t>{0x10001}));
  fake_.status = PSA_ERROR_NOT_SUPPORTED;
  EXPECT_EQ(psa_call(5, 9, nullptr, 0, nullptr, 0), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(OnlyCall().handle, 5);
  EXPECT_EQ(OnlyCall().type, 9);
}

TEST_F(NsWrappersTest, AnIncompleteTransportIsRefused) {
  bastion_ns_transport_t partial = FakeService().Transport();
  partial.close = nullptr;
  EXPECT_EQ(bastion_ns_set_transport(&partial), PSA_ERROR_INVALID_ARGUMENT);
  // The installed one still serves.
  EXPECT_EQ(psa_call(5, 1, nullptr, 0, nullptr, 0), PSA_SUCCESS);
  EXPECT_EQ(fake_.calls.size(), 1u);
}

// ---- Internal Trusted Storage ----

TEST_F(NsWrappersTest, ItsSet) {
  const Bytes data = {1, 2, 3};
  ASSERT_EQ(psa_its_set(kUid, data.size(), data.data(), PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.handle, BASTION_ITS_HANDLE);
  EXPECT_EQ(call.handle, 0x40000100);
  EXPECT_EQ(call.type, BASTION_STORAGE_SET);
  ASSERT_EQ(call.in.size(), 3u);
  EXPECT_EQ(call.in[0], (Bytes{8, 7, 6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(call.in[1], data);
  EXPECT_EQ(call.in[2], Le32(PSA_STORAGE_FLAG_WRITE_ONCE));
  EXPECT_TRUE(call.out_capacity.empty());
}

TEST_F(NsWrappersTest, ItsSetEmptyEntry) {
  ASSERT_EQ(psa_its_set(kUid, 0, nullptr, 0), PSA_SUCCESS);
  ASSERT_EQ(OnlyCall().in.size(), 3u);
  EXPECT_TRUE(OnlyCall().in[1].empty());
}

TEST_F(NsWrappersTest, ItsGet) {
  fake_.outputs = {{9, 8, 7}};
  uint8_t buffer[16];
  std::memset(buffer, 0xEE, sizeof buffer);
  size_t length = 99;
  ASSERT_EQ(psa_its_get(kUid, 5, sizeof buffer, buffer, &length), PSA_SUCCESS);
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(Bytes(buffer, buffer + 4), (Bytes{9, 8, 7, 0xEE}));
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.handle, BASTION_ITS_HANDLE);
  EXPECT_EQ(call.type, BASTION_STORAGE_GET);
  ASSERT_EQ(call.in.size(), 2u);
  EXPECT_EQ(call.in[0], Le64(kUid));
  EXPECT_EQ(call.in[1], Le32(5));
  EXPECT_EQ(call.out_capacity, (std::vector<size_t>{16}));
}

TEST_F(NsWrappersTest, ItsGetFailureLeavesTheLengthAlone) {
  fake_.status = PSA_ERROR_DOES_NOT_EXIST;
  uint8_t buffer[4];
  size_t length = 42;
  EXPECT_EQ(psa_its_get(kUid, 0, sizeof buffer, buffer, &length), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(length, 42u);
}

TEST_F(NsWrappersTest, ItsGetInfo) {
  Bytes info = Le32(1024);
  for (uint32_t v : {100u, 4u}) {
    const Bytes b = Le32(v);
    info.insert(info.end(), b.begin(), b.end());
  }
  fake_.outputs = {info};
  psa_storage_info_t out{};
  ASSERT_EQ(psa_its_get_info(kUid, &out), PSA_SUCCESS);
  EXPECT_EQ(out.capacity, 1024u);
  EXPECT_EQ(out.size, 100u);
  EXPECT_EQ(out.flags, 4u);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.type, BASTION_STORAGE_GET_INFO);
  ASSERT_EQ(call.in.size(), 1u);
  EXPECT_EQ(call.in[0], Le64(kUid));
  EXPECT_EQ(call.out_capacity, (std::vector<size_t>{BASTION_STORAGE_INFO_SIZE}));
}

TEST_F(NsWrappersTest, ItsGetInfoOfTheWrongSizeIsTheServicesFailure) {
  fake_.outputs = {Bytes(11, 1)};
  psa_storage_info_t out{7, 7, 7};
  EXPECT_EQ(psa_its_get_info(kUid, &out), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(out.capacity, 7u);
  EXPECT_EQ(out.size, 7u);
}

TEST_F(NsWrappersTest, ItsRemove) {
  ASSERT_EQ(psa_its_remove(kUid), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().type, BASTION_STORAGE_REMOVE);
  EXPECT_EQ(OnlyCall().in, (std::vector<Bytes>{Le64(kUid)}));
  EXPECT_TRUE(OnlyCall().out_capacity.empty());
}

TEST_F(NsWrappersTest, ItsRefusesLocally) {
  uint8_t buffer[4];
  size_t length = 0;
  EXPECT_EQ(psa_its_set(kUid, 1, nullptr, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_set(kUid, kTooBig, buffer, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_set(kUid, SIZE_MAX, buffer, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_get(kUid, 0, 4, nullptr, &length), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_get(kUid, 0, 4, buffer, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_get(kUid, kTooBig, 4, buffer, &length), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_get(kUid, SIZE_MAX, 4, buffer, &length), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_get(kUid, 0, kTooBig, buffer, &length), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_its_get_info(kUid, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(fake_.calls.empty());
  // The largest 32-bit values still go out.
  EXPECT_EQ(psa_its_get(kUid, UINT32_MAX, 0, nullptr, &length), PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().in[1], Le32(UINT32_MAX));
}

// ---- Protected Storage ----

TEST_F(NsWrappersTest, PsUsesTheSameLayoutsOnItsOwnHandle) {
  const Bytes data = {5};
  uint8_t buffer[8];
  size_t length = 0;
  fake_.outputs = {Bytes(12, 0)};
  psa_storage_info_t info;
  ASSERT_EQ(psa_ps_set(kUid, 1, data.data(), PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
  ASSERT_EQ(psa_ps_get(kUid, 2, sizeof buffer, buffer, &length), PSA_SUCCESS);
  ASSERT_EQ(psa_ps_get_info(kUid, &info), PSA_SUCCESS);
  ASSERT_EQ(psa_ps_remove(kUid), PSA_SUCCESS);
  ASSERT_EQ(fake_.calls.size(), 4u);
  for (const RecordedCall& call : fake_.calls) {
    EXPECT_EQ(call.handle, BASTION_PS_HANDLE);
    EXPECT_EQ(call.handle, 0x40000101);
    EXPECT_EQ(call.in[0], Le64(kUid));
  }
  EXPECT_EQ(fake_.calls[0].type, BASTION_STORAGE_SET);
  EXPECT_EQ(fake_.calls[0].in, (std::vector<Bytes>{Le64(kUid), data, Le32(2)}));
  EXPECT_EQ(fake_.calls[1].type, BASTION_STORAGE_GET);
  EXPECT_EQ(fake_.calls[1].in[1], Le32(2));
  EXPECT_EQ(fake_.calls[1].out_capacity, (std::vector<size_t>{8}));
  EXPECT_EQ(fake_.calls[2].type, BASTION_STORAGE_GET_INFO);
  EXPECT_EQ(fake_.calls[2].out_capacity, (std::vector<size_t>{12}));
  EXPECT_EQ(fake_.calls[3].type, BASTION_STORAGE_REMOVE);
}

TEST_F(NsWrappersTest, PsCreateAndSetExtendedCallTheService) {
  fake_.status = PSA_ERROR_NOT_SUPPORTED;
  EXPECT_EQ(psa_ps_create(kUid, 300, PSA_STORAGE_FLAG_NONE), PSA_ERROR_NOT_SUPPORTED);
  const Bytes data = {1, 2};
  EXPECT_EQ(psa_ps_set_extended(kUid, 7, data.size(), data.data()), PSA_ERROR_NOT_SUPPORTED);
  ASSERT_EQ(fake_.calls.size(), 2u);
  EXPECT_EQ(fake_.calls[0].handle, BASTION_PS_HANDLE);
  EXPECT_EQ(fake_.calls[0].type, BASTION_STORAGE_CREATE);
  EXPECT_EQ(fake_.calls[0].in, (std::vector<Bytes>{Le64(kUid), Le32(300), Le32(0)}));
  EXPECT_EQ(fake_.calls[1].type, BASTION_STORAGE_SET_EXTENDED);
  EXPECT_EQ(fake_.calls[1].in, (std::vector<Bytes>{Le64(kUid), Le32(7), data}));
  EXPECT_TRUE(fake_.calls[1].out_capacity.empty());
}

TEST_F(NsWrappersTest, PsGetSupport) {
  fake_.outputs = {Le32(PSA_STORAGE_SUPPORT_SET_EXTENDED)};
  EXPECT_EQ(psa_ps_get_support(), PSA_STORAGE_SUPPORT_SET_EXTENDED);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.handle, BASTION_PS_HANDLE);
  EXPECT_EQ(call.type, BASTION_STORAGE_GET_SUPPORT);
  EXPECT_TRUE(call.in.empty());
  EXPECT_EQ(call.out_capacity, (std::vector<size_t>{4}));
  // A failure or a short answer reads as nothing supported.
  fake_.outputs = {Bytes{1, 0}};
  EXPECT_EQ(psa_ps_get_support(), 0u);
  fake_.outputs = {Le32(1)};
  fake_.status = PSA_ERROR_COMMUNICATION_FAILURE;
  EXPECT_EQ(psa_ps_get_support(), 0u);
}

TEST_F(NsWrappersTest, PsRefusesLocally) {
  uint8_t buffer[4];
  size_t length = 0;
  EXPECT_EQ(psa_ps_set(kUid, 2, nullptr, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_set(kUid, kTooBig, buffer, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_get(kUid, kTooBig, 4, buffer, &length), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_get(kUid, 0, 1, nullptr, &length), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_get_info(kUid, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_create(kUid, kTooBig, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_set_extended(kUid, kTooBig, 1, buffer), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_set_extended(kUid, 0, kTooBig, buffer), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(psa_ps_set_extended(kUid, 0, 1, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(fake_.calls.empty());
}

// ---- platform ----

TEST_F(NsWrappersTest, PlatformBootReport) {
  bastion_boot_report_t sent{};
  sent.version = BASTION_BOOT_REPORT_VERSION;
  sent.lifecycle = 0x3000;
  sent.image_count = 2;
  const auto* bytes = reinterpret_cast<const uint8_t*>(&sent);
  fake_.outputs = {Bytes(bytes, bytes + sizeof sent)};
  bastion_boot_report_t report{};
  ASSERT_EQ(bastion_platform_boot_report(&report), PSA_SUCCESS);
  EXPECT_EQ(report.lifecycle, 0x3000u);
  EXPECT_EQ(report.image_count, 2u);
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.handle, BASTION_PLATFORM_HANDLE);
  EXPECT_EQ(call.handle, 0x40000103);
  EXPECT_EQ(call.type, BASTION_PLATFORM_BOOT_REPORT);
  EXPECT_TRUE(call.in.empty());
  EXPECT_EQ(call.out_capacity, (std::vector<size_t>{sizeof(bastion_boot_report_t)}));
  // A short report is the service's failure.
  fake_.outputs = {Bytes(10, 0)};
  EXPECT_EQ(bastion_platform_boot_report(&report), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(bastion_platform_boot_report(nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(fake_.calls.size(), 2u);
}

TEST_F(NsWrappersTest, PlatformConfirmAndReject) {
  ASSERT_EQ(bastion_platform_confirm(BASTION_COMPONENT_APP), PSA_SUCCESS);
  ASSERT_EQ(bastion_platform_reject(BASTION_COMPONENT_SM), PSA_SUCCESS);
  ASSERT_EQ(fake_.calls.size(), 2u);
  EXPECT_EQ(fake_.calls[0].handle, BASTION_PLATFORM_HANDLE);
  EXPECT_EQ(fake_.calls[0].type, BASTION_PLATFORM_CONFIRM);
  EXPECT_EQ(fake_.calls[0].in, (std::vector<Bytes>{Bytes{2}}));
  EXPECT_EQ(fake_.calls[1].type, BASTION_PLATFORM_REJECT);
  EXPECT_EQ(fake_.calls[1].in, (std::vector<Bytes>{Bytes{1}}));
  EXPECT_TRUE(fake_.calls[1].out_capacity.empty());
}

TEST_F(NsWrappersTest, PlatformLifecycle) {
  fake_.outputs = {Le32(0x3000)};
  uint32_t lifecycle = 0;
  ASSERT_EQ(bastion_platform_lifecycle(&lifecycle), PSA_SUCCESS);
  EXPECT_EQ(lifecycle, 0x3000u);
  EXPECT_EQ(OnlyCall().type, BASTION_PLATFORM_LIFECYCLE);
  EXPECT_EQ(OnlyCall().out_capacity, (std::vector<size_t>{4}));
  fake_.outputs = {Bytes{1, 2, 3}};
  lifecycle = 5;
  EXPECT_EQ(bastion_platform_lifecycle(&lifecycle), PSA_ERROR_SERVICE_FAILURE);
  EXPECT_EQ(lifecycle, 5u);
  EXPECT_EQ(bastion_platform_lifecycle(nullptr), PSA_ERROR_INVALID_ARGUMENT);
}

TEST_F(NsWrappersTest, RevocationAsksForTheServiceFirst) {
  const Bytes command(300, 0xA2);
  ASSERT_EQ(bastion_platform_submit_revocation(command.data(), command.size()), PSA_SUCCESS);
  EXPECT_EQ(fake_.version_sids, (std::vector<uint32_t>{BASTION_REVOCATION_SID}));
  const RecordedCall& call = OnlyCall();
  EXPECT_EQ(call.handle, BASTION_REVOCATION_HANDLE);
  EXPECT_EQ(call.handle, 0x40000104);
  EXPECT_EQ(call.type, BASTION_REVOCATION_SUBMIT);
  EXPECT_EQ(call.in, (std::vector<Bytes>{command}));
  EXPECT_TRUE(call.out_capacity.empty());
}

TEST_F(NsWrappersTest, RevocationFromAClientTheTableDoesNotAllow) {
  fake_.version = PSA_VERSION_NONE;
  const Bytes command(10, 1);
  EXPECT_EQ(bastion_platform_submit_revocation(command.data(), command.size()),
            PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(fake_.version_sids.size(), 1u);
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(NsWrappersTest, RevocationRefusedLocally) {
  const Bytes command(BASTION_REVOCATION_MAX_SIZE + 1, 1);
  EXPECT_EQ(bastion_platform_submit_revocation(nullptr, 5), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bastion_platform_submit_revocation(command.data(), command.size()),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(bastion_platform_submit_revocation(command.data(), SIZE_MAX),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(fake_.version_sids.empty());
  EXPECT_TRUE(fake_.calls.empty());
  // The largest command goes out.
  EXPECT_EQ(bastion_platform_submit_revocation(command.data(), BASTION_REVOCATION_MAX_SIZE),
            PSA_SUCCESS);
  EXPECT_EQ(OnlyCall().in[0].size(), BASTION_REVOCATION_MAX_SIZE);
}

}  // namespace
