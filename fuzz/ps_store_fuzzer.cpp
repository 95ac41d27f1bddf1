// libFuzzer: the Protected Storage engine over hostile external-flash
// contents. Opening never crashes, and whatever the external flash holds, a
// read that succeeds returns data the engine wrote, never anything else: a
// replay-protected object of a healthy store reads exactly as last written.
//
// Input: byte 0 picks the external flash's program unit, whether the
// external flash is the engine's own store with the rest of the input XORed
// over it (reaching the MAC, AEAD and rollback paths) or the raw input, and
// whether ITS loses the root or gets a few bytes changed; the last bytes
// drive a few operations (set, get, remove, get-info, format).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "its/its_store.h"
#include "ps/ps_store.h"
#include "ram_flash.h"

namespace {

using namespace bastion;

using fuzz::RamFlash;

constexpr uint8_t kItsKey[its::kKeySize] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                            12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                            23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr uint8_t kRootKey[ps::kRootKeySize] = {
    0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90,
    0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0};
constexpr int32_t kPartition = 3005;
constexpr uint32_t kQuota = 8192;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// A deterministic RNG (the salt only needs to differ between formats here).
class CountingRng final : public platform::Rng {
 public:
  Status Fill(ByteSpan out) override {
    for (uint8_t& b : out) b = static_cast<uint8_t>(++counter_ * 167);
    return StatusCode::kOk;
  }

 private:
  uint32_t counter_ = 0;
};

using Key = std::pair<int32_t, uint64_t>;
struct Latest {
  bool exists = false;
  bool protected_ = false;
  std::vector<uint8_t> data;
};

struct Truth {
  std::map<Key, std::vector<std::vector<uint8_t>>> versions;  // every value ever written
  std::map<Key, Latest> latest;
  // ITS bytes were changed. ITS is trusted internal flash: its engine takes
  // damage to its newest records for a torn write and returns an older root;
  // with matching damage at the end of the external log, an older version
  // then reads as current. Only "a value once written" holds.
  bool its_damaged = false;

  void Wrote(const Key& k, const std::vector<uint8_t>& data, uint32_t flags) {
    versions[k].push_back(data);
    latest[k] = {true, (flags & PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION) == 0, data};
  }
  bool Ever(const Key& k, const uint8_t* data, size_t n) const {
    const auto it = versions.find(k);
    if (it == versions.end()) return false;
    for (const auto& v : it->second) {
      if (v.size() == n && (n == 0 || std::memcmp(v.data(), data, n) == 0)) return true;
    }
    return false;
  }
};

// Reads (owner, uid) and checks what a success may return.
void CheckRead(ps::Store& store, const Truth& truth, int32_t owner, uint64_t uid) {
  uint8_t out[ps::kMaxObjectSize];
  size_t n = 0;
  const psa_status_t st = store.Get(owner, uid, 0, ByteSpan(out, sizeof(out)), &n);
  const Key k{owner, uid};
  psa_storage_info_t info{};
  const psa_status_t info_st = store.GetInfo(owner, uid, &info);
  Check((st == PSA_SUCCESS) == (info_st == PSA_SUCCESS));
  if (st != PSA_SUCCESS) return;
  Check(n <= ps::kMaxObjectSize && info.size == n);
  Check(truth.Ever(k, out, n));
  const auto it = truth.latest.find(k);
  if (!truth.its_damaged && store.health() == ps::Health::kGood && it != truth.latest.end() &&
      it->second.protected_) {
    Check(it->second.exists && it->second.data.size() == n &&
          (n == 0 || std::memcmp(it->second.data.data(), out, n) == 0));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint32_t units[] = {1, 8, 16, 32};
  const platform::FlashGeometry ext_g{4 * 2048, 2048, units[data[0] & 3], 0xff};
  const platform::FlashGeometry int_g{3 * 2048, 2048, 8, 0xff};
  RamFlash external(ext_g);
  RamFlash internal(int_g);
  CountingRng rng;
  Truth truth;
  const size_t ops_bytes = size < 16 ? size / 2 : 8;
  const uint8_t* ops = data + size - ops_bytes;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1 - ops_bytes;

  // The engine's own store: ITS with the root, a few objects of each kind.
  {
    its::ItsStore its(internal, 0, int_g.size, std::span(kItsKey));
    Check(its.Open().ok());
    ps::Store writer(external, 0, ext_g.size, its, kPartition, rng, std::span(kRootKey));
    Check(writer.Open().ok());
    for (uint32_t i = 0; i < 9; ++i) {
      const Key k{i % 2 == 0 ? 1 : -1, 1 + i % 4};
      const uint32_t flags = i % 3 == 1   ? PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION
                             : i % 3 == 2 ? PSA_STORAGE_FLAG_NO_CONFIDENTIALITY
                                          : 0;
      std::vector<uint8_t> value(20 + i * 30, static_cast<uint8_t>(i + 1));
      Check(writer.Set(k.first, k.second, ConstByteSpan(value.data(), value.size()), flags,
                       kQuota) == PSA_SUCCESS);
      truth.Wrote(k, value, flags);
    }
  }
  if ((data[0] & 4) != 0) {
    for (size_t i = 0; i < body_size; ++i) {
      external.bytes()[(i * 131) % external.bytes().size()] ^= body[i];
    }
  } else {
    std::memset(external.bytes().data(), 0xff, external.bytes().size());
    std::memcpy(external.bytes().data(), body, body_size < ext_g.size ? body_size : ext_g.size);
  }
  if ((data[0] & 8) != 0) {
    std::memset(internal.bytes().data(), 0xff, internal.bytes().size());  // the root is lost
  } else if ((data[0] & 16) != 0 && body_size > 0) {
    truth.its_damaged = true;
    for (size_t i = 0; i < body_size && i < 8; ++i) {  // the root may be damaged
      internal.bytes()[(body[i] * 53 + i * 977) % internal.bytes().size()] ^=
          body[body_size - 1 - i];
    }
  }

  its::ItsStore its(internal, 0, int_g.size, std::span(kItsKey));
  if (!its.Open().ok()) return 0;
  {
    ps::Store store(external, 0, ext_g.size, its, kPartition, rng, std::span(kRootKey));
    if (!store.Open().ok()) return 0;
    for (const int32_t owner : {1, -1}) {
      for (uint64_t uid = 1; uid <= 5; ++uid) CheckRead(store, truth, owner, uid);
    }
    for (size_t i = 0; i + 1 < ops_bytes; i += 2) {
      const int32_t owner = (ops[i] & 1) != 0 ? 1 : -1;
      const uint64_t uid = 1 + ((ops[i] >> 1) & 3);
      const Key k{owner, uid};
      switch (ops[i + 1] & 7) {
        case 0:
        case 1: {
          std::vector<uint8_t> value(ops[i + 1] % 200, static_cast<uint8_t>(ops[i] ^ 0x5a));
          const uint32_t flags = (ops[i] >> 3) & 7;
          const psa_status_t st =
              store.Set(owner, uid, ConstByteSpan(value.data(), value.size()), flags, kQuota);
          if (st == PSA_SUCCESS) {
            truth.Wrote(k, value, flags);
            CheckRead(store, truth, owner, uid);
          } else if (st == PSA_ERROR_STORAGE_FAILURE || st == PSA_ERROR_GENERIC_ERROR) {
            // Old or new from now on: only "a value once written" is checked.
            truth.versions[k].push_back(value);
            truth.latest.erase(k);
          }
          break;
        }
        case 2: {
          const psa_status_t st = store.Remove(owner, uid);
          if (st == PSA_ERROR_STORAGE_FAILURE) truth.latest.erase(k);
          if (st == PSA_SUCCESS) {
            truth.latest[k] = Latest{};
            uint8_t out[8];
            size_t n = 0;
            Check(store.Get(owner, uid, 0, ByteSpan(out, sizeof(out)), &n) ==
                  PSA_ERROR_DOES_NOT_EXIST);
          }
          break;
        }
        case 3:
          if (store.Format().ok()) {
            truth.latest.clear();
            Check(store.health() == ps::Health::kGood);
            uint8_t one = 1;
            Check(store.Set(owner, uid, ConstByteSpan(&one, 1), 0, kQuota) == PSA_SUCCESS);
            truth.Wrote(k, {1}, 0);
            CheckRead(store, truth, owner, uid);
          }
          break;
        default:
          CheckRead(store, truth, owner, uid);
          break;
      }
    }
  }
  // Whatever happened, the stores open again, and reads keep their promise.
  ps::Store again(external, 0, ext_g.size, its, kPartition, rng, std::span(kRootKey));
  if (again.Open().ok()) {
    for (const int32_t owner : {1, -1}) {
      for (uint64_t uid = 1; uid <= 5; ++uid) CheckRead(again, truth, owner, uid);
    }
  }
  return 0;
}
