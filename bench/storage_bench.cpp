// Storage figures: Internal Trusted Storage and Protected Storage.
//
// For objects of 16, 64, 512 and 4,096 bytes, in a store 10 % and 90 % full,
// prints per set: the time of a set and a get (host, microseconds, mean of
// many), and what a set costs the flash: bytes programmed and sectors erased
// (means over enough sets to include the compactions they cause). Protected
// Storage's cost is split into the external flash (the object) and the
// internal flash (its root in ITS).
//
// The same figures are computed for TF-M's flash file system scheme on the
// same geometry (the model is printed with them and explained in
// docs/figures.md): each set copies the whole data block holding the file
// and writes the whole metadata table to the scratch blocks, then erases the
// old metadata block and the old data block.
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "its/its_store.h"
#include "ps/ps_store.h"
#include "ram_flash.h"

namespace {

using namespace bastion;

// A NOR flash in RAM (the fuzzers' RamFlash) that counts what is done to it.
class CountingFlash final : public platform::Flash {
 public:
  explicit CountingFlash(const platform::FlashGeometry& g) : flash_(g) {}
  platform::FlashGeometry geometry() const override { return flash_.geometry(); }
  Status Read(uint32_t address, ByteSpan out) override { return flash_.Read(address, out); }
  Status Program(uint32_t address, ConstByteSpan data) override {
    const Status status = flash_.Program(address, data);
    if (status.ok()) programmed += data.size();
    return status;
  }
  Status EraseSector(uint32_t address) override {
    const Status status = flash_.EraseSector(address);
    if (status.ok()) ++erased;
    return status;
  }
  uint64_t programmed = 0;
  uint64_t erased = 0;

 private:
  fuzz::RamFlash flash_;
};

class FixedRng final : public platform::Rng {
 public:
  Status Fill(ByteSpan out) override {
    for (auto& b : out) b = static_cast<uint8_t>(state_ = state_ * 1103515245u + 12345u);
    return StatusCode::kOk;
  }

 private:
  uint32_t state_ = 1;
};

constexpr uint8_t kKey[32] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                              7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
constexpr int32_t kOwner = -1;
constexpr uint32_t kQuota = 1u << 30;
constexpr uint32_t kSizes[] = {16, 64, 512, 4096};
constexpr uint32_t kFills[] = {10, 90};

// Geometry of the measurement: the virtual device's internal flash sectors
// (8 KiB, 16-byte unit) for ITS, a 64 KiB region; the virtual device's
// external flash geometry (4 KiB sectors, 1-byte unit) for PS, a 64 KiB
// region. ITS is configured for objects of up to 4 KiB here (the engine's
// limit is a configuration; the Secure Manager's ITS takes 1 KiB); PS takes
// at most 1 KiB.
constexpr platform::FlashGeometry kInternal{64u * 1024, 8u * 1024, 16, 0xff};
constexpr platform::FlashGeometry kExternal{32u * 1024, 4u * 1024, 1, 0xff};
constexpr uint32_t kItsLimit = 4096;
// The other objects that fill the store: sizes that pack the sectors well.
constexpr uint32_t kItsFiller = 1024;
constexpr uint32_t kPsFiller = 512;

struct Figures {
  double set_us = 0, get_us = 0;
  double programmed = 0, erased = 0;            // per set, the store's own flash
  double root_programmed = 0, root_erased = 0;  // PS only: the internal flash (root in ITS)
  bool ok = true;
  const char* why = nullptr;  // when not ok
};

double Micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// Filler objects (each `filler` data bytes) that make the store `fill` %
// full: of the usable sectors (all but the spare), counting each record's
// header and MAC (64 bytes) and `overhead` more per object.
uint32_t FillerCount(const platform::FlashGeometry& g, uint32_t region, uint32_t filler,
                     uint32_t overhead, uint32_t fill) {
  const uint32_t usable = region - g.sector_size;
  return usable * fill / 100 / (filler + overhead + 64);
}

template <typename Setup, typename SetFn, typename GetFn>
Figures Measure(CountingFlash& flash, CountingFlash* root_flash, uint32_t size, uint32_t filler,
                uint32_t fillers, Setup setup, SetFn set, GetFn get) {
  Figures f;
  std::vector<uint8_t> data(size), out(size), fill_data(filler, 0x5a);
  if (!setup()) {
    f.ok = false;
    return f;
  }
  for (uint32_t i = 0; i < fillers; ++i) {
    fill_data[0] = static_cast<uint8_t>(i);
    if (set(1000 + i, fill_data) != PSA_SUCCESS) {
      f.why = "the fillers do not fit";
      f.ok = false;
      return f;
    }
  }
  // Enough sets of one uid to wrap the log several times.
  const uint32_t sets = 400;
  const uint64_t p0 = flash.programmed, e0 = flash.erased;
  const uint64_t rp0 = root_flash ? root_flash->programmed : 0;
  const uint64_t re0 = root_flash ? root_flash->erased : 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < sets; ++i) {
    data[1] = static_cast<uint8_t>(i);
    if (set(1, data) != PSA_SUCCESS) {
      f.why = "a set failed (no room)";
      f.ok = false;
      return f;
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  f.set_us = Micros(t1 - t0) / sets;
  f.programmed = static_cast<double>(flash.programmed - p0) / sets;
  f.erased = static_cast<double>(flash.erased - e0) / sets;
  if (root_flash != nullptr) {
    f.root_programmed = static_cast<double>(root_flash->programmed - rp0) / sets;
    f.root_erased = static_cast<double>(root_flash->erased - re0) / sets;
  }
  const uint32_t gets = 2000;
  const auto t2 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < gets; ++i) {
    size_t length = 0;
    if (get(1, out, &length) != PSA_SUCCESS || length != size) {
      f.ok = false;
      return f;
    }
  }
  f.get_us = Micros(std::chrono::steady_clock::now() - t2) / gets;
  return f;
}

Figures MeasureIts(uint32_t size, uint32_t fill) {
  CountingFlash flash(kInternal);
  its::StoreBuffer<kItsLimit> store(flash, 0, kInternal.size, std::span(kKey));
  return Measure(
      flash, nullptr, size, kItsFiller, FillerCount(kInternal, kInternal.size, kItsFiller, 0, fill),
      [&] { return store.Open().ok(); },
      [&](uint64_t uid, const std::vector<uint8_t>& d) {
        return store.Set(kOwner, uid, d, 0, kQuota);
      },
      [&](uint64_t uid, std::vector<uint8_t>& o, size_t* n) {
        return store.Get(kOwner, uid, 0, o, n);
      });
}

Figures MeasurePs(uint32_t size, uint32_t fill) {
  CountingFlash internal(kInternal);
  CountingFlash external(kExternal);
  FixedRng rng;
  its::StoreBuffer<1024> its(internal, 0, kInternal.size, std::span(kKey));
  ps::Store store(external, 0, kExternal.size, its, 2, rng, std::span(kKey));
  if (size > ps::kMaxObjectSize) {
    Figures f;
    f.why = "above the PS object limit (1 KiB)";
    f.ok = false;
    return f;
  }
  return Measure(
      external, &internal, size, kPsFiller,
      FillerCount(kExternal, kExternal.size, kPsFiller, ps::kObjectOverhead, fill),
      [&] { return its.Open().ok() && store.Open().ok(); },
      [&](uint64_t uid, const std::vector<uint8_t>& d) {
        return store.Set(kOwner, uid, d, 0, kQuota);
      },
      [&](uint64_t uid, std::vector<uint8_t>& o, size_t* n) {
        return store.Get(kOwner, uid, 0, o, n);
      });
}

// TF-M's flash file system, modelled on the same geometry: a set rewrites the
// data block that holds the file (its other files and the new data) and the
// whole metadata table, and erases the two blocks it replaced.
//   metadata table = 16-byte header + 12 bytes per block + 32 bytes per file
struct TfmModel {
  double programmed, erased;
};
TfmModel Tfm(const platform::FlashGeometry& g, uint32_t region, uint32_t size, uint32_t fill,
             uint32_t max_files, uint32_t writes_per_set) {
  const uint32_t blocks = region / g.sector_size;
  const double table = 16.0 + 12.0 * blocks + 32.0 * max_files;
  const double block_data = static_cast<double>(g.sector_size) * fill / 100.0;
  const double per_write = table + std::max<double>(block_data, size);
  return {per_write * writes_per_set, 2.0 * writes_per_set};
}

void Print(const char* store, uint32_t size, uint32_t fill, const Figures& f, const TfmModel& t,
           bool root) {
  if (!f.ok) {
    std::printf("| %s | %5u | %3u %% | %s | | | | | |\n", store, size, fill,
                f.why != nullptr ? f.why : "failed");
    return;
  }
  char ours[96];
  if (root) {
    std::snprintf(ours, sizeof(ours), "%.0f ext + %.0f int", f.programmed, f.root_programmed);
  } else {
    std::snprintf(ours, sizeof(ours), "%.0f", f.programmed);
  }
  std::printf("| %s | %5u | %3u %% | %8.1f | %7.1f | %s | %.3f | %.0f | %.1f |\n", store, size,
              fill, f.set_us, f.get_us, ours, f.erased + f.root_erased, t.programmed, t.erased);
}

}  // namespace

int main() {
  std::printf("Storage figures (host, %s build)\n\n",
#ifdef NDEBUG
              "release"
#else
              "debug"
#endif
  );
  std::printf("ITS: internal flash, %u KiB region, %u KiB sectors, %u-byte program unit\n",
              kInternal.size / 1024, kInternal.sector_size / 1024, kInternal.program_unit);
  std::printf(
      "PS: external flash, %u KiB region, %u KiB sectors, %u-byte program unit; its root "
      "in ITS on the internal flash\n\n",
      kExternal.size / 1024, kExternal.sector_size / 1024, kExternal.program_unit);
  std::printf(
      "| store | object B | full | set µs | get µs | bytes programmed per set | sectors "
      "erased per set | TF-M model: bytes programmed | TF-M model: sectors erased |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (uint32_t size : kSizes) {
    for (uint32_t fill : kFills) {
      Print("ITS", size, fill, MeasureIts(size, fill),
            Tfm(kInternal, kInternal.size, size, fill, its::kMaxObjects, 1), false);
    }
  }
  for (uint32_t size : kSizes) {
    for (uint32_t fill : kFills) {
      // TF-M's PS writes the object file and its object table per set.
      Print("PS", size, fill, MeasurePs(size, fill),
            Tfm(kExternal, kExternal.size, size, fill, its::kMaxObjects, 2), true);
    }
  }
  return 0;
}
