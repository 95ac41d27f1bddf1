// uROT's update engine for the `sm` and `app` components
// (docs/update-swap.md "Image states"): installs a download staged in the
// secondary slot with the slot swap, boots it in TRIAL, confirms it (then
// raises the security counter) or reverts it.
//
// State lives in the MCUboot-layout trailers at the slots' last sectors
// (slot_trailer.h) plus the swap journal (swap_journal.h):
//
//   secondary trailer  magic                  STAGED: install at the next boot
//                      + image_ok             ... permanently (no trial)
//                      + swap_info = kFail    FAILED: the download was refused
//   primary trailer    erased                 READY (factory or reverted image)
//                      magic + swap_info (Test/Perm) + swap_size = E,
//                        copy_done unset      install under way, journal sequence E
//                      + copy_done            TRIAL (image_ok unset) / READY (image_ok set)
//                      image_ok = kRevertMark REJECTED: revert under way
//
// Every transition is one flash write or one journaled swap, ordered so a
// power loss at any operation leaves a state the next boot completes or
// restarts (see the functions below and the doc).
#pragma once

#include <cstdint>
#include <span>

#include "boot/boot_report.h"
#include "otp/otp_map.h"
#include "platform/platform.h"
#include "revocation/revocation.h"
#include "update/slot_swap.h"

namespace bastion::boot {

// PSA Firmware Update image states as Bastion reports them.
enum class ImageState : uint8_t {
  kEmpty = 0,      // no image (reported for a secondary slot)
  kReady = 1,      // primary: running image, confirmed (or factory-flashed)
  kTrial = 2,      // primary: installed, not yet confirmed
  kRejected = 3,   // primary: revert under way
  kStaged = 4,     // secondary: marked for install at the next boot
  kFailed = 5,     // secondary: install refused (did not verify)
  kCandidate = 6,  // secondary: holds an image not marked for install
  kWriting = 7,    // primary: install under way (swap not finished)
};
const char* ImageStateName(uint8_t state);  // "READY", "TRIAL", ...

// What this boot did for a component. Stable numbers.
enum class UpdateEvent : uint8_t {
  kNone = 0,
  kInstalled = 1,           // a staged download was swapped in; it boots in TRIAL
  kInstalledPermanent = 2,  // ... staged permanent: it boots READY
  kInstallRefused = 3,      // the download did not verify (detail: image::ImageError)
  kReverted = 4,            // an unconfirmed TRIAL image was reverted
  kRejected = 5,            // a reject request reverted the TRIAL image
  kConfirmed = 6,           // a confirm request confirmed the TRIAL image
  kUpdateFailed = 7,        // a flash/OTP error stopped the update (detail: StatusCode)
  kNoRoom = 8,              // the download or the running image needs the trailer sector
  kHeld = 9,                // a staged download waits: a dependency is unmet (detail: the
                            // component, boot_dependencies.h); it stays STAGED
};
const char* UpdateEventName(uint8_t event);

// What this boot did to a component's security counter. Stable numbers. A
// counter that cannot be raised never stops an install, a confirm or a boot:
// the image keeps running at its own SEC_CNT and the floor stays where it
// was (a later raise tries again).
enum class CounterUpdate : uint8_t {
  kNone = 0,
  kRaised = 1,       // raised to the running, confirmed image's SEC_CNT
  kRaiseFailed = 2,  // could not be raised (detail: StatusCode; kResourceExhausted:
                     // the counter store is worn out)
  kRepaired = 3,     // the counter store held no live sector (corrupted) and was
                     // rebuilt from what it still held; the floor came back from
                     // the running image's SEC_CNT
};
const char* CounterUpdateName(uint8_t update);

// The components whose slots, key domain and counter a boot stage owns:
// iROT the `urot` component (its domain lives in the HDPL0 OTP area), uROT
// `sm` and `app`. Each stage runs the update engine and the
// mailbox requests for its own components only.
using StageComponents = std::span<const otp::Component>;
inline constexpr otp::Component kIrotComponents[] = {otp::Component::kUrot};
inline constexpr otp::Component kUrotComponents[] = {otp::Component::kSm, otp::Component::kApp};

// Image-ok value marking "revert under way" (not MCUboot's; any value other
// than kFlagSet and erased).
constexpr uint8_t kRevertMark = 0x52;

// Where a revert takes `slots`' primary image back from: the start of the
// secondary slot, without its last sector (the trailer's).
otp::FlashRegion BackupRegion(platform::Flash& flash, const update::SlotSet& slots);

// States read from the trailers (no verification).
ImageState PrimaryState(platform::Flash& flash, const update::SlotSet& slots);
ImageState SecondaryState(platform::Flash& flash, const update::SlotSet& slots);

struct UpdateRecord {
  uint8_t event = 0;  // UpdateEvent
  uint16_t detail = 0;
  uint8_t counter = 0;  // CounterUpdate
  uint8_t counter_detail = 0;
};

// Rebuilds the counter store of `owned` when it holds no live sector
// (counters::RebuildStore; corruption, never a power loss), so that a flipped
// bit in an HDPL-owned region does not stop the device: what the store still
// holds is kept, and RunUpdates raises each counter again to its verified,
// READY image's SEC_CNT before anything is installed (a TRIAL image's waits
// for its confirm, as always). Records kRepaired in the components' records.
// A store that cannot be read or rebuilt is left to verification, which
// stops the boot with kCounterStoreUnavailable.
void RepairCounterStores(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                         UpdateRecord* records);

// Finishes an install or a revert of one of `owned` that a power loss
// interrupted (after ResumeSwaps). `records` has one entry per component.
void FinishUpdates(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                   UpdateRecord* records);

// Mailbox requests. Return the RequestOutcome.
//  confirm: TRIAL -> image_ok set (kApplied from here on), THEN the counter
//           raised to the image's SEC_CNT (only if higher; the outcome goes
//           to record->counter). A power loss between the two leaves a
//           confirmed image whose counter RunUpdates raises at the next
//           boot; the other order could leave a raised counter with a
//           reverted (older) image that it then refuses.
//  reject:  TRIAL -> reverted now.
uint8_t ConfirmTrial(platform::Platform& p, const otp::OtpHeader& header, otp::Component c,
                     UpdateRecord* record);
uint8_t RejectTrial(platform::Platform& p, const otp::OtpHeader& header, otp::Component c,
                    UpdateRecord* record);

// After the mailbox, for each of `owned`: reverts a TRIAL image not
// installed during this boot (unconfirmed at this reset), raises the counter
// to a READY image's SEC_CNT (a confirmed image, or a factory-flashed one at
// its first boot: the floor nothing older may pass), then installs a staged
// download that verifies. A counter that cannot be raised is reported in
// record->counter and does not stop the install.
void RunUpdates(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                UpdateRecord* records);

// For a confirmed primary image of `c` (trailer: copy_done and image_ok set)
// that verified with signing slot `key_slot`, run after its verification at
// every boot (idempotent, so an interrupted run is finished next time):
//  - a revocation command in its protected TLV (bastion sign --revocation)
//    whose sequence is above the domain's is checked (revocation::
//    CheckCommand, the image's slot as the bootable one) and applied;
//  - with the domain's revoke_older_on_confirm flag, signing slots below
//    `key_slot` still unrevoked are revoked.
// Each action is appended to the boot report's requests
// (kImageRevocationRequest / kRevokeOlderRequest). `verified` is the
// image's hardened verification decision: nothing happens unless it is
// kTrue. Every OTP write goes through revocation::ApplyRevocation (the
// command's hardened decision) or revocation::RevokeSlotMarker (a hardened
// decision per slot), each checked twice, with the last-key and
// bootable-image rules (the confirmed image's slot) re-checked on the OTP
// words read right before the write.
void ApplyConfirmedPolicies(platform::Platform& p, const otp::OtpHeader& header, otp::Component c,
                            uint8_t key_slot, HardenedBool verified);

// The key slots of every image of `c` this boot or a later one can end up
// running, for revocation::CheckCommand's bootable-image rule: the verified
// primary image's, and, unless the primary is READY (confirmed or factory:
// no revert follows), the verified image in the secondary slot that a
// revert swaps back (the backup). kNoImage for an image that does not
// verify. A staged download is not counted: installing it after its key
// is revoked is refused (install-refused), the running image stays.
revocation::BootableImages BootableImagesOf(platform::Platform& p, const otp::OtpHeader& header,
                                            otp::Component c);

}  // namespace bastion::boot
