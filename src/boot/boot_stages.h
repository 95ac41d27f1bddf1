// The boot chain: iROT -> uROT -> Secure Manager stand-in.
//
// Each stage verifies the next with its own key domain, records the
// measurement in the boot report, derives and hands down the secrets the
// next stage needs, wipes its own, and raises the HDPL. A stage function
// returns only after a successful hand-over; every failure flows into
// FailBoot(), the one exit, which never returns.
#pragma once

#include <cstdint>
#include <span>

#include "boot/boot_report.h"
#include "boot/handoff.h"
#include "image/image.h"
#include "otp/otp_map.h"
#include "platform/platform.h"
#include "update/slot_swap.h"

namespace bastion::boot {

// The one failure exit: records the reason in the boot report (outcome
// kFailed), wipes every handoff still reachable, raises the HDPL to its top
// so no key stays readable, and halts the device.
[[noreturn]] void FailBoot(platform::Platform& p, BootReason reason, otp::Component component,
                           image::ImageError detail);

// Records key domain `c` in the boot report (domains[c]) as keys::LoadDomain
// reads it now: slot states, revocation sequence, record log use; state
// DomainReport::kUnreadable when it cannot be read. Each stage calls it for
// the domains it owns once it applied their revocations, and FailBoot for a
// kDomainUnavailable stop. Bookkeeping that never stops the boot: a report
// that does not read back is left as it is.
void RecordDomain(platform::Platform& p, otp::Component c);

// Reads and checks the OTP header (magic, version, completion marker,
// layout against the flash geometry). Returns kOk, kFailedPrecondition (not
// provisioned), kDataLoss (layout invalid), or the OTP error.
Status ReadOtpHeader(platform::Platform& p, otp::OtpHeader* header);

// An image source over one flash region.
class FlashRegionSource final : public image::ImageSource {
 public:
  FlashRegionSource(platform::Flash& flash, otp::FlashRegion region)
      : flash_(flash), region_(region) {}
  uint32_t size() const override { return region_.size; }
  Status Read(uint32_t offset, ByteSpan out) const override;

 private:
  platform::Flash& flash_;
  otp::FlashRegion region_;
};

// Parses (does not verify) the image at the start of `region`.
image::ImageError ParseImageAt(platform::Flash& flash, const otp::FlashRegion& region,
                               image::ParsedImage* parsed);

// Parses and verifies the image in `component`'s primary slot against its
// key domain and security counter; refuses header flags the boot chain does
// not implement (image::CheckBootFlags). Fills `entry` for the boot report either
// way. `*decision` is kTrue only when the image may be handed control; then
// `*header_size` / `*image_size` (optional) give where its payload is.
// Returns the image's refusal reason, or kOk. A key domain that cannot be
// read (OTP error, unconfigured, corrupt log) is not an image problem: it
// stops the boot through FailBoot (kDomainUnavailable) without returning.
image::ImageError VerifyComponent(platform::Platform& p, const otp::OtpHeader& header,
                                  otp::Component component, BootReportImage* entry,
                                  HardenedBool* decision, uint32_t* header_size = nullptr,
                                  uint32_t* image_size = nullptr);

// The primary, secondary and status area of `component` (for the swap).
update::SlotSet SlotsOf(const otp::OtpHeader& header, otp::Component component);

// Finishes a swap of any component's slots that a power loss interrupted
// (update::ResumeIfInterrupted), before any primary is read. iROT runs it
// for every component (the swap status area is shared, and its own install
// must not start over another component's unfinished journal); uROT again
// for `sm` and `app` (a no-op unless iROT could not finish).
void ResumeSwaps(platform::Platform& p, const otp::OtpHeader& header,
                 std::span<const otp::Component> components);

// As VerifyComponent, for the image at the start of `region` (uROT checks
// a secondary slot's download with it before installing it).
image::ImageError VerifyComponentAt(platform::Platform& p, const otp::OtpHeader& header,
                                    otp::Component component, const otp::FlashRegion& region,
                                    BootReportImage* entry, HardenedBool* decision,
                                    uint32_t* header_size = nullptr,
                                    uint32_t* image_size = nullptr);

// What iROT verified: the port jumps into exactly this image and checks its
// entry point against these bounds first (see targets/).
struct VerifiedEntry {
  otp::FlashRegion slot{};   // the uROT primary slot
  uint32_t header_size = 0;  // payload starts at slot.offset + header_size
  uint32_t image_size = 0;   // payload length
  HardenedBool verified = HardenedBool::kFalse;
};

// iROT (HDPL0): starts the boot report; finishes interrupted swaps; runs
// the update engine and the mailbox requests for the `urot` component and
// domain (install / revert / confirm / reject, revocations of the `urot`
// domain, which only HDPL0 may write), passing the other requests on to
// uROT; verifies uROT against the `urot` domain, applies the confirmed
// image's revocation policies, derives the HDPL1 seed from the HUK, hands
// it to uROT and raises the level to HDPL1. Returns only on success.
VerifiedEntry RunIrot(platform::Platform& p);

// uROT (HDPL1): runs the update engine and the remaining mailbox requests
// for `sm` and `app`, verifies the Secure Manager and the application
// against the `sm` and `app` domains, completes the boot report, derives the Secure
// Manager's secrets, wipes its own, and raises the level to HDPL2.
void RunUrot(platform::Platform& p);

// Secure Manager stand-in (HDPL2): takes its secrets from the handoff into
// `secrets` (its own memory) and wipes the region, marks the boot report
// booted and publishes it (copied to `published`) before the application
// starts.
void RunRuntime(platform::Platform& p, SmHandoff* secrets, BootReport* published);

// Runs iROT, uROT and the runtime in turn (the host's whole boot).
void RunBootChain(platform::Platform& p, SmHandoff* secrets, BootReport* published);

// While a stage runs, a hardened check that traps goes to FailBoot
// (kFaultDetected). Harnesses call this after a boot that halted.
void RemoveFaultHandler();

}  // namespace bastion::boot
