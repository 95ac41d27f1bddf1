#include "boot/boot_dependencies.h"

#include "boot/boot_stages.h"
#include "update/slot_swap.h"

namespace bastion::boot {
namespace {

using image::ImageDependency;
using image::ImageError;
using image::ParsedImage;
using otp::Component;

bool ParseAt(platform::Flash& flash, const otp::FlashRegion& region, ParsedImage* parsed) {
  return ParseImageAt(flash, region, parsed) == ImageError::kOk;
}

// Whether `x`'s images can be judged now. A component owned by this stage or
// an earlier one is: its interrupted updates were finished before any check
// runs. One owned by a later stage (iROT looking at sm or app) is not while
// its update is under way — a swap journal in progress in its status area,
// or its primary WRITING or REJECTED: the slots hold a half-swapped image and
// a stale fallback, and only that later stage can finish them.
bool Settled(platform::Platform& p, const otp::OtpHeader& header, Component x) {
  const auto owner = x == Component::kUrot ? platform::Hdpl::kIrot : platform::Hdpl::kUrot;
  if (static_cast<uint8_t>(owner) <= static_cast<uint8_t>(p.hdpl.Current())) return true;
  const update::SlotSet slots = SlotsOf(header, x);
  const ImageState state = PrimaryState(p.flash, slots);
  if (state == ImageState::kWriting || state == ImageState::kRejected) return false;
  update::SwapStatus st;
  return update::QuerySwap(p.flash, slots.scratch, &st).ok() &&
         st.state != update::SwapState::kInProgress;
}

// Component `x` satisfies ">= minimum" (the rule in the header). While `x`
// is not Settled the answer is `unsettled`: true for a running image (the
// check is deferred to the next boot; every settled state keeps the
// invariant, because installs are checked), false for a candidate (held).
bool Satisfies(platform::Platform& p, const otp::OtpHeader& header, Component x,
               const image::ImageVersion& minimum, bool unsettled) {
  if (!Settled(p, header, x)) return unsettled;
  const update::SlotSet slots = SlotsOf(header, x);
  ParsedImage parsed;
  if (!ParseAt(p.flash, slots.primary, &parsed) ||
      !image::VersionAtLeast(parsed.header.version, minimum)) {
    return false;
  }
  if (PrimaryState(p.flash, slots) == ImageState::kReady) return true;
  return ParseAt(p.flash, BackupRegion(p.flash, slots), &parsed) &&
         image::VersionAtLeast(parsed.header.version, minimum);
}

// The dependencies the image at `region` of component `c` declares.
DependencyVerdict CheckDeclared(platform::Platform& p, const otp::OtpHeader& header, Component c,
                                const otp::FlashRegion& region, bool running) {
  DependencyVerdict verdict;
  const FlashRegionSource source(p.flash, region);
  ParsedImage parsed;
  verdict.error = image::ParseImage(source, &parsed);
  for (uint8_t i = 0; verdict.error == ImageError::kOk && i < parsed.dependency_count; ++i) {
    ImageDependency d;
    verdict.error = image::ReadDependency(source, parsed, i, &d);
    if (verdict.error != ImageError::kOk) break;
    verdict.component = d.image_id;
    if (d.image_id >= otp::kComponentCount || d.image_id == static_cast<uint8_t>(c)) {
      verdict.error = ImageError::kBadDependency;
    } else if (!Satisfies(p, header, static_cast<Component>(d.image_id), d.min_version,
                          /*unsettled=*/running)) {
      verdict.error = ImageError::kDependencyUnmet;
    }
  }
  if (verdict.error == ImageError::kOk) verdict.component = 0;
  return verdict;
}

// True when the image at `region` declares a dependency on `c` that
// `version` does not meet. An image that does not parse declares nothing.
bool WouldBreak(platform::Flash& flash, const otp::FlashRegion& region, Component c,
                const image::ImageVersion& version) {
  const FlashRegionSource source(flash, region);
  ParsedImage parsed;
  if (image::ParseImage(source, &parsed) != ImageError::kOk) return false;
  for (uint8_t i = 0; i < parsed.dependency_count; ++i) {
    ImageDependency d;
    if (image::ReadDependency(source, parsed, i, &d) != ImageError::kOk) return true;
    if (d.image_id == static_cast<uint8_t>(c) && !image::VersionAtLeast(version, d.min_version)) {
      return true;
    }
  }
  return false;
}

}  // namespace

DependencyVerdict CheckCandidateDependencies(platform::Platform& p, const otp::OtpHeader& header,
                                             Component c, const otp::FlashRegion& candidate) {
  DependencyVerdict verdict = CheckDeclared(p, header, c, candidate, /*running=*/false);
  if (verdict.error != ImageError::kOk) return verdict;
  ParsedImage parsed;
  if (!ParseAt(p.flash, candidate, &parsed)) {
    verdict.error = ImageError::kReadFailed;
    return verdict;
  }
  // The other components' images that may run next to the candidate.
  for (size_t i = 0; i < otp::kComponentCount; ++i) {
    const auto y = static_cast<Component>(i);
    if (y == c) continue;
    const update::SlotSet slots = SlotsOf(header, y);
    const bool settled = Settled(p, header, y);  // else: held until its update is finished
    const bool breaks =
        !settled || WouldBreak(p.flash, slots.primary, c, parsed.header.version) ||
        (PrimaryState(p.flash, slots) != ImageState::kReady &&
         WouldBreak(p.flash, BackupRegion(p.flash, slots), c, parsed.header.version));
    if (breaks) {
      verdict.error = ImageError::kDependencyUnmet;
      verdict.component = static_cast<uint8_t>(y);
      verdict.breaks_dependent = settled;
      return verdict;
    }
  }
  return verdict;
}

DependencyVerdict CheckRunningDependencies(platform::Platform& p, const otp::OtpHeader& header,
                                           Component c) {
  return CheckDeclared(p, header, c, SlotsOf(header, c).primary, /*running=*/true);
}

void RevertTrialsWithUnmetDependencies(platform::Platform& p, const otp::OtpHeader& header,
                                       StageComponents owned, UpdateRecord* records) {
  for (const Component c : owned) {
    if (PrimaryState(p.flash, SlotsOf(header, c)) != ImageState::kTrial) continue;
    const DependencyVerdict verdict = CheckRunningDependencies(p, header, c);
    if (verdict.error != ImageError::kDependencyUnmet &&
        verdict.error != ImageError::kBadDependency) {
      continue;
    }
    UpdateRecord* record = &records[static_cast<size_t>(c)];
    (void)RejectTrial(p, header, c, record);
    if (record->event == static_cast<uint8_t>(UpdateEvent::kRejected)) {
      record->event = static_cast<uint8_t>(UpdateEvent::kReverted);
      record->detail = static_cast<uint16_t>(verdict.error);
    }
  }
}

}  // namespace bastion::boot
