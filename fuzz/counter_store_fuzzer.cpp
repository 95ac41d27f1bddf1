// libFuzzer: the security counter store on arbitrary flash contents. Reading
// never fails other than by saying so; a raise never lowers any counter and,
// when it succeeds, leaves exactly the raised value; no other counter moves.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "counters/counter_store.h"
#include "ram_flash.h"

namespace {

using namespace bastion;

using fuzz::RamFlash;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t units[] = {8, 16, 32, 8};
  const platform::FlashGeometry g{1024, 512, units[data[0] & 3], 0xff};
  const otp::FlashRegion area{0, 1024};
  RamFlash flash(g);
  const bool formatted = (data[0] & 4) != 0;
  if (formatted) {
    // A well-formed live sector 0 with the input over its records and
    // sector 1: reaches the record and compaction paths.
    const otp::Component components[] = {otp::Component::kSm, otp::Component::kApp};
    const uint32_t floors[] = {data[1], 7};
    if (!counters::FormatSector(g, 0, components, floors, 2, ByteSpan(flash.bytes().data(), 512))
             .ok()) {
      __builtin_trap();
    }
    const size_t from = 16 + 3 * g.program_unit;
    for (size_t i = 2; i < size && from + i - 2 < flash.bytes().size(); ++i) {
      flash.bytes()[from + i - 2] = data[i];
    }
  } else {
    std::memcpy(flash.bytes().data(), data + 1, size - 1 < 1024 ? size - 1 : 1024);
  }
  counters::StoreState before;
  const Status read = counters::ReadStore(flash, area, &before);
  if (read.code() == StatusCode::kDataLoss) {
    // No live sector: a rebuild gives one, with at least the floors.
    const uint32_t floors[otp::kComponentCount] = {data[1], 3, 0};
    const bool mine[otp::kComponentCount] = {true, true, false};
    const Status rebuilt = counters::RebuildStore(flash, area, floors, mine, &before);
    if (rebuilt.code() == StatusCode::kResourceExhausted) return 0;
    if (!rebuilt.ok() || before.values[0] < data[1] || before.values[1] < 3) __builtin_trap();
    counters::StoreState again;
    if (!counters::ReadStore(flash, area, &again).ok()) __builtin_trap();
  } else if (!read.ok()) {
    return 0;
  }
  // Raise each component to a value derived from the input, in turn.
  for (size_t c = 0; c < otp::kComponentCount; ++c) {
    const uint32_t target = before.values[c] + 1 + data[1];
    counters::StoreState pre;
    if (!counters::ReadStore(flash, area, &pre).ok()) __builtin_trap();
    const Status s = counters::RaiseCounter(flash, area, static_cast<otp::Component>(c), target);
    counters::StoreState post;
    if (!counters::ReadStore(flash, area, &post).ok()) __builtin_trap();
    for (size_t o = 0; o < otp::kComponentCount; ++o) {
      if (post.values[o] < pre.values[o]) __builtin_trap();  // never lower
      if (o != c && post.values[o] != pre.values[o]) __builtin_trap();
    }
    if (s.ok() && post.values[c] != (target > pre.values[c] ? target : pre.values[c])) {
      __builtin_trap();
    }
    if (!s.ok() && s.code() != StatusCode::kResourceExhausted) __builtin_trap();
  }
  return 0;
}
