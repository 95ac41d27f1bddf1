// Internal Trusted Storage engine (src/its): the PSA semantics and codes,
// owner isolation, WRITE_ONCE, quotas, reopening, tampering, and a power-cut
// campaign over a sequence of sets and removes that compacts several times.
#include "its/its_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/crc32.h"
#include "provisioning/provisioning.h"
#include "support/geometries.h"
#include "support/otp_header.h"
#include "virtual_device/virtual_device.h"

namespace bastion::its {
namespace {

using host::VirtualDevice;

constexpr uint8_t kKey[kKeySize] = {
    0x3c, 0x11, 0x9a, 0x42, 0x07, 0xe5, 0x68, 0xd0, 0x21, 0xb4, 0x5f, 0x83, 0xca, 0x16, 0x7e, 0x90,
    0x4d, 0x2b, 0xf1, 0x58, 0xa3, 0x6c, 0x09, 0xde, 0x77, 0x34, 0xbb, 0x02, 0xe8, 0x95, 0x1f, 0x60};
constexpr uint32_t kQuota = 64 * 1024;
constexpr int32_t kAlice = 3000;  // a secure partition
constexpr int32_t kBob = -1;      // the non-secure application

// A device with the default layout in OTP; the store uses the first
// `sectors` sectors of the layout's storage region.
class Rig {
 public:
  explicit Rig(const platform::FlashGeometry& g, uint32_t sectors = 3)
      : device_(VirtualDevice::InMemory(g)), layout_(host::DefaultLayout(g)) {
    test_support::ProgramLayoutHeader(*device_, layout_);
    size_ = sectors * g.sector_size;
    EXPECT_LE(size_, layout_.storage.size);
  }
  VirtualDevice& device() { return *device_; }
  uint32_t offset() const { return layout_.storage.offset; }
  uint32_t size() const { return size_; }
  // A new store object over the region (a reboot), opened.
  Store& Reopen() {
    store_.reset();
    store_ = std::make_unique<ItsStore>(*device_, offset(), size(), std::span(kKey));
    const Status s = store_->Open();
    EXPECT_TRUE(s.ok()) << StatusName(s);
    return *store_;
  }
  Store& store() { return *store_; }

 private:
  std::unique_ptr<VirtualDevice> device_;
  otp::FlashLayout layout_;
  uint32_t size_ = 0;
  std::unique_ptr<ItsStore> store_;
};

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed * 31 + i * 7 + (i >> 8));
  return v;
}

psa_status_t Set(Store& s, int32_t owner, uint64_t uid, const std::vector<uint8_t>& data,
                 uint32_t flags = PSA_STORAGE_FLAG_NONE, uint32_t quota = kQuota) {
  return s.Set(owner, uid, ConstByteSpan(data.data(), data.size()), flags, quota);
}

// The whole object, or the status that prevented reading it.
std::pair<psa_status_t, std::vector<uint8_t>> Get(Store& s, int32_t owner, uint64_t uid) {
  std::vector<uint8_t> out(kMaxObjectSize + 8, 0xee);
  size_t n = 0;
  const psa_status_t st = s.Get(owner, uid, 0, ByteSpan(out.data(), out.size()), &n);
  out.resize(st == PSA_SUCCESS ? n : 0);
  return {st, out};
}

platform::FlashGeometry DefaultGeometry() { return host::DefaultGeometry(); }

TEST(ItsStoreTest, SetGetInfoRemove) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  const auto data = Pattern(100, 1);
  EXPECT_EQ(Set(s, kAlice, 7, data), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kAlice, 7), std::make_pair(PSA_SUCCESS, data));
  psa_storage_info_t info{};
  EXPECT_EQ(s.GetInfo(kAlice, 7, &info), PSA_SUCCESS);
  EXPECT_EQ(info.size, 100u);
  EXPECT_EQ(info.capacity, 100u);
  EXPECT_EQ(info.flags, PSA_STORAGE_FLAG_NONE);
  // Replace with other contents and flags.
  const auto other = Pattern(5, 2);
  EXPECT_EQ(Set(s, kAlice, 7, other, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kAlice, 7), std::make_pair(PSA_SUCCESS, other));
  EXPECT_EQ(s.GetInfo(kAlice, 7, &info), PSA_SUCCESS);
  EXPECT_EQ(info.flags, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY);
  EXPECT_EQ(s.Remove(kAlice, 7), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kAlice, 7).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(s.GetInfo(kAlice, 7, &info), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(s.Remove(kAlice, 7), PSA_ERROR_DOES_NOT_EXIST);
  // Set again after a remove.
  EXPECT_EQ(Set(s, kAlice, 7, data), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kAlice, 7), std::make_pair(PSA_SUCCESS, data));
}

TEST(ItsStoreTest, EmptyAndMaximumObjects) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  EXPECT_EQ(Set(s, kAlice, 1, {}), PSA_SUCCESS);
  psa_storage_info_t info{};
  EXPECT_EQ(s.GetInfo(kAlice, 1, &info), PSA_SUCCESS);
  EXPECT_EQ(info.size, 0u);
  EXPECT_EQ(Get(s, kAlice, 1), std::make_pair(PSA_SUCCESS, std::vector<uint8_t>{}));
  const auto big = Pattern(kMaxObjectSize, 3);
  EXPECT_EQ(Set(s, kAlice, 2, big), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kAlice, 2), std::make_pair(PSA_SUCCESS, big));
  EXPECT_EQ(Set(s, kAlice, 3, Pattern(kMaxObjectSize + 1, 4)), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Get(s, kAlice, 3).first, PSA_ERROR_DOES_NOT_EXIST);
}

TEST(ItsStoreTest, GetWithOffsetAndLength) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  const auto data = Pattern(50, 5);
  ASSERT_EQ(Set(s, kAlice, 9, data), PSA_SUCCESS);
  uint8_t out[64];
  std::memset(out, 0xaa, sizeof(out));
  size_t n = 99;
  // A window inside the object.
  EXPECT_EQ(s.Get(kAlice, 9, 10, ByteSpan(out, 8), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(std::memcmp(out, data.data() + 10, 8), 0);
  EXPECT_EQ(out[8], 0xaa);  // bytes past the length untouched
  // A window running past the end: the lesser length.
  EXPECT_EQ(s.Get(kAlice, 9, 45, ByteSpan(out, 20), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(std::memcmp(out, data.data() + 45, 5), 0);
  // Offset equal to the size, or a zero-length request: nothing, success.
  EXPECT_EQ(s.Get(kAlice, 9, 50, ByteSpan(out, 20), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(s.Get(kAlice, 9, 3, ByteSpan(out, 0), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 0u);
  // Offset past the size.
  EXPECT_EQ(s.Get(kAlice, 9, 51, ByteSpan(out, 20), &n), PSA_ERROR_INVALID_ARGUMENT);
}

TEST(ItsStoreTest, ArgumentErrors) {
  Rig rig(DefaultGeometry());
  {
    ItsStore unopened(rig.device(), rig.offset(), rig.size(), std::span(kKey));
    EXPECT_EQ(Set(unopened, kAlice, 1, Pattern(4, 0)), PSA_ERROR_BAD_STATE);
  }
  Store& s = rig.Reopen();
  const auto data = Pattern(4, 6);
  size_t n = 0;
  uint8_t out[4];
  psa_storage_info_t info{};
  EXPECT_EQ(Set(s, kAlice, 0, data), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Get(kAlice, 0, 0, ByteSpan(out, 4), &n), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.GetInfo(kAlice, 0, &info), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Remove(kAlice, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Set(kAlice, 1, ConstByteSpan(static_cast<const uint8_t*>(nullptr), 4), 0, kQuota),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Set(s, kAlice, 1, data, 1u << 3), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(Set(s, kAlice, 1, data, kTombstoneFlag), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Set(s, kAlice, 1, data,
                PSA_STORAGE_FLAG_NO_CONFIDENTIALITY | PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION),
            PSA_SUCCESS);
  // A region that cannot hold a store.
  ItsStore tiny(rig.device(), rig.offset(), rig.device().geometry().sector_size, std::span(kKey));
  EXPECT_EQ(tiny.Open().code(), StatusCode::kInvalidArgument);
  ItsStore misaligned(rig.device(), rig.offset() + 16, rig.size(), std::span(kKey));
  EXPECT_EQ(misaligned.Open().code(), StatusCode::kInvalidArgument);
}

TEST(ItsStoreTest, OwnersAreIsolated) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  const auto a = Pattern(30, 7);
  const auto b = Pattern(40, 8);
  ASSERT_EQ(Set(s, kAlice, 5, a), PSA_SUCCESS);
  psa_storage_info_t info{};
  EXPECT_EQ(Get(s, kBob, 5).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(s.GetInfo(kBob, 5, &info), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(s.Remove(kBob, 5), PSA_ERROR_DOES_NOT_EXIST);
  // The same uid for another owner is another object.
  ASSERT_EQ(Set(s, kBob, 5, b, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kAlice, 5), std::make_pair(PSA_SUCCESS, a));
  EXPECT_EQ(Get(s, kBob, 5), std::make_pair(PSA_SUCCESS, b));
  // Bob's WRITE_ONCE does not bind Alice's uid 5.
  EXPECT_EQ(s.Remove(kAlice, 5), PSA_SUCCESS);
  EXPECT_EQ(Get(s, kBob, 5), std::make_pair(PSA_SUCCESS, b));
  Store& again = rig.Reopen();
  EXPECT_EQ(Get(again, kAlice, 5).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Get(again, kBob, 5), std::make_pair(PSA_SUCCESS, b));
}

TEST(ItsStoreTest, WriteOnceCannotChange) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  const auto data = Pattern(16, 9);
  ASSERT_EQ(Set(s, kAlice, 11, data, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 11, Pattern(16, 10)), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(Set(s, kAlice, 11, data, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(s.Remove(kAlice, 11), PSA_ERROR_NOT_PERMITTED);
  psa_storage_info_t info{};
  ASSERT_EQ(s.GetInfo(kAlice, 11, &info), PSA_SUCCESS);
  EXPECT_EQ(info.flags, PSA_STORAGE_FLAG_WRITE_ONCE);
  // Still so after a reboot and after compactions.
  Store& again = rig.Reopen();
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Set(again, kAlice, 12, Pattern(900, static_cast<uint8_t>(i))), PSA_SUCCESS);
  }
  EXPECT_GT(again.stats().compactions, 0u);
  EXPECT_EQ(again.Remove(kAlice, 11), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(Get(again, kAlice, 11), std::make_pair(PSA_SUCCESS, data));
}

TEST(ItsStoreTest, QuotaPerOwner) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  constexpr uint32_t kSmall = 300;
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(200, 1), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 2, Pattern(101, 2), 0, kSmall), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(s, kAlice, 2, Pattern(100, 2), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(s.OwnerUsage(kAlice), 300u);
  // Replacing counts the new size, not both.
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(200, 3), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(201, 3), 0, kSmall), PSA_ERROR_INSUFFICIENT_STORAGE);
  // Another owner has its own quota.
  EXPECT_EQ(Set(s, kBob, 1, Pattern(300, 4), 0, kSmall), PSA_SUCCESS);
  // A remove gives the bytes back.
  EXPECT_EQ(s.Remove(kAlice, 2), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 3, Pattern(100, 5), 0, kSmall), PSA_SUCCESS);
}

TEST(ItsStoreTest, FullStoreAndObjectCount) {
  Rig rig(DefaultGeometry(), 2);
  Store& s = rig.Reopen();
  // Two 8 KiB sectors, one kept spare: about seven 1 KiB objects fit.
  uint64_t uid = 1;
  psa_status_t st = PSA_SUCCESS;
  for (; uid < 50 && st == PSA_SUCCESS; ++uid) {
    st = Set(s, kAlice, uid, Pattern(kMaxObjectSize, static_cast<uint8_t>(uid)));
  }
  EXPECT_EQ(st, PSA_ERROR_INSUFFICIENT_STORAGE);
  const uint64_t stored = uid - 2;
  EXPECT_GE(stored, 6u);
  // Everything written is intact; a remove makes room again.
  for (uint64_t u = 1; u <= stored; ++u) {
    EXPECT_EQ(Get(s, kAlice, u),
              std::make_pair(PSA_SUCCESS, Pattern(kMaxObjectSize, static_cast<uint8_t>(u))));
  }
  EXPECT_EQ(s.Remove(kAlice, 1), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 100, Pattern(kMaxObjectSize, 100)), PSA_SUCCESS);
  // The object count: small objects up to kMaxObjects.
  Rig big(DefaultGeometry(), 4);
  Store& b = big.Reopen();
  for (uint32_t u = 1; u <= kMaxObjects; ++u)
    ASSERT_EQ(Set(b, kBob, u, Pattern(8, 1)), PSA_SUCCESS);
  EXPECT_EQ(Set(b, kBob, 1000, Pattern(8, 1)), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(b, kBob, 1, Pattern(9, 2)), PSA_SUCCESS);  // replacing is fine
  // Removing and re-creating many times: tombstones never exhaust the index.
  for (uint32_t round = 0; round < 3; ++round) {
    for (uint32_t u = 1; u <= kMaxObjects; ++u) ASSERT_EQ(b.Remove(kBob, u), PSA_SUCCESS);
    for (uint32_t u = 1; u <= kMaxObjects; ++u) {
      ASSERT_EQ(Set(b, kBob, u + (round + 1) * 1000, Pattern(8, 1)), PSA_SUCCESS)
          << round << " " << u;
    }
    for (uint32_t u = 1; u <= kMaxObjects; ++u) {
      ASSERT_EQ(b.Remove(kBob, u + (round + 1) * 1000), PSA_SUCCESS);
    }
    for (uint32_t u = 1; u <= kMaxObjects; ++u)
      ASSERT_EQ(Set(b, kBob, u, Pattern(8, 1)), PSA_SUCCESS);
  }
}

TEST(ItsStoreTest, SurvivesReopenAndCompactionsAcrossGeometries) {
  for (const auto& g : test_support::TestGeometries()) {
    if (host::DefaultLayout(g.geometry).storage.size < 3 * g.geometry.sector_size) continue;
    SCOPED_TRACE(g.name);
    Rig rig(g.geometry);
    std::map<std::pair<int32_t, uint64_t>, std::vector<uint8_t>> model;
    Store* s = &rig.Reopen();
    for (int i = 0; i < 120; ++i) {
      const int32_t owner = i % 3 == 0 ? kBob : kAlice;
      const uint64_t uid = 1 + (i * 7) % 9;
      if (i % 5 == 4) {
        const psa_status_t st = s->Remove(owner, uid);
        EXPECT_EQ(st, model.count({owner, uid}) ? PSA_SUCCESS : PSA_ERROR_DOES_NOT_EXIST);
        model.erase({owner, uid});
      } else {
        const auto data = Pattern((i * 97) % 700, static_cast<uint8_t>(i));
        ASSERT_EQ(Set(*s, owner, uid, data), PSA_SUCCESS) << i;
        model[{owner, uid}] = data;
      }
      if (i % 17 == 0) s = &rig.Reopen();
    }
    EXPECT_GT(s->stats().compactions + rig.Reopen().stats().sectors_in_use, 0u);
    s = &rig.Reopen();
    for (const int32_t owner : {kAlice, kBob}) {
      for (uint64_t uid = 1; uid <= 9; ++uid) {
        const auto it = model.find({owner, uid});
        const auto got = Get(*s, owner, uid);
        if (it == model.end()) {
          EXPECT_EQ(got.first, PSA_ERROR_DOES_NOT_EXIST) << owner << "/" << uid;
        } else {
          EXPECT_EQ(got, std::make_pair(PSA_SUCCESS, it->second)) << owner << "/" << uid;
        }
      }
    }
    EXPECT_EQ(s->stats().corrupt_records, 0u);
  }
}

// The engine with another object limit (what Protected Storage's log uses):
// the limit is the store's configuration, the engine is the same.
TEST(ItsStoreTest, ConfiguredObjectLimit) {
  Rig rig(DefaultGeometry());
  StoreBuffer<2000> big(rig.device(), rig.offset(), rig.size(), std::span(kKey));
  ASSERT_TRUE(big.Open().ok());
  EXPECT_EQ(big.max_object_size(), 2000u);
  const auto data = Pattern(2000, 41);
  EXPECT_EQ(Set(big, kAlice, 1, data), PSA_SUCCESS);
  std::vector<uint8_t> out(2100);
  size_t n = 0;
  EXPECT_EQ(big.Get(kAlice, 1, 0, ByteSpan(out.data(), out.size()), &n), PSA_SUCCESS);
  ASSERT_EQ(n, 2000u);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), out.begin()));
  EXPECT_EQ(Set(big, kAlice, 2, Pattern(2001, 42)), PSA_ERROR_INSUFFICIENT_STORAGE);
  // A store limited to 1 KiB does not take the 2000-byte record as valid.
  Store& small = rig.Reopen();
  EXPECT_EQ(Get(small, kAlice, 1).first, PSA_ERROR_DOES_NOT_EXIST);
  // Scratch memory smaller than one record: refused at Open.
  uint8_t scratch[RecordBufferSize(100)];
  Store starved(rig.device(), rig.offset(), rig.size(), std::span(kKey), 2000,
                ByteSpan(scratch, sizeof(scratch)));
  EXPECT_EQ(starved.Open().code(), StatusCode::kInvalidArgument);
  // A record larger than a sector: refused at Open.
  StoreBuffer<9000> huge(rig.device(), rig.offset(), rig.size(), std::span(kKey));
  EXPECT_EQ(huge.Open().code(), StatusCode::kInvalidArgument);
}

// Wear: every sector of the region gets erased, in turn.
TEST(ItsStoreTest, CompactionRotatesThroughSectors) {
  Rig rig(DefaultGeometry(), 4);
  Store& s = rig.Reopen();
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(Set(s, kAlice, 1 + i % 3, Pattern(1000, static_cast<uint8_t>(i))), PSA_SUCCESS);
  }
  const StoreStats st = s.stats();
  EXPECT_GE(st.compactions, 8u);
  EXPECT_EQ(st.objects, 3u);
  EXPECT_GE(rig.Reopen().stats().sectors_in_use, 1u);
}

// ---- tampering ----

// Where the record holding `data` starts in the device's flash.
uint32_t FindRecord(Rig& rig, const std::vector<uint8_t>& data) {
  const auto& flash = rig.device().raw_flash();
  for (uint32_t a = rig.offset(); a + data.size() < rig.offset() + rig.size(); ++a) {
    if (std::memcmp(flash.data() + a, data.data(), data.size()) == 0) {
      return a - static_cast<uint32_t>(sizeof(RecordHeader));
    }
  }
  ADD_FAILURE() << "record not found";
  return 0;
}

// Rewrites the sector holding `address` with `edit` applied.
template <typename Edit>
void EditFlash(Rig& rig, uint32_t address, Edit edit) {
  const uint32_t sector = rig.device().geometry().sector_size;
  const uint32_t base = address / sector * sector;
  std::vector<uint8_t> bytes(rig.device().raw_flash().begin() + base,
                             rig.device().raw_flash().begin() + base + sector);
  edit(bytes.data() + (address - base));
  rig.device().FactoryWriteFlash(base, bytes);
}

TEST(ItsStoreTest, TamperedRecordIsCorruptOthersIntact) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  const auto a = Pattern(64, 21), b = Pattern(64, 22), c = Pattern(64, 23);
  ASSERT_EQ(Set(s, kAlice, 1, a), PSA_SUCCESS);
  ASSERT_EQ(Set(s, kAlice, 2, b), PSA_SUCCESS);
  ASSERT_EQ(Set(s, kBob, 3, c), PSA_SUCCESS);
  const uint32_t rb = FindRecord(rig, b);
  EditFlash(rig, rb + sizeof(RecordHeader) + 10, [](uint8_t* p) { *p ^= 0x01; });
  // Seen at once (every read authenticates again), and after a reboot.
  EXPECT_EQ(Get(s, kAlice, 2).first, PSA_ERROR_DATA_CORRUPT);
  Store& again = rig.Reopen();
  EXPECT_EQ(Get(again, kAlice, 2).first, PSA_ERROR_DATA_CORRUPT);
  psa_storage_info_t info{};
  EXPECT_EQ(again.GetInfo(kAlice, 2, &info), PSA_ERROR_DATA_CORRUPT);
  EXPECT_EQ(again.stats().corrupt_records, 1u);
  EXPECT_EQ(Get(again, kAlice, 1), std::make_pair(PSA_SUCCESS, a));
  EXPECT_EQ(Get(again, kBob, 3), std::make_pair(PSA_SUCCESS, c));
  // The owner can replace or remove the damaged object.
  EXPECT_EQ(Set(again, kAlice, 2, b), PSA_SUCCESS);
  EXPECT_EQ(Get(again, kAlice, 2), std::make_pair(PSA_SUCCESS, b));
}

TEST(ItsStoreTest, ForgedOwnerOrSplicedDataNeverReads) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  const auto a = Pattern(48, 31), b = Pattern(48, 32), c = Pattern(16, 33);
  ASSERT_EQ(Set(s, kAlice, 1, a), PSA_SUCCESS);
  ASSERT_EQ(Set(s, kBob, 1, b), PSA_SUCCESS);
  ASSERT_EQ(Set(s, kBob, 9, c), PSA_SUCCESS);
  // Hand Alice's record to Bob: new owner, header checksum fixed up.
  const uint32_t ra = FindRecord(rig, a);
  EditFlash(rig, ra, [](uint8_t* p) {
    RecordHeader h;
    std::memcpy(&h, p, sizeof(h));
    h.owner = kBob;
    h.sequence += 10;
    h.crc = static_cast<uint16_t>(
        Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(RecordHeader, crc))));
    std::memcpy(p, &h, sizeof(h));
  });
  // Splice: Bob's uid 1 data replaced by Alice's bytes (same length).
  const uint32_t rb = FindRecord(rig, b);
  EditFlash(rig, rb + sizeof(RecordHeader),
            [&](uint8_t* p) { std::memcpy(p, a.data(), a.size()); });
  Store& again = rig.Reopen();
  const auto bob1 = Get(again, kBob, 1);
  EXPECT_EQ(bob1.first, PSA_ERROR_DATA_CORRUPT);
  EXPECT_NE(bob1.second, a);
  // Alice's record now claims another owner: it is gone for her (an attacker
  // who can write flash can always destroy), never readable by Bob.
  EXPECT_NE(Get(again, kAlice, 1).first, PSA_SUCCESS);
  EXPECT_EQ(Get(again, kBob, 9), std::make_pair(PSA_SUCCESS, c));
  // Another key cannot read the store at all.
  uint8_t other_key[kKeySize] = {};
  ItsStore stranger(rig.device(), rig.offset(), rig.size(), std::span(other_key));
  ASSERT_TRUE(stranger.Open().ok());
  EXPECT_NE(Get(stranger, kBob, 9).first, PSA_SUCCESS);
}

TEST(ItsStoreTest, IndexListsLiveAndCorruptObjects) {
  Rig rig(DefaultGeometry());
  Store& s = rig.Reopen();
  ASSERT_EQ(Set(s, kAlice, 1, Pattern(10, 1), PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_SUCCESS);
  ASSERT_EQ(Set(s, kBob, 2, Pattern(20, 2)), PSA_SUCCESS);
  ASSERT_EQ(Set(s, kBob, 3, Pattern(30, 3)), PSA_SUCCESS);
  ASSERT_EQ(s.Remove(kBob, 3), PSA_SUCCESS);
  ObjectInfo info;
  ASSERT_TRUE(s.Lookup(kAlice, 1, &info));
  EXPECT_EQ(info.size, 10u);
  EXPECT_EQ(info.flags, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION);
  EXPECT_FALSE(info.corrupt);
  const uint32_t seq_alice = info.sequence;
  ASSERT_TRUE(s.Lookup(kBob, 2, &info));
  EXPECT_GT(info.sequence, seq_alice);
  EXPECT_FALSE(s.Lookup(kBob, 3, &info));  // removed
  EXPECT_FALSE(s.Lookup(kAlice, 2, &info));
  uint32_t listed = 0;
  for (uint32_t slot = 0; slot < Store::kSlots; ++slot) listed += s.ObjectAt(slot, &info) ? 1 : 0;
  EXPECT_EQ(listed, 2u);
  // A damaged record is still listed, as corrupt, with the sequence it had.
  ASSERT_TRUE(s.Lookup(kBob, 2, &info));
  const uint32_t seq_bob = info.sequence;
  const uint32_t rb = FindRecord(rig, Pattern(20, 2));
  EditFlash(rig, rb + sizeof(RecordHeader) + 3, [](uint8_t* p) { *p ^= 0x40; });
  // Bob's record is followed by valid records (its tombstone's neighbours),
  // so Open classifies it as damage, not a torn write.
  ASSERT_EQ(Set(s, kAlice, 9, Pattern(5, 9)), PSA_SUCCESS);
  Store& again = rig.Reopen();
  ASSERT_TRUE(again.Lookup(kBob, 2, &info));
  EXPECT_TRUE(info.corrupt);
  EXPECT_EQ(info.sequence, seq_bob);
}

// ---- the power-cut campaign ----

struct Op {
  bool remove;
  int32_t owner;
  uint64_t uid;
  uint32_t size;
};

// Sets of various sizes and removes on a few objects: in three 8 KiB (or
// 4 KiB) sectors, several compactions happen along the way.
std::vector<Op> CampaignOps() {
  std::vector<Op> ops;
  for (int i = 0; i < 36; ++i) {
    const int32_t owner = i % 4 == 3 ? kBob : kAlice;
    const uint64_t uid = 1 + (i * 5) % 6;
    if (i % 7 == 6) {
      ops.push_back({true, owner, uid, 0});
    } else {
      ops.push_back({false, owner, uid, static_cast<uint32_t>((i * 211) % (kMaxObjectSize + 1))});
    }
  }
  return ops;
}

using Model = std::map<std::pair<int32_t, uint64_t>, std::vector<uint8_t>>;

psa_status_t Apply(Store& s, const Op& op, uint8_t seed, Model* model) {
  if (op.remove) {
    const psa_status_t st = s.Remove(op.owner, op.uid);
    if (st == PSA_SUCCESS) model->erase({op.owner, op.uid});
    return st;
  }
  const auto data = Pattern(op.size, seed);
  const psa_status_t st = Set(s, op.owner, op.uid, data);
  if (st == PSA_SUCCESS) (*model)[{op.owner, op.uid}] = data;
  return st;
}

void ExpectHolds(Store& s, const Model& model, const std::pair<int32_t, uint64_t>* except) {
  for (const int32_t owner : {kAlice, kBob}) {
    for (uint64_t uid = 1; uid <= 6; ++uid) {
      if (except != nullptr && *except == std::make_pair(owner, uid)) continue;
      const auto it = model.find({owner, uid});
      const auto got = Get(s, owner, uid);
      if (it == model.end()) {
        EXPECT_EQ(got.first, PSA_ERROR_DOES_NOT_EXIST) << owner << "/" << uid;
      } else {
        EXPECT_EQ(got, std::make_pair(PSA_SUCCESS, it->second)) << owner << "/" << uid;
      }
    }
  }
}

TEST(ItsCampaignTest, PowerCutAtEveryFlashOperation) {
  const std::vector<Op> ops = CampaignOps();
  const std::vector<test_support::NamedGeometry> geometries = {test_support::TestGeometries()[0],
                                                               test_support::TestGeometries()[1]};
  uint64_t points = 0;
  uint64_t compactions = 0;
  for (const auto& g : geometries) {
    for (const auto mode :
         {VirtualDevice::PowerLossMode::kClean, VirtualDevice::PowerLossMode::kTorn}) {
      SCOPED_TRACE(std::string(g.name) +
                   (mode == VirtualDevice::PowerLossMode::kTorn ? " torn" : " clean"));
      Rig ref(g.geometry);
      Store* rs = &ref.Reopen();
      Model model;
      for (size_t i = 0; i < ops.size(); ++i) {
        SCOPED_TRACE("operation " + std::to_string(i));
        const Op& op = ops[i];
        const std::vector<uint8_t> flash_before = ref.device().raw_flash();
        const Model before = model;
        const auto key = std::make_pair(op.owner, op.uid);
        const uint64_t start = ref.device().operations();
        const uint32_t compacted = rs->stats().compactions;
        const psa_status_t st = Apply(*rs, op, static_cast<uint8_t>(i), &model);
        ASSERT_TRUE(st == PSA_SUCCESS || st == PSA_ERROR_DOES_NOT_EXIST) << st;
        compactions += rs->stats().compactions - compacted;
        const uint64_t total = ref.device().operations() - start;
        for (uint64_t n = 1; n <= total; ++n) {
          SCOPED_TRACE("cut at flash operation " + std::to_string(n) + " of " +
                       std::to_string(total));
          ++points;
          Rig rig(g.geometry);
          rig.device().FactoryWriteFlash(0, flash_before);
          Store& s = rig.Reopen();
          rig.device().SetPowerLossMode(mode);
          rig.device().SetPowerLossAfter(n);
          Model scratch = before;
          EXPECT_EQ(Apply(s, op, static_cast<uint8_t>(i), &scratch), PSA_ERROR_STORAGE_FAILURE);
          rig.device().SetPowerLossMode(VirtualDevice::PowerLossMode::kClean);
          rig.device().SetPowerLossAfter(0);
          rig.device().PowerCycle();
          Store& after = rig.Reopen();
          // The interrupted object is the old or the new one; all else intact.
          const auto got = Get(after, op.owner, op.uid);
          const auto old_it = before.find(key);
          const auto new_it = model.find(key);
          const bool is_old = old_it == before.end()
                                  ? got.first == PSA_ERROR_DOES_NOT_EXIST
                                  : got == std::make_pair(PSA_SUCCESS, old_it->second);
          const bool is_new = new_it == model.end()
                                  ? got.first == PSA_ERROR_DOES_NOT_EXIST
                                  : got == std::make_pair(PSA_SUCCESS, new_it->second);
          EXPECT_TRUE(is_old || is_new) << "status " << got.first;
          ExpectHolds(after, model, &key);
          EXPECT_EQ(after.stats().corrupt_records, 0u);
          // The store goes on: the operation again, and one more write.
          Model redo = is_new ? model : before;
          const bool exists_now = got.first == PSA_SUCCESS;
          EXPECT_EQ(Apply(after, op, static_cast<uint8_t>(i), &redo),
                    op.remove && !exists_now ? PSA_ERROR_DOES_NOT_EXIST : PSA_SUCCESS);
          ExpectHolds(after, model, nullptr);
          ASSERT_EQ(Set(after, kBob, 99, Pattern(40, 99)), PSA_SUCCESS);
          if (HasFatalFailure()) return;
        }
      }
      ExpectHolds(ref.Reopen(), model, nullptr);
    }
  }
  EXPECT_GT(compactions, 4u);
  std::printf("its campaign: %llu cut points, %llu compactions in the reference runs\n",
              static_cast<unsigned long long>(points),
              static_cast<unsigned long long>(compactions));
}

// Two cuts in one compaction, each leaving a cut copy in the target: the
// copies left to make no longer fit there, and no spare is left. The store
// must not stay stuck: Open starts that compaction again.
TEST(ItsStoreTest, CompactionCutTwiceStillFinishes) {
  Rig rig(DefaultGeometry(), 2);
  Store* s = &rig.Reopen();
  // Sector 0: six live 1 KiB objects and one stale record: full.
  for (uint64_t uid = 1; uid <= 6; ++uid) {
    ASSERT_EQ(Set(*s, kAlice, uid, Pattern(kMaxObjectSize, static_cast<uint8_t>(uid))),
              PSA_SUCCESS);
  }
  ASSERT_EQ(Set(*s, kAlice, 1, Pattern(kMaxObjectSize, 11)), PSA_SUCCESS);
  Model model;
  for (uint64_t uid = 1; uid <= 6; ++uid) {
    model[{kAlice, uid}] = Pattern(kMaxObjectSize, static_cast<uint8_t>(uid == 1 ? 11 : uid));
  }
  // The next set compacts: target header (1 operation), then each copy is
  // five body programs and its MAC. Cut the first copy's MAC.
  rig.device().SetPowerLossAfter(7);
  EXPECT_EQ(Set(*s, kAlice, 2, Pattern(kMaxObjectSize, 22)), PSA_ERROR_STORAGE_FAILURE);
  rig.device().SetPowerLossAfter(0);
  rig.device().PowerCycle();
  // Open finishes the compaction into the target: cut its first MAC too.
  {
    ItsStore cut(rig.device(), rig.offset(), rig.size(), std::span(kKey));
    rig.device().SetPowerLossAfter(6);
    EXPECT_FALSE(cut.Open().ok());
    rig.device().SetPowerLossAfter(0);
    rig.device().PowerCycle();
  }
  s = &rig.Reopen();
  ExpectHolds(*s, model, nullptr);
  EXPECT_EQ(Set(*s, kAlice, 2, Pattern(kMaxObjectSize, 22)), PSA_SUCCESS);
  model[{kAlice, 2}] = Pattern(kMaxObjectSize, 22);
  ExpectHolds(rig.Reopen(), model, nullptr);
  EXPECT_EQ(rig.Reopen().stats().corrupt_records, 0u);
}

}  // namespace
}  // namespace bastion::its
