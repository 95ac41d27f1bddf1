#include "swap_rig.h"

#include <algorithm>

namespace bastion::update::testing {
namespace {

void Fail(CampaignResult* r, const std::string& what) {
  ++r->failures;
  if (r->first_failure.empty()) r->first_failure = what;
}

}  // namespace

CampaignResult RunCampaign(const GeometryCase& c, SwapKind kind, const CampaignOptions& options) {
  CampaignResult r;
  auto d = MakeDevice(c);
  const SlotSet slots = RigSlots(c);
  const Span span = SwapSpan(c);
  WriteInitialState(*d, c);
  uint32_t primary_image = OldSectors(c);
  uint32_t secondary_image = NewSectors(c);
  if (kind == SwapKind::kRevert) {
    if (!StartSwap(*d, slots, SwapKind::kInstall, primary_image, secondary_image).ok()) {
      Fail(&r, "the install before the revert failed");
      return r;
    }
    std::swap(primary_image, secondary_image);
  }
  const std::vector<uint8_t> before = Snapshot(*d, c);
  const uint32_t n = std::max(primary_image, secondary_image);
  const std::vector<uint8_t> expected = ModelSwap(c, before, kind, n);

  // The uninterrupted swap: its operation count is the campaign's N.
  const uint64_t start = d->operations();
  if (!StartSwap(*d, slots, kind, primary_image, secondary_image).ok() ||
      !SlotsEqual(c, Snapshot(*d, c), expected)) {
    Fail(&r, "the uninterrupted swap failed");
    return r;
  }
  r.swap_ops = d->operations() - start;

  d->SetPowerLossMode(options.mode);
  const uint64_t stride = options.stride == 0 ? 1 : options.stride;
  for (uint64_t k = 1; k <= r.swap_ops;
       k = (k == r.swap_ops ? k + 1 : std::min(k + stride, r.swap_ops))) {
    const std::string where = c.name + (kind == SwapKind::kInstall ? " install" : " revert") +
                              " cut at op " + std::to_string(k);
    d->FactoryWriteFlash(span.offset, before);
    d->WarmReset();
    d->SetPowerLossAfter(k);
    const Status cut = StartSwap(*d, slots, kind, primary_image, secondary_image);
    d->SetPowerLossAfter(0);
    ++r.points;
    if (cut.code() != StatusCode::kUnavailable) {
      Fail(&r, where + ": the swap was not cut (" + StatusName(cut) + ")");
      continue;
    }
    // Reboot until stable, cutting the first resumes too.
    std::vector<uint64_t> nested;
    if (options.nested) nested = {1 + k % 3, 1 + (k * 7919) % r.swap_ops};
    size_t next_nested = 0;
    bool stable = false;
    for (int boot = 0; boot < 16 && !stable; ++boot) {
      d->WarmReset();
      d->SetPowerLossAfter(next_nested < nested.size() ? nested[next_nested++] : 0);
      SwapOutcome outcome;
      const Status resumed = ResumeIfInterrupted(*d, slots, &outcome);
      if (resumed.code() == StatusCode::kUnavailable) {
        ++r.nested_points;
        continue;
      }
      d->SetPowerLossAfter(0);
      if (!resumed.ok()) {
        Fail(&r, where + ": resume failed (" + StatusName(resumed) + ")");
        break;
      }
      d->WarmReset();
      const Status again = ResumeIfInterrupted(*d, slots, &outcome);
      if (!again.ok() || outcome.result != ResumeResult::kNothingToDo) {
        Fail(&r, where + ": not stable after a completed resume");
        break;
      }
      stable = true;
    }
    if (!stable) {
      if (r.first_failure.empty()) Fail(&r, where + ": never became stable");
      continue;
    }
    const std::vector<uint8_t> now = Snapshot(*d, c);
    if (SlotsEqual(c, now, expected)) continue;
    if (!SlotsEqual(c, now, before)) {
      Fail(&r, where + ": the slots hold a mix of old and new");
      continue;
    }
    // Cut before the journal header was written: nothing changed, nothing
    // is in progress; the caller starts the swap again.
    SwapStatus status;
    if (!QuerySwap(*d, slots.scratch, &status).ok() || status.state == SwapState::kInProgress) {
      Fail(&r, where + ": untouched slots but a swap in progress");
      continue;
    }
    ++r.rolled_back;
    d->WarmReset();
    if (!StartSwap(*d, slots, kind, primary_image, secondary_image).ok() ||
        !SlotsEqual(c, Snapshot(*d, c), expected)) {
      Fail(&r, where + ": the swap started again did not complete");
    }
  }
  return r;
}

}  // namespace bastion::update::testing
