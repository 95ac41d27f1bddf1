// libFuzzer: the Internal Trusted Storage engine over arbitrary flash
// contents. Opening never crashes; whatever the region holds, a set that
// succeeds reads back exactly, and a removed object is gone.
//
// Input: byte 0 picks the program unit and whether the region starts as a
// store written by the engine itself (then the rest of the input is XORed
// over it, reaching the MAC and compaction paths) or as the raw input; the
// last bytes drive a few operations.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "its/its_store.h"
#include "ram_flash.h"

namespace {

using namespace bastion;

using fuzz::RamFlash;

constexpr uint8_t kKey[its::kKeySize] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                         12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                         23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
constexpr uint32_t kQuota = 8192;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint32_t units[] = {8, 16, 32, 8};
  const platform::FlashGeometry g{3 * 2048, 2048, units[data[0] & 3], 0xff};
  RamFlash flash(g);
  const size_t ops_bytes = size < 16 ? size / 2 : 8;
  const uint8_t* ops = data + size - ops_bytes;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1 - ops_bytes;
  if ((data[0] & 4) != 0) {
    // A store the engine wrote, with the input XORed over it.
    its::ItsStore writer(flash, 0, g.size, std::span(kKey));
    Check(writer.Open().ok());
    for (uint32_t i = 0; i < 12; ++i) {
      uint8_t value[300];
      std::memset(value, static_cast<int>(i), sizeof(value));
      const psa_status_t st =
          writer.Set(i % 2 == 0 ? 1 : -1, 1 + i % 5, ConstByteSpan(value, 40 + i * 20), 0, kQuota);
      Check(st == PSA_SUCCESS);
    }
    for (size_t i = 0; i < body_size && i < flash.bytes().size(); ++i) {
      flash.bytes()[(i * 131) % flash.bytes().size()] ^= body[i];
    }
  } else {
    std::memcpy(flash.bytes().data(), body, body_size < g.size ? body_size : g.size);
  }
  its::ItsStore store(flash, 0, g.size, std::span(kKey));
  const Status opened = store.Open();
  if (!opened.ok()) return 0;
  uint8_t out[its::kMaxObjectSize];
  for (size_t i = 0; i + 1 < ops_bytes; i += 2) {
    const int32_t owner = (ops[i] & 1) != 0 ? 1 : -1;
    const uint64_t uid = (ops[i] >> 1) & 7;
    size_t n = 0;
    switch (ops[i + 1] & 3) {
      case 0: {
        uint8_t value[200];
        std::memset(value, ops[i + 1], sizeof(value));
        const size_t len = ops[i + 1] % sizeof(value);
        const psa_status_t st = store.Set(owner, uid, ConstByteSpan(value, len), 0, kQuota);
        if (st == PSA_SUCCESS) {
          Check(store.Get(owner, uid, 0, ByteSpan(out, sizeof(out)), &n) == PSA_SUCCESS);
          Check(n == len && (len == 0 || std::memcmp(out, value, len) == 0));
        }
        break;
      }
      case 1:
        (void)store.Get(owner, uid, ops[i + 1] >> 2, ByteSpan(out, sizeof(out)), &n);
        Check(n <= sizeof(out));
        break;
      case 2:
        if (store.Remove(owner, uid) == PSA_SUCCESS) {
          Check(store.Get(owner, uid, 0, ByteSpan(out, sizeof(out)), &n) ==
                PSA_ERROR_DOES_NOT_EXIST);
        }
        break;
      default: {
        psa_storage_info_t info{};
        if (store.GetInfo(owner, uid, &info) == PSA_SUCCESS) {
          Check(info.size <= its::kMaxObjectSize);
        }
        break;
      }
    }
  }
  // Whatever happened, the region opens again.
  its::ItsStore again(flash, 0, g.size, std::span(kKey));
  (void)again.Open();
  return 0;
}
