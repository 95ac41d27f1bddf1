// MCUboot DEPENDENCY TLVs across Bastion's components
// (docs/update-swap.md "Dependencies").
//
// An image's DEPENDENCY TLV {image_id, min_version} says "run me only with
// component `image_id` at `min_version` or later". Bastion's image ids are
// the component numbers (otp::Component): 0 urot, 1 sm, 2 app; imgtool
// writes one with `-d "(1, 1.2.0)"` (this image needs sm >= 1.2.0). Versions
// compare as MCUboot does by default: major, minor, revision; the build
// number is ignored (image::VersionAtLeast).
//
// The rule, for every check below: component X satisfies "X >= v" when the
// image in X's primary slot has version >= v and, unless that primary is
// READY (confirmed), so does the image a revert would bring back (the old
// image at the start of X's secondary slot). A TRIAL version therefore
// counts only when its fallback would satisfy the dependency too: whatever
// the application later confirms or rejects, X stays >= v.
//
// Invariant: no image runs while a dependency it declares is unmet, after any
// sequence of installs, confirms, rejects, reverts and power losses:
//  - a candidate is installed only when its own dependencies hold, and when it
//    keeps every other component's dependencies on its component holding
//    (primary images, and their fallbacks when not READY); otherwise it stays
//    STAGED and the boot reports it held (UpdateEvent::kHeld);
//  - at every boot, before a primary is handed control, its dependencies are
//    checked again: a TRIAL image that fails is reverted, a READY one is
//    refused (ImageError::kDependencyUnmet; the boot stops).
// A component whose update a later stage has still to finish at this boot
// (iROT looking at sm or app mid-swap: journal in progress, primary WRITING
// or REJECTED) is not judged: a candidate depending on it is held, a running
// image's check waits for the next boot. Judging the half-swapped slots
// would refuse a good urot at every boot, so that uROT never ran to finish
// the swap (a brick).
#pragma once

#include <cstdint>

#include "boot/boot_update.h"
#include "image/image.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::boot {

// The outcome of a dependency check.
struct DependencyVerdict {
  // kOk; kDependencyUnmet; kBadDependency (an image id that is not another
  // component: 3 and above, or the image's own component); kReadFailed /
  // kBadTlvLength (the image could not be read again).
  image::ImageError error = image::ImageError::kOk;
  // Unmet: the component whose version is too low, or (breaks_dependent) the
  // component whose image depends on the candidate's component.
  uint8_t component = 0;
  bool breaks_dependent = false;
};

// UpdateRecord::detail of a kHeld event: the component, plus
// kHeldBreaksDependent when the candidate would break that component's own
// dependency (rather than needing a newer one).
constexpr uint16_t kHeldBreaksDependent = 0x100;

// May the candidate image at the start of `candidate` (already verified)
// replace `c`'s primary? Checks its dependencies and the other components'
// dependencies on `c` as described above.
DependencyVerdict CheckCandidateDependencies(platform::Platform& p, const otp::OtpHeader& header,
                                             otp::Component c, const otp::FlashRegion& candidate);

// May `c`'s primary image (already verified) run with the other components'
// images as they are now? kOk when it declares no dependency.
DependencyVerdict CheckRunningDependencies(platform::Platform& p, const otp::OtpHeader& header,
                                           otp::Component c);

// After RunUpdates, for each of `owned` in TRIAL whose dependencies do not
// hold: reverts it (RejectTrial) and records kReverted with detail
// ImageError::kDependencyUnmet in `records[c]`. READY images are left to the
// boot's verification, which refuses them.
void RevertTrialsWithUnmetDependencies(platform::Platform& p, const otp::OtpHeader& header,
                                       StageComponents owned, UpdateRecord* records);

}  // namespace bastion::boot
