// Protected Storage engine (src/ps): the PSA semantics and codes, owner
// namespaces, quotas, WRITE_ONCE and the other flags, confidentiality, and an
// attacker holding the external flash: bits flipped, records forged with the
// log's key, an old image restored, single records deleted or replayed.
// The power-cut campaign is tests/ps/storage_campaign.cpp.
#include "ps/ps_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/crc32.h"
#include "crypto/crypto.h"
#include "ps_rig.h"

namespace bastion::ps {
namespace {

using test_support::kPsPartition;
using test_support::StorageGeometry;
using test_support::StorageRig;

constexpr uint32_t kQuota = 64 * 1024;
constexpr int32_t kAlice = 3000;  // a secure partition
constexpr int32_t kBob = -1;      // the non-secure application

// Default internal flash; an external flash like the default one (4 KiB
// sectors, 1-byte unit) but only as large as the PS region of `ps_sectors`
// sectors needs (at least 8): the tests restore it whole many times.
StorageGeometry Geometry(uint32_t ps_sectors = 8) {
  platform::FlashGeometry external = host::DefaultExternalGeometry();
  external.size = std::max<uint32_t>(ps_sectors, 8) * external.sector_size;
  return {"default", host::DefaultGeometry(), external, 3, ps_sectors};
}

// A rig with both stores opened.
struct Opened {
  explicit Opened(uint32_t ps_sectors = 8) : rig(Geometry(ps_sectors)) { Reopen(); }
  Store& Reopen() {
    rig.Reset();
    const auto o = rig.Open();
    EXPECT_TRUE(o.its.ok()) << StatusName(o.its);
    EXPECT_TRUE(o.ps.ok()) << StatusName(o.ps);
    return rig.ps();
  }
  Store& ps() { return rig.ps(); }
  StorageRig rig;
};

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed * 31 + i * 7 + (i >> 8) + 1);
  return v;
}

psa_status_t Set(Store& s, int32_t owner, uint64_t uid, const std::vector<uint8_t>& data,
                 uint32_t flags = PSA_STORAGE_FLAG_NONE, uint32_t quota = kQuota) {
  return s.Set(owner, uid, ConstByteSpan(data.data(), data.size()), flags, quota);
}

std::pair<psa_status_t, std::vector<uint8_t>> Get(Store& s, int32_t owner, uint64_t uid) {
  std::vector<uint8_t> out(kMaxObjectSize + 8, 0xee);
  size_t n = 0;
  const psa_status_t st = s.Get(owner, uid, 0, ByteSpan(out.data(), out.size()), &n);
  out.resize(st == PSA_SUCCESS ? n : 0);
  return {st, out};
}

bool Contains(const std::vector<uint8_t>& hay, const uint8_t* needle, size_t n) {
  return std::search(hay.begin(), hay.end(), needle, needle + n) != hay.end();
}

// ---- the record on the external flash ----

// A record of the log as the tests see it: where it starts (its::RecordHeader)
// and what PS put in it.
struct RawRecord {
  uint32_t address = 0;  // of the its::RecordHeader
  uint32_t sequence = 0;
  uint16_t size = 0;  // data bytes of the log record
  uint64_t generation = 0;
  bool found = false;
};

uint64_t Le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Every record of (owner, uid) on the external flash (unit 1: records are
// contiguous), oldest first.
std::vector<RawRecord> RecordsOf(const std::vector<uint8_t>& ext, int32_t owner, uint64_t uid) {
  std::vector<RawRecord> out;
  uint8_t magic[4];
  StoreLe32(magic, kObjectMagic);
  for (uint32_t a = sizeof(its::RecordHeader); a + ObjectHeaderLayout::kBytes <= ext.size(); ++a) {
    if (std::memcmp(ext.data() + a, magic, 4) != 0) continue;
    const uint8_t* h = ext.data() + a;
    if (static_cast<int32_t>(LoadLe32(h + ObjectHeaderLayout::kOwner)) != owner ||
        Le64(h + ObjectHeaderLayout::kUid) != uid) {
      continue;
    }
    its::RecordHeader rh;
    std::memcpy(&rh, ext.data() + a - sizeof(rh), sizeof(rh));
    if (rh.magic != its::kRecordMagic) continue;
    out.push_back({a - static_cast<uint32_t>(sizeof(rh)), rh.sequence, rh.size,
                   Le64(h + ObjectHeaderLayout::kGeneration), true});
  }
  std::sort(out.begin(), out.end(),
            [](const RawRecord& x, const RawRecord& y) { return x.sequence < y.sequence; });
  return out;
}

RawRecord Newest(const std::vector<uint8_t>& ext, int32_t owner, uint64_t uid) {
  const auto all = RecordsOf(ext, owner, uid);
  return all.empty() ? RawRecord{} : all.back();
}

// The log's MAC key, as ps::Store derives it: what an attacker who learnt it
// could forge log records with (the AEAD must still hold).
std::array<uint8_t, 32> LogKey() {
  std::array<uint8_t, 32> key{};
  const char info[] = "bastion/ps/log/v1";
  EXPECT_TRUE(crypto::HkdfSha256(
                  ConstByteSpan(), ConstByteSpan(test_support::kPsRootKey, kRootKeySize),
                  ConstByteSpan(reinterpret_cast<const uint8_t*>(info), sizeof(info) - 1), key)
                  .ok());
  return key;
}

// Signs a log record again after its bytes were changed (unit 1).
void ReMac(std::vector<uint8_t>& ext, const RawRecord& r) {
  const std::array<uint8_t, 32> key = LogKey();
  std::array<uint8_t, 32> mac{};
  ASSERT_TRUE(
      crypto::HmacSha256(
          key, ConstByteSpan(ext.data() + r.address, sizeof(its::RecordHeader) + r.size), mac)
          .ok());
  std::memcpy(ext.data() + r.address + sizeof(its::RecordHeader) + r.size, mac.data(), mac.size());
}

// ---- the PSA semantics ----

TEST(PsStoreTest, RoundTripsAtSeveralSizes) {
  Opened t;
  const size_t sizes[] = {0, 1, 15, 16, 17, 100, 255, 256, 512, 1000, 1023, kMaxObjectSize};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    ASSERT_EQ(Set(t.ps(), kAlice, 1 + i, Pattern(sizes[i], static_cast<uint8_t>(i))), PSA_SUCCESS)
        << sizes[i];
  }
  for (int round = 0; round < 2; ++round) {
    Store& s = round == 0 ? t.ps() : t.Reopen();
    for (size_t i = 0; i < std::size(sizes); ++i) {
      const auto want = Pattern(sizes[i], static_cast<uint8_t>(i));
      EXPECT_EQ(Get(s, kAlice, 1 + i), std::make_pair(PSA_SUCCESS, want)) << sizes[i];
      psa_storage_info_t info{};
      ASSERT_EQ(s.GetInfo(kAlice, 1 + i, &info), PSA_SUCCESS);
      EXPECT_EQ(info.size, sizes[i]);
      EXPECT_EQ(info.capacity, sizes[i]);
      EXPECT_EQ(info.flags, PSA_STORAGE_FLAG_NONE);
    }
    EXPECT_EQ(s.health(), Health::kGood);
  }
  EXPECT_EQ(Set(t.ps(), kAlice, 99, Pattern(kMaxObjectSize + 1, 1)),
            PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Get(t.ps(), kAlice, 99).first, PSA_ERROR_DOES_NOT_EXIST);
  // Replace, remove, set again.
  const auto other = Pattern(33, 77);
  EXPECT_EQ(Set(t.ps(), kAlice, 3, other, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
  EXPECT_EQ(Get(t.ps(), kAlice, 3), std::make_pair(PSA_SUCCESS, other));
  psa_storage_info_t info{};
  EXPECT_EQ(t.ps().GetInfo(kAlice, 3, &info), PSA_SUCCESS);
  EXPECT_EQ(info.flags, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY);
  EXPECT_EQ(t.ps().Remove(kAlice, 3), PSA_SUCCESS);
  EXPECT_EQ(Get(t.ps(), kAlice, 3).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(t.ps().GetInfo(kAlice, 3, &info), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(t.ps().Remove(kAlice, 3), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Set(t.ps(), kAlice, 3, other), PSA_SUCCESS);
  EXPECT_EQ(Get(t.Reopen(), kAlice, 3), std::make_pair(PSA_SUCCESS, other));
}

TEST(PsStoreTest, GetWithOffsetAndLength) {
  Opened t;
  const auto data = Pattern(50, 5);
  ASSERT_EQ(Set(t.ps(), kAlice, 9, data), PSA_SUCCESS);
  uint8_t out[64];
  std::memset(out, 0xaa, sizeof(out));
  size_t n = 99;
  EXPECT_EQ(t.ps().Get(kAlice, 9, 10, ByteSpan(out, 8), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(std::memcmp(out, data.data() + 10, 8), 0);
  EXPECT_EQ(out[8], 0xaa);  // bytes past the length untouched
  EXPECT_EQ(t.ps().Get(kAlice, 9, 45, ByteSpan(out, 20), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(std::memcmp(out, data.data() + 45, 5), 0);
  std::memset(out, 0xaa, sizeof(out));
  EXPECT_EQ(t.ps().Get(kAlice, 9, 50, ByteSpan(out, 20), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(t.ps().Get(kAlice, 9, 3, ByteSpan(out, 0), &n), PSA_SUCCESS);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(out[0], 0xaa);
  EXPECT_EQ(t.ps().Get(kAlice, 9, 51, ByteSpan(out, 20), &n), PSA_ERROR_INVALID_ARGUMENT);
}

TEST(PsStoreTest, ArgumentErrorsAndUnopened) {
  StorageRig rig(Geometry());
  rig.Reset();
  (void)rig.Open();
  {
    its::ItsStore its(rig.device(), rig.its_offset(), rig.its_size(),
                      std::span(test_support::kItsKey));
    Store unopened(rig.device().external_flash(), 0, rig.ps_size(), its, kPsPartition, rig.device(),
                   std::span(test_support::kPsRootKey));
    EXPECT_EQ(Set(unopened, kAlice, 1, Pattern(4, 0)), PSA_ERROR_BAD_STATE);
    EXPECT_EQ(Get(unopened, kAlice, 1).first, PSA_ERROR_BAD_STATE);
    EXPECT_EQ(unopened.Remove(kAlice, 1), PSA_ERROR_BAD_STATE);
    // ITS not opened: PS cannot open either.
    EXPECT_EQ(unopened.Open().code(), StatusCode::kFailedPrecondition);
  }
  Store& s = rig.ps();
  const auto data = Pattern(4, 6);
  size_t n = 0;
  uint8_t out[4];
  psa_storage_info_t info{};
  EXPECT_EQ(Set(s, kAlice, 0, data), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Get(kAlice, 0, 0, ByteSpan(out, 4), &n), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Get(kAlice, 1, 0, ByteSpan(out, 4), nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.GetInfo(kAlice, 0, &info), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.GetInfo(kAlice, 1, nullptr), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Remove(kAlice, 0), PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(s.Set(kAlice, 1, ConstByteSpan(static_cast<const uint8_t*>(nullptr), 4), 0, kQuota),
            PSA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(Set(s, kAlice, 1, data, 1u << 3), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(Set(s, kAlice, 1, data, its::kTombstoneFlag), PSA_ERROR_NOT_SUPPORTED);
  EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Set(s, kAlice, 1, data, kSupportedFlags), PSA_SUCCESS);
  EXPECT_EQ(s.GetInfo(kAlice, 1, &info), PSA_SUCCESS);
  EXPECT_EQ(info.flags, kSupportedFlags);
  // A region that cannot hold the log.
  StorageRig tiny(Geometry(1));
  tiny.Reset();
  EXPECT_EQ(tiny.Open().ps.code(), StatusCode::kInvalidArgument);
}

TEST(PsStoreTest, OwnersAreIsolated) {
  Opened t;
  const auto a = Pattern(30, 7);
  const auto b = Pattern(40, 8);
  ASSERT_EQ(Set(t.ps(), kAlice, 5, a), PSA_SUCCESS);
  psa_storage_info_t info{};
  // Another client's uid reads exactly as no uid at all.
  EXPECT_EQ(Get(t.ps(), kBob, 5).first, Get(t.ps(), kBob, 6).first);
  EXPECT_EQ(Get(t.ps(), kBob, 5).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(t.ps().GetInfo(kBob, 5, &info), PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(t.ps().Remove(kBob, 5), PSA_ERROR_DOES_NOT_EXIST);
  ASSERT_EQ(Set(t.ps(), kBob, 5, b, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
  EXPECT_EQ(Get(t.ps(), kAlice, 5), std::make_pair(PSA_SUCCESS, a));
  EXPECT_EQ(Get(t.ps(), kBob, 5), std::make_pair(PSA_SUCCESS, b));
  EXPECT_EQ(t.ps().Remove(kAlice, 5), PSA_SUCCESS);  // Bob's WRITE_ONCE is Bob's
  Store& again = t.Reopen();
  EXPECT_EQ(Get(again, kAlice, 5).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Get(again, kBob, 5), std::make_pair(PSA_SUCCESS, b));
  // The PS partition's id as a PS client is a client like any other: its
  // uid kRootUid is not the root (that lives in ITS).
  EXPECT_EQ(Get(again, kPsPartition, kRootUid).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Set(again, kPsPartition, kRootUid, a), PSA_SUCCESS);
  EXPECT_EQ(Get(t.Reopen(), kPsPartition, kRootUid), std::make_pair(PSA_SUCCESS, a));
}

TEST(PsStoreTest, WriteOnceCannotChange) {
  Opened t(3);
  const auto data = Pattern(16, 9);
  ASSERT_EQ(Set(t.ps(), kAlice, 11, data, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_SUCCESS);
  EXPECT_EQ(Set(t.ps(), kAlice, 11, Pattern(16, 10)), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(Set(t.ps(), kAlice, 11, data, PSA_STORAGE_FLAG_WRITE_ONCE), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(t.ps().Remove(kAlice, 11), PSA_ERROR_NOT_PERMITTED);
  Store& again = t.Reopen();
  for (int i = 0; i < 30; ++i) {  // compactions
    ASSERT_EQ(Set(again, kAlice, 12, Pattern(900, static_cast<uint8_t>(i))), PSA_SUCCESS);
  }
  EXPECT_GT(again.stats().log.compactions, 0u);
  EXPECT_EQ(again.Remove(kAlice, 11), PSA_ERROR_NOT_PERMITTED);
  EXPECT_EQ(Get(again, kAlice, 11), std::make_pair(PSA_SUCCESS, data));
  EXPECT_EQ(t.Reopen().health(), Health::kGood);
}

TEST(PsStoreTest, QuotaPerOwner) {
  Opened t;
  constexpr uint32_t kSmall = 300;
  Store& s = t.ps();
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(200, 1), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 2, Pattern(101, 2), 0, kSmall), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(s, kAlice, 2, Pattern(100, 2), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(s.OwnerUsage(kAlice), 300u);  // data bytes, not the records' overhead
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(200, 3), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(201, 3), 0, kSmall), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(s, kBob, 1, Pattern(300, 4), 0, kSmall), PSA_SUCCESS);
  EXPECT_EQ(s.Remove(kAlice, 2), PSA_SUCCESS);
  EXPECT_EQ(Set(s, kAlice, 3, Pattern(100, 5), 0, kSmall), PSA_SUCCESS);
  // The root lives in ITS under the PS partition's id: no client's quota.
  EXPECT_EQ(t.rig.its().OwnerUsage(kAlice), 0u);
  EXPECT_EQ(t.rig.its().OwnerUsage(kPsPartition), RootLayout::kBytes);
}

TEST(PsStoreTest, FullStoreAndObjectCount) {
  Opened t(2);
  uint64_t uid = 1;
  psa_status_t st = PSA_SUCCESS;
  for (; uid < 50 && st == PSA_SUCCESS; ++uid) {
    st = Set(t.ps(), kAlice, uid, Pattern(kMaxObjectSize, static_cast<uint8_t>(uid)));
  }
  EXPECT_EQ(st, PSA_ERROR_INSUFFICIENT_STORAGE);
  const uint64_t stored = uid - 2;
  EXPECT_GE(stored, 2u);
  EXPECT_EQ(t.ps().health(), Health::kGood);
  // The refused write reserved a generation and left a pending root: a
  // reboot finds the set the committed one and drops it.
  Store& again = t.Reopen();
  EXPECT_EQ(again.health(), Health::kGood);
  EXPECT_EQ(again.stats().dropped_writes, 1u);
  for (uint64_t u = 1; u <= stored; ++u) {
    EXPECT_EQ(Get(again, kAlice, u),
              std::make_pair(PSA_SUCCESS, Pattern(kMaxObjectSize, static_cast<uint8_t>(u))));
  }
  EXPECT_EQ(again.Remove(kAlice, 1), PSA_SUCCESS);
  EXPECT_EQ(Set(again, kAlice, 100, Pattern(kMaxObjectSize, 100)), PSA_SUCCESS);
  // The object count.
  Opened big(64);
  for (uint32_t u = 1; u <= its::kMaxObjects; ++u) {
    ASSERT_EQ(Set(big.ps(), kBob, u, Pattern(8, 1)), PSA_SUCCESS);
  }
  EXPECT_EQ(Set(big.ps(), kBob, 1000, Pattern(8, 1)), PSA_ERROR_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Set(big.ps(), kBob, 1, Pattern(9, 2)), PSA_SUCCESS);
  EXPECT_EQ(big.Reopen().health(), Health::kGood);
}

TEST(PsStoreTest, SurvivesReopenAndCompactions) {
  Opened t(4);
  std::map<std::pair<int32_t, uint64_t>, std::vector<uint8_t>> model;
  Store* s = &t.ps();
  uint32_t compactions = 0;
  const auto reopen = [&] {
    compactions += s->stats().log.compactions + t.rig.its().stats().compactions;
    s = &t.Reopen();
  };
  for (int i = 0; i < 90; ++i) {
    const int32_t owner = i % 3 == 0 ? kBob : kAlice;
    const uint64_t uid = 1 + (i * 7) % 5;
    if (i % 5 == 4) {
      const psa_status_t st = s->Remove(owner, uid);
      EXPECT_EQ(st, model.count({owner, uid}) ? PSA_SUCCESS : PSA_ERROR_DOES_NOT_EXIST);
      model.erase({owner, uid});
    } else {
      const auto data = Pattern((i * 97) % 700, static_cast<uint8_t>(i));
      ASSERT_EQ(Set(*s, owner, uid, data,
                    i % 4 == 1 ? PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION : PSA_STORAGE_FLAG_NONE),
                PSA_SUCCESS)
          << i;
      model[{owner, uid}] = data;
    }
    if (i % 13 == 0) reopen();
    ASSERT_EQ(s->health(), Health::kGood) << i;
  }
  reopen();
  EXPECT_GT(compactions, 0u);
  for (const int32_t owner : {kAlice, kBob}) {
    for (uint64_t uid = 1; uid <= 5; ++uid) {
      const auto it = model.find({owner, uid});
      if (it == model.end()) {
        EXPECT_EQ(Get(*s, owner, uid).first, PSA_ERROR_DOES_NOT_EXIST);
      } else {
        EXPECT_EQ(Get(*s, owner, uid), std::make_pair(PSA_SUCCESS, it->second));
      }
    }
  }
  EXPECT_EQ(s->health(), Health::kGood);
}

// ---- confidentiality and nonces ----

TEST(PsStoreTest, CiphertextDoesNotContainThePlaintext) {
  Opened t;
  std::vector<uint8_t> secret(kMaxObjectSize);
  for (size_t i = 0; i < secret.size(); ++i)
    secret[i] = static_cast<uint8_t>("TOP-SECRET!"[i % 11]);
  const std::vector<uint8_t> small = {'p', 'i', 'n', ':', '1', '2', '3', '4'};
  ASSERT_EQ(Set(t.ps(), kAlice, 1, secret), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, small), PSA_SUCCESS);
  const std::vector<uint8_t> ext = t.rig.device().raw_external_flash();
  const std::vector<uint8_t> internal = t.rig.Save().its;
  // No 8-byte window of either object, on either flash.
  for (size_t i = 0; i + 8 <= secret.size(); i += 8) {
    ASSERT_FALSE(Contains(ext, secret.data() + i, 8)) << i;
    ASSERT_FALSE(Contains(internal, secret.data() + i, 8)) << i;
  }
  EXPECT_FALSE(Contains(ext, small.data(), small.size()));
  // The same object stored twice gives two unrelated ciphertexts (new nonce).
  const RawRecord first = Newest(ext, kAlice, 2);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, small), PSA_SUCCESS);
  const std::vector<uint8_t>& ext2 = t.rig.device().raw_external_flash();
  const RawRecord second = Newest(ext2, kAlice, 2);
  ASSERT_TRUE(first.found && second.found);
  EXPECT_NE(first.generation, second.generation);
  const uint32_t body = sizeof(its::RecordHeader) + ObjectHeaderLayout::kBytes;
  EXPECT_NE(std::memcmp(ext.data() + first.address + body, ext2.data() + second.address + body,
                        small.size() + kTagSize),
            0);
  // NO_CONFIDENTIALITY: in clear on the flash, still read back intact.
  const auto clear = Pattern(64, 42);
  ASSERT_EQ(Set(t.ps(), kBob, 3, clear, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
  EXPECT_TRUE(Contains(t.rig.device().raw_external_flash(), clear.data(), clear.size()));
  EXPECT_EQ(Get(t.Reopen(), kBob, 3), std::make_pair(PSA_SUCCESS, clear));
}

TEST(PsStoreTest, GenerationsAreNeverReused) {
  Opened t(3);
  std::set<uint64_t> seen;
  uint64_t last = 0;
  for (int i = 0; i < 40; ++i) {
    const uint64_t uid = 1 + i % 3;
    const uint32_t flags = i % 3 == 2 ? PSA_STORAGE_FLAG_NO_CONFIDENTIALITY
                                      : (i % 5 == 0 ? PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION : 0);
    ASSERT_EQ(Set(t.ps(), kAlice, uid, Pattern(300, static_cast<uint8_t>(i)), flags), PSA_SUCCESS);
    const RawRecord r = Newest(t.rig.device().raw_external_flash(), kAlice, uid);
    ASSERT_TRUE(r.found);
    EXPECT_TRUE(seen.insert(r.generation).second) << "generation " << r.generation << " again";
    EXPECT_GT(r.generation, last);
    EXPECT_EQ(r.generation, t.ps().stats().generation);
    last = r.generation;
    if (i % 11 == 10) t.Reopen();
  }
  // The generation lives in ITS: an old external image does not bring back
  // old generations (the rollback is detected, and after Format the count
  // goes on).
  const auto image = t.rig.Save();
  ASSERT_EQ(Set(t.ps(), kAlice, 1, Pattern(10, 1)), PSA_SUCCESS);
  const uint64_t reached = t.ps().stats().generation;
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(image.external);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kRollbackDetected);
  ASSERT_TRUE(t.ps().Format().ok());
  ASSERT_EQ(Set(t.ps(), kAlice, 1, Pattern(10, 1)), PSA_SUCCESS);
  EXPECT_EQ(t.ps().stats().generation, reached + 1);
}

// ---- the attacker with the external flash ----

TEST(PsStoreTest, FlippedBitsNeverReadAsData) {
  // Every byte of a record, one at a time (a new store each time).
  Opened t;
  const auto a = Pattern(40, 21), b = Pattern(40, 22), c = Pattern(40, 23);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, b, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kBob, 3, c), PSA_SUCCESS);
  const auto image = t.rig.Save();
  for (const uint64_t uid : {1, 2}) {
    const RawRecord r = Newest(image.external, kAlice, uid);
    ASSERT_TRUE(r.found);
    const uint32_t span = sizeof(its::RecordHeader) + r.size + its::kMacSize;
    for (uint32_t off = 0; off < span; ++off) {
      SCOPED_TRACE("uid " + std::to_string(uid) + " byte " + std::to_string(off));
      auto ext = image.external;
      ext[r.address + off] ^= static_cast<uint8_t>(1u << (off % 8));
      t.rig.Reset();
      t.rig.Restore({image.its, ext});
      ASSERT_TRUE(t.rig.Open().ps.ok());
      const auto got = Get(t.ps(), kAlice, uid);
      EXPECT_TRUE(got.first == PSA_ERROR_DATA_CORRUPT || got.first == PSA_ERROR_INVALID_SIGNATURE)
          << got.first;
      EXPECT_TRUE(got.second.empty());
      // The others: intact, or (a header no longer found: the set changed)
      // refused as a rollback. Never other data.
      const auto other = Get(t.ps(), kBob, 3);
      if (t.ps().health() == Health::kGood) {
        EXPECT_EQ(other, std::make_pair(PSA_SUCCESS, c));
      } else {
        EXPECT_EQ(t.ps().health(), Health::kRollbackDetected);
        EXPECT_EQ(other.first, PSA_ERROR_INVALID_SIGNATURE);
      }
    }
  }
}

TEST(PsStoreTest, ChangesAfterOpenAreCaughtOnRead) {
  Opened t;
  const auto a = Pattern(100, 31);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, Pattern(100, 32)), PSA_SUCCESS);
  auto ext = t.rig.device().raw_external_flash();
  const auto records = RecordsOf(ext, kAlice, 1);
  ASSERT_EQ(records.size(), 2u);
  // The old record copied over the new one while the store runs.
  const uint32_t span = sizeof(its::RecordHeader) + records[0].size + its::kMacSize;
  std::memcpy(ext.data() + records[1].address, ext.data() + records[0].address, span);
  t.rig.device().FactoryWriteExternal(ext);
  const auto got = Get(t.ps(), kAlice, 1);
  EXPECT_NE(got.first, PSA_SUCCESS);
  EXPECT_NE(got.second, a);
}

TEST(PsStoreTest, ForgedLogRecordsFailTheAead) {
  // An attacker who knows the log's MAC key (it is only an integrity layer)
  // still cannot change a byte of an object, confidential or not.
  Opened t;
  const auto a = Pattern(64, 41);
  const auto b = Pattern(64, 42);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, b, PSA_STORAGE_FLAG_NO_CONFIDENTIALITY), PSA_SUCCESS);
  const auto image = t.rig.Save();
  const uint32_t hdr = sizeof(its::RecordHeader);
  struct Edit {
    uint64_t uid;
    uint32_t offset;  // in the log record's data (PS header, body, tag)
  };
  const Edit edits[] = {
      {1, ObjectHeaderLayout::kBytes + 5},       // ciphertext
      {1, ObjectHeaderLayout::kBytes + 64 + 3},  // tag
      {1, ObjectHeaderLayout::kGeneration},      // the nonce
      {1, ObjectHeaderLayout::kSize},            // the size
      {1, ObjectHeaderLayout::kFlags},           // flags (NO_CONFIDENTIALITY)
      {1, ObjectHeaderLayout::kUid},             // another uid
      {2, ObjectHeaderLayout::kBytes + 7},       // clear data
      {2, ObjectHeaderLayout::kFlags},           // flags
  };
  for (const Edit& e : edits) {
    SCOPED_TRACE("uid " + std::to_string(e.uid) + " offset " + std::to_string(e.offset));
    auto ext = image.external;
    const RawRecord r = Newest(ext, kAlice, e.uid);
    ASSERT_TRUE(r.found);
    ext[r.address + hdr + e.offset] ^= e.offset == ObjectHeaderLayout::kFlags ? 0x02 : 0x01;
    ReMac(ext, r);
    t.rig.Reset();
    t.rig.Restore({image.its, ext});
    ASSERT_TRUE(t.rig.Open().ps.ok());
    EXPECT_EQ(t.ps().health(), Health::kGood);  // the set (the log's view) is unchanged
    const auto got = Get(t.ps(), kAlice, e.uid);
    EXPECT_EQ(got.first, PSA_ERROR_INVALID_SIGNATURE);
    psa_storage_info_t info{};
    EXPECT_EQ(t.ps().GetInfo(kAlice, e.uid, &info), PSA_ERROR_INVALID_SIGNATURE);
    EXPECT_EQ(Get(t.ps(), kAlice, 3 - e.uid).first, PSA_SUCCESS);  // the other object
  }
  // Without the re-MAC, the same change is damage the log itself catches
  // (reported as such when a valid record follows: otherwise the log takes
  // it for a torn write, the object vanishes and the set no longer matches).
  ASSERT_EQ(Set(t.ps(), kBob, 5, Pattern(8, 5)), PSA_SUCCESS);
  auto ext = t.rig.device().raw_external_flash();
  ext[Newest(ext, kAlice, 2).address + hdr + ObjectHeaderLayout::kBytes + 7] ^= 1;
  const auto its_now = t.rig.Save().its;
  t.rig.Reset();
  t.rig.Restore({its_now, ext});
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(Get(t.ps(), kAlice, 2).first, PSA_ERROR_DATA_CORRUPT);
}

TEST(PsStoreTest, RestoredOldImageIsDetected) {
  Opened t;
  const auto a1 = Pattern(50, 1), a2 = Pattern(50, 2), b1 = Pattern(60, 3);
  const auto n1 = Pattern(70, 4), n2 = Pattern(70, 5), c1 = Pattern(20, 6);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a1), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, b1), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kBob, 7, n1, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_SUCCESS);
  const std::vector<uint8_t> old_image = t.rig.device().raw_external_flash();
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a2), PSA_SUCCESS);
  ASSERT_EQ(t.ps().Remove(kAlice, 2), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kBob, 7, n2, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kBob, 8, c1), PSA_SUCCESS);
  const std::vector<uint8_t> new_image = t.rig.device().raw_external_flash();

  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(old_image);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  Store& s = t.ps();
  EXPECT_EQ(s.health(), Health::kRollbackDetected);
  // Never the old data as current; nothing to tell what exists.
  EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_EQ(Get(s, kAlice, 2).first, PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_EQ(Get(s, kBob, 8).first, PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_EQ(Get(s, kBob, 99).first, PSA_ERROR_INVALID_SIGNATURE);
  psa_storage_info_t info{};
  EXPECT_EQ(s.GetInfo(kAlice, 1, &info), PSA_ERROR_INVALID_SIGNATURE);
  // NO_REPLAY_PROTECTION: outside the binding, it reads (the old version).
  EXPECT_EQ(Get(s, kBob, 7), std::make_pair(PSA_SUCCESS, n1));
  // Nothing is written over a store that cannot vouch for itself.
  EXPECT_EQ(Set(s, kAlice, 1, a2), PSA_ERROR_STORAGE_FAILURE);
  EXPECT_EQ(Set(s, kBob, 7, n2, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_ERROR_STORAGE_FAILURE);
  EXPECT_EQ(s.Remove(kAlice, 1), PSA_ERROR_STORAGE_FAILURE);
  // Still so after another reboot: the root was not touched.
  t.rig.Reset();
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kRollbackDetected);

  // The right image back: all is well again.
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(new_image);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kGood);
  EXPECT_EQ(Get(t.ps(), kAlice, 1), std::make_pair(PSA_SUCCESS, a2));
  EXPECT_EQ(Get(t.ps(), kAlice, 2).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Get(t.ps(), kBob, 8), std::make_pair(PSA_SUCCESS, c1));

  // The old one again, then the recovery: Format.
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(old_image);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  ASSERT_EQ(t.ps().health(), Health::kRollbackDetected);
  ASSERT_TRUE(t.ps().Format().ok());
  EXPECT_EQ(t.ps().health(), Health::kGood);
  EXPECT_EQ(Get(t.ps(), kAlice, 1).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Get(t.ps(), kBob, 7).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Set(t.ps(), kAlice, 1, a1), PSA_SUCCESS);
  EXPECT_EQ(Get(t.Reopen(), kAlice, 1), std::make_pair(PSA_SUCCESS, a1));
  // Records of before the format (old keys) are worth nothing now.
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(new_image);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kRollbackDetected);
}

TEST(PsStoreTest, SingleRecordDeletionOrReplayIsDetected) {
  Opened t;
  const auto a1 = Pattern(50, 1), a2 = Pattern(50, 2), b = Pattern(30, 3), c = Pattern(30, 4);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a1), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, b), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a2), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 3, c), PSA_SUCCESS);
  ASSERT_EQ(t.ps().Remove(kAlice, 3), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kBob, 9, c), PSA_SUCCESS);  // a record after the tombstone
  const auto image = t.rig.Save();
  const auto reopen_with = [&](const std::vector<uint8_t>& ext) -> Store& {
    t.rig.Reset();
    t.rig.Restore({image.its, ext});
    EXPECT_TRUE(t.rig.Open().ps.ok());
    return t.ps();
  };
  const uint32_t hdr = sizeof(its::RecordHeader);
  const auto a_records = RecordsOf(image.external, kAlice, 1);
  ASSERT_EQ(a_records.size(), 2u);
  const uint32_t a_span = hdr + a_records[1].size + its::kMacSize;
  {
    SCOPED_TRACE("the newest record of uid 1 erased: the old one would be current");
    auto ext = image.external;
    std::fill_n(ext.begin() + a_records[1].address, a_span, 0xff);
    Store& s = reopen_with(ext);
    EXPECT_EQ(s.health(), Health::kRollbackDetected);
    EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_INVALID_SIGNATURE);
  }
  {
    SCOPED_TRACE("the old record of uid 1 copied over the new one (replay)");
    auto ext = image.external;
    std::memcpy(ext.data() + a_records[1].address, ext.data() + a_records[0].address, a_span);
    Store& s = reopen_with(ext);
    EXPECT_EQ(s.health(), Health::kRollbackDetected);
    EXPECT_NE(Get(s, kAlice, 1).second, a1);
    EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_INVALID_SIGNATURE);
  }
  {
    SCOPED_TRACE("uid 2 deleted altogether");
    auto ext = image.external;
    const RawRecord r = Newest(ext, kAlice, 2);
    std::fill_n(ext.begin() + r.address, hdr + r.size + its::kMacSize, 0xff);
    Store& s = reopen_with(ext);
    EXPECT_EQ(s.health(), Health::kRollbackDetected);
    EXPECT_EQ(Get(s, kAlice, 2).first, PSA_ERROR_INVALID_SIGNATURE);
  }
  {
    SCOPED_TRACE("uid 3's tombstone deleted: the removed object would come back");
    auto ext = image.external;
    const RawRecord r = Newest(ext, kAlice, 3);  // the data record
    // The tombstone is the record right after uid 3's data record.
    const uint32_t tomb = r.address + hdr + r.size + its::kMacSize;
    its::RecordHeader th;
    std::memcpy(&th, ext.data() + tomb, sizeof(th));
    ASSERT_EQ(th.magic, its::kRecordMagic);
    ASSERT_NE(th.flags & its::kTombstoneFlag, 0u);
    std::fill_n(ext.begin() + tomb, hdr + its::kMacSize, 0xff);
    Store& s = reopen_with(ext);
    EXPECT_EQ(s.health(), Health::kRollbackDetected);
    EXPECT_EQ(Get(s, kAlice, 3).first, PSA_ERROR_INVALID_SIGNATURE);
  }
  {
    SCOPED_TRACE("an old record replayed at the end of the log is never current");
    auto ext = image.external;
    uint32_t end = 0;  // after the last record written
    for (const auto& rec : RecordsOf(ext, kBob, 9))
      end = rec.address + hdr + rec.size + its::kMacSize;
    std::memcpy(ext.data() + end, ext.data() + a_records[0].address, a_span);
    Store& s = reopen_with(ext);
    EXPECT_EQ(s.health(), Health::kGood);
    EXPECT_EQ(Get(s, kAlice, 1), std::make_pair(PSA_SUCCESS, a2));
  }
  {
    SCOPED_TRACE("untouched");
    Store& s = reopen_with(image.external);
    EXPECT_EQ(s.health(), Health::kGood);
    EXPECT_EQ(Get(s, kAlice, 1), std::make_pair(PSA_SUCCESS, a2));
    EXPECT_EQ(Get(s, kAlice, 2), std::make_pair(PSA_SUCCESS, b));
    EXPECT_EQ(Get(s, kAlice, 3).first, PSA_ERROR_DOES_NOT_EXIST);
  }
}

TEST(PsStoreTest, NoReplayProtectionObjectsAreOutsideTheBinding) {
  Opened t;
  const auto n1 = Pattern(40, 1), n2 = Pattern(40, 2), p = Pattern(40, 3);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, n1, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_SUCCESS);
  ASSERT_EQ(Set(t.ps(), kAlice, 2, p), PSA_SUCCESS);
  const auto old_image = t.rig.Save();
  ASSERT_EQ(Set(t.ps(), kAlice, 1, n2, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_SUCCESS);
  const auto new_image = t.rig.Save();
  // The old external image: not flagged, and the object is its old version
  // (that is what NO_REPLAY_PROTECTION gives up).
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(old_image.external);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kGood);
  EXPECT_EQ(Get(t.ps(), kAlice, 1), std::make_pair(PSA_SUCCESS, n1));
  EXPECT_EQ(Get(t.ps(), kAlice, 2), std::make_pair(PSA_SUCCESS, p));
  // Deleted: not flagged either, it simply is not there.
  auto ext = new_image.external;
  for (const auto& r : RecordsOf(ext, kAlice, 1)) {
    std::fill_n(ext.begin() + r.address, sizeof(its::RecordHeader) + r.size + its::kMacSize, 0xff);
  }
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(ext);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kGood);
  EXPECT_EQ(Get(t.ps(), kAlice, 1).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Get(t.ps(), kAlice, 2), std::make_pair(PSA_SUCCESS, p));
  // Changing a protected object into a NO_REPLAY one and back is bound: the
  // protected version cannot be replayed in place of the other.
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(new_image.external);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  const auto before = t.rig.Save();
  ASSERT_EQ(Set(t.ps(), kAlice, 2, n2, PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_SUCCESS);
  t.rig.Reset();
  t.rig.device().FactoryWriteExternal(before.external);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kRollbackDetected);
  EXPECT_EQ(Get(t.ps(), kAlice, 2).first, PSA_ERROR_INVALID_SIGNATURE);
}

TEST(PsStoreTest, AnotherRootKeyReadsNothing) {
  Opened t;
  ASSERT_EQ(Set(t.ps(), kAlice, 1, Pattern(20, 1)), PSA_SUCCESS);
  uint8_t other[kRootKeySize] = {};
  t.rig.Reset();
  ASSERT_TRUE(t.rig.Open(std::span(other)).ps.ok());
  EXPECT_EQ(t.ps().health(), Health::kRollbackDetected);
  EXPECT_EQ(Get(t.ps(), kAlice, 1).first, PSA_ERROR_INVALID_SIGNATURE);
}

// ---- the root ----

TEST(PsStoreTest, MissingRootRefusesUntilFormat) {
  Opened t;
  const auto a = Pattern(20, 1);
  ASSERT_EQ(Set(t.ps(), kAlice, 1, a), PSA_SUCCESS);
  // ITS erased (re-provisioned), the external flash kept.
  auto image = t.rig.Save();
  std::fill(image.its.begin(), image.its.end(), 0xff);
  t.rig.Reset();
  t.rig.Restore(image);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  Store& s = t.ps();
  EXPECT_EQ(s.health(), Health::kRootMissing);
  EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_EQ(Get(s, kAlice, 2).first, PSA_ERROR_INVALID_SIGNATURE);
  EXPECT_EQ(Set(s, kAlice, 1, a), PSA_ERROR_STORAGE_FAILURE);
  ASSERT_TRUE(s.Format().ok());
  EXPECT_EQ(s.health(), Health::kGood);
  EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_DOES_NOT_EXIST);
  EXPECT_EQ(Set(s, kAlice, 1, a), PSA_SUCCESS);
  EXPECT_EQ(Get(t.Reopen(), kAlice, 1), std::make_pair(PSA_SUCCESS, a));
}

TEST(PsStoreTest, DamagedRootReadsCorrupt) {
  Opened t;
  ASSERT_EQ(Set(t.ps(), kAlice, 1, Pattern(20, 1)), PSA_SUCCESS);
  // An ITS object after the root, so ITS calls the damaged root damage.
  ASSERT_EQ(t.rig.its().Set(kAlice, 5, ConstByteSpan(), 0, 1000), PSA_SUCCESS);
  auto image = t.rig.Save();
  uint8_t magic[4];
  StoreLe32(magic, kRootMagic);
  // The newest root record: the last occurrence of the magic.
  auto it = std::find_end(image.its.begin(), image.its.end(), magic, magic + 4);
  ASSERT_NE(it, image.its.end());
  it[RootLayout::kCommitted] ^= 0x20;
  t.rig.Reset();
  t.rig.Restore(image);
  ASSERT_TRUE(t.rig.Open().ps.ok());
  Store& s = t.ps();
  EXPECT_EQ(s.health(), Health::kRootDamaged);
  EXPECT_EQ(Get(s, kAlice, 1).first, PSA_ERROR_DATA_CORRUPT);
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(20, 2)), PSA_ERROR_STORAGE_FAILURE);
  ASSERT_TRUE(s.Format().ok());
  EXPECT_EQ(Set(s, kAlice, 1, Pattern(20, 2)), PSA_SUCCESS);
  EXPECT_EQ(t.Reopen().health(), Health::kGood);
}

// Format cut at every flash operation: the next Open ends with the store
// as it was (the format had not started) or empty, healthy either way.
TEST(PsStoreTest, FormatCutAnywhereFinishes) {
  Opened t;
  for (uint64_t uid = 1; uid <= 6; ++uid) {
    ASSERT_EQ(Set(t.ps(), kAlice, uid, Pattern(900, static_cast<uint8_t>(uid))), PSA_SUCCESS);
  }
  const auto image = t.rig.Save();
  const uint64_t start = t.rig.device().operations();
  ASSERT_TRUE(t.ps().Format().ok());
  const uint64_t total = t.rig.device().operations() - start;
  EXPECT_GE(total, 6u);  // two root writes and the erases
  for (uint64_t n = 1; n <= total; ++n) {
    for (const auto mode :
         {host::VirtualDevice::PowerLossMode::kClean, host::VirtualDevice::PowerLossMode::kTorn}) {
      SCOPED_TRACE("cut at " + std::to_string(n));
      t.rig.Reset();
      t.rig.Restore(image);
      ASSERT_TRUE(t.rig.Open().ps.ok());
      t.rig.device().SetPowerLossMode(mode);
      t.rig.device().SetPowerLossAfter(n);
      EXPECT_FALSE(t.ps().Format().ok());
      t.rig.device().SetPowerLossAfter(0);
      t.rig.device().SetPowerLossMode(host::VirtualDevice::PowerLossMode::kClean);
      Store& s = t.Reopen();
      EXPECT_EQ(s.health(), Health::kGood);
      const bool kept = Get(s, kAlice, 1).first == PSA_SUCCESS;
      for (uint64_t uid = 1; uid <= 6; ++uid) {
        const auto got = Get(s, kAlice, uid);
        if (kept) {
          EXPECT_EQ(got, std::make_pair(PSA_SUCCESS, Pattern(900, static_cast<uint8_t>(uid))));
        } else {
          EXPECT_EQ(got.first, PSA_ERROR_DOES_NOT_EXIST);
        }
      }
      EXPECT_EQ(Set(s, kBob, 1, Pattern(10, 1)), PSA_SUCCESS);
    }
  }
}

// The header's promise of the RAM a store takes (all of it inline).
TEST(PsStoreTest, FitsItsMemoryBudget) {
  EXPECT_LE(sizeof(Store), 8u * 1024);
  EXPECT_LE(sizeof(its::StoreBuffer<kLogObjectSize>), 7u * 1024);
}

TEST(PsStoreTest, FirstOpenFormatsAndWritesTheRoot) {
  StorageRig rig(Geometry());
  // Leftovers in the region (never a PS log): erased by the first Open.
  std::vector<uint8_t> junk(rig.device().raw_external_flash().size(), 0xff);
  for (size_t i = 0; i < 5000; ++i) junk[i] = static_cast<uint8_t>(i * 13);
  rig.device().FactoryWriteExternal(junk);
  rig.Reset();
  const auto o = rig.Open();
  ASSERT_TRUE(o.ps.ok());
  EXPECT_EQ(rig.ps().health(), Health::kGood);
  EXPECT_EQ(rig.its().OwnerUsage(kPsPartition), RootLayout::kBytes);
  EXPECT_EQ(rig.device().raw_external_flash()[0], 0xff);
  EXPECT_EQ(Set(rig.ps(), kAlice, 1, Pattern(10, 1)), PSA_SUCCESS);
}

}  // namespace
}  // namespace bastion::ps
