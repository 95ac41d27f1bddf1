// Power-fail campaign for the slot swap (issue 3 item 7, swap and revert):
// for each geometry and each power-loss mode (clean, torn), cut an install and
// a revert at flash operation 1..N, reboot (with further cuts during the first
// resumes) until stable, and check the slots hold exactly the new (or, when
// the swap had not started, the old) arrangement. Also prints the flash work
// of one upgrade per geometry (erases, programs, bytes).
//
//   swap_campaign           bounded (the ctest run): every operation on the
//                           4 KiB and 8 KiB geometries, every 7th on 128 KiB
//   swap_campaign --full    every operation on every geometry
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "swap_rig.h"

using namespace bastion;
using namespace bastion::update;
using namespace bastion::update::testing;

namespace {

// Counts one uninterrupted install and revert; prints them with the minimum.
bool PrintFigures(const GeometryCase& c) {
  auto d = MakeDevice(c);
  WriteInitialState(*d, c);
  const SlotSet slots = RigSlots(c);
  const uint32_t s = c.geometry.sector_size;
  const uint32_t n = std::max(OldSectors(c), NewSectors(c));
  for (const SwapKind kind : {SwapKind::kInstall, SwapKind::kRevert}) {
    CountingFlash flash(*d);
    const bool install = kind == SwapKind::kInstall;
    const Status st = install ? StartSwap(flash, slots, kind, OldSectors(c), NewSectors(c))
                              : StartSwap(flash, slots, kind, NewSectors(c), OldSectors(c));
    if (!st.ok()) {
      std::printf("  %s %s failed: %s\n", c.name.c_str(), install ? "install" : "revert",
                  StatusName(st));
      return false;
    }
    // Minimum: every one of the 2N sectors erased once; every non-erased
    // byte of both images programmed once (rounded up to program units).
    const uint64_t image_bytes = uint64_t{c.old_image_bytes} + c.new_image_bytes;
    const uint64_t journal_bytes =
        JournalHeaderSpan(c.geometry.program_unit) + 2ull * n * c.geometry.program_unit;
    std::printf(
        "  %-20s %-7s N=%2u sectors of %6u B: erases %3llu (min %3u = 2N; + 1 journal), "
        "programs %5llu, bytes programmed %8llu (images %llu + journal %llu + chunk rounding "
        "%llu)\n",
        c.name.c_str(), install ? "install" : "revert", n, s,
        static_cast<unsigned long long>(flash.erases), 2 * n,
        static_cast<unsigned long long>(flash.programs),
        static_cast<unsigned long long>(flash.program_bytes),
        static_cast<unsigned long long>(image_bytes),
        static_cast<unsigned long long>(journal_bytes),
        static_cast<unsigned long long>(flash.program_bytes - image_bytes - journal_bytes));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool full = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--full") == 0) {
      full = true;
    } else {
      std::fprintf(stderr, "usage: swap_campaign [--full]\n");
      return 2;
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("Flash work per upgrade (one install, one revert):\n");
  bool ok = true;
  for (const GeometryCase& c : Geometries()) ok = PrintFigures(c) && ok;

  std::printf("Power-fail campaign (%s):\n", full ? "full" : "bounded");
  uint64_t points = 0;
  uint64_t nested = 0;
  uint64_t failures = 0;
  for (const GeometryCase& c : Geometries()) {
    // Bounded: every operation on 4 KiB and 8 KiB sectors, every 7th on 128 KiB.
    const uint32_t stride = full || c.geometry.sector_size <= 8192 ? 1 : 7;
    for (const auto mode :
         {host::VirtualDevice::PowerLossMode::kClean, host::VirtualDevice::PowerLossMode::kTorn}) {
      for (const SwapKind kind : {SwapKind::kInstall, SwapKind::kRevert}) {
        const auto t = std::chrono::steady_clock::now();
        CampaignOptions options;
        options.stride = stride;
        options.mode = mode;
        const CampaignResult r = RunCampaign(c, kind, options);
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
        std::printf(
            "  %-20s %-5s %-7s swap ops %5llu, points %5llu, nested %5llu, not started %llu, "
            "failures %llu, %.0f ms\n",
            c.name.c_str(), mode == host::VirtualDevice::PowerLossMode::kClean ? "clean" : "torn",
            kind == SwapKind::kInstall ? "install" : "revert",
            static_cast<unsigned long long>(r.swap_ops), static_cast<unsigned long long>(r.points),
            static_cast<unsigned long long>(r.nested_points),
            static_cast<unsigned long long>(r.rolled_back),
            static_cast<unsigned long long>(r.failures), ms);
        if (r.failures != 0) std::printf("    first failure: %s\n", r.first_failure.c_str());
        points += r.points;
        nested += r.nested_points;
        failures += r.failures;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "Checked %llu interruption points (+%llu nested during resume), %llu failures, %.1f s\n",
      static_cast<unsigned long long>(points), static_cast<unsigned long long>(nested),
      static_cast<unsigned long long>(failures), seconds);
  return ok && failures == 0 ? 0 : 1;
}
