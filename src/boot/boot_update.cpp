#include "boot/boot_update.h"

#include <cstring>

#include "boot/boot_dependencies.h"
#include "boot/boot_requests.h"
#include "boot/boot_stages.h"
#include "common/bytes.h"
#include "cose/cose.h"
#include "counters/counter_store.h"
#include "image/image.h"
#include "keys/key_domain.h"
#include "platform/flash_ops.h"
#include "revocation/revocation.h"
#include "revocation/revocation_command.h"
#include "update/slot_trailer.h"

namespace bastion::boot {

const char* ImageStateName(uint8_t state) {
  switch (static_cast<ImageState>(state)) {
    case ImageState::kEmpty:
      return "EMPTY";
    case ImageState::kReady:
      return "READY";
    case ImageState::kTrial:
      return "TRIAL";
    case ImageState::kRejected:
      return "REJECTED";
    case ImageState::kStaged:
      return "STAGED";
    case ImageState::kFailed:
      return "FAILED";
    case ImageState::kCandidate:
      return "CANDIDATE";
    case ImageState::kWriting:
      return "WRITING";
  }
  return "UNKNOWN";
}

const char* UpdateEventName(uint8_t event) {
  switch (static_cast<UpdateEvent>(event)) {
    case UpdateEvent::kNone:
      return "none";
    case UpdateEvent::kInstalled:
      return "installed";
    case UpdateEvent::kInstalledPermanent:
      return "installed-permanent";
    case UpdateEvent::kInstallRefused:
      return "install-refused";
    case UpdateEvent::kReverted:
      return "reverted";
    case UpdateEvent::kRejected:
      return "rejected";
    case UpdateEvent::kConfirmed:
      return "confirmed";
    case UpdateEvent::kUpdateFailed:
      return "update-failed";
    case UpdateEvent::kNoRoom:
      return "no-room";
    case UpdateEvent::kHeld:
      return "held";
  }
  return "unknown";
}

const char* CounterUpdateName(uint8_t update) {
  switch (static_cast<CounterUpdate>(update)) {
    case CounterUpdate::kNone:
      return "none";
    case CounterUpdate::kRaised:
      return "raised";
    case CounterUpdate::kRaiseFailed:
      return "raise-failed";
    case CounterUpdate::kRepaired:
      return "store-rebuilt";
  }
  return "unknown";
}

namespace {

using otp::Component;
using update::SlotSet;
using update::Trailer;
using update::TrailerField;

constexpr uint32_t kImageMagic = 0x96f3b83d;

Trailer ReadTrailerOrBlank(platform::Flash& flash, const otp::FlashRegion& slot) {
  Trailer t;
  if (!update::ReadTrailer(flash, slot, &t).ok()) return Trailer{};
  return t;
}

ImageState ClassifyPrimary(const Trailer& t) {
  if (!t.magic_good) return ImageState::kReady;
  if (t.image_ok == kRevertMark) return ImageState::kRejected;
  if (t.copy_done != update::kFlagSet) {
    const uint8_t type = t.swap_info & 0x0f;
    if (type == static_cast<uint8_t>(update::SwapType::kTest) ||
        type == static_cast<uint8_t>(update::SwapType::kPerm)) {
      return ImageState::kWriting;
    }
    return ImageState::kReady;
  }
  return t.image_ok == update::kFlagSet ? ImageState::kReady : ImageState::kTrial;
}

uint32_t SectorSize(platform::Flash& flash) { return flash.geometry().sector_size; }

Status EraseTrailer(platform::Flash& flash, const otp::FlashRegion& slot) {
  return flash.EraseSector(slot.offset + slot.size - SectorSize(flash));
}

uint32_t ReadSwapSize(platform::Flash& flash, const otp::FlashRegion& slot) {
  const update::TrailerLayout l = update::TrailerLayoutFor(slot, flash.geometry().program_unit);
  uint8_t b[4];
  if (!flash.Read(l.swap_size, ByteSpan(b, 4)).ok()) return 0;
  return LoadLe32(b);
}

Status WriteSwapSize(platform::Flash& flash, const otp::FlashRegion& slot, uint32_t value) {
  const update::TrailerLayout l = update::TrailerLayoutFor(slot, flash.geometry().program_unit);
  uint8_t le[4];
  StoreLe32(le, value);
  return platform::ProgramPadded(flash, l.swap_size, le, l.align);
}

// Sectors of the image at the start of `region`, or 0 when none parses.
uint32_t ImageSectors(platform::Flash& flash, const otp::FlashRegion& region) {
  image::ParsedImage parsed;
  if (ParseImageAt(flash, region, &parsed) != image::ImageError::kOk) return 0;
  return update::SectorsFor(parsed.total_size, SectorSize(flash));
}

otp::FlashRegion DownloadRegion(platform::Flash& flash, const SlotSet& slots) {
  const uint32_t at =
      update::SecondaryImageAddress(flash.geometry(), slots, update::SwapKind::kInstall);
  return {at, slots.secondary.offset + slots.secondary.size - at};
}

void Fail(UpdateRecord* record, Status status) {
  record->event = static_cast<uint8_t>(UpdateEvent::kUpdateFailed);
  record->detail = static_cast<uint16_t>(status.code());
}

bool JournalIs(platform::Flash& flash, const SlotSet& slots, update::SwapKind kind,
               uint32_t min_sequence, uint32_t max_sequence) {
  update::SwapStatus st;
  if (!update::QuerySwap(flash, slots.scratch, &st).ok()) return false;
  return st.state == update::SwapState::kComplete && st.kind == kind &&
         st.primary_offset == slots.primary.offset &&
         st.secondary_offset == slots.secondary.offset && st.sequence >= min_sequence &&
         st.sequence <= max_sequence;
}

// Steps c and d of an install: the swap is complete.
void FinishInstall(platform::Flash& flash, const SlotSet& slots, UpdateRecord* record) {
  const Trailer t = ReadTrailerOrBlank(flash, slots.primary);
  Status s =
      update::WriteTrailerField(flash, slots.primary, TrailerField::kCopyDone, update::kFlagSet);
  if (s.ok()) s = EraseTrailer(flash, slots.secondary);
  if (!s.ok()) return Fail(record, s);
  record->event = static_cast<uint8_t>(
      t.image_ok == update::kFlagSet ? UpdateEvent::kInstalledPermanent : UpdateEvent::kInstalled);
}

// Revert: mark (image_ok = kRevertMark), swap back, erase the primary
// trailer (READY). Each step is redone or skipped at the next boot.
void Revert(platform::Flash& flash, const SlotSet& slots, UpdateEvent event, UpdateRecord* record) {
  if (ClassifyPrimary(ReadTrailerOrBlank(flash, slots.primary)) != ImageState::kRejected) {
    const Status s =
        update::WriteTrailerField(flash, slots.primary, TrailerField::kImageOk, kRevertMark);
    if (!s.ok()) return Fail(record, s);
  }
  const uint32_t install_sequence = ReadSwapSize(flash, slots.primary);
  if (!JournalIs(flash, slots, update::SwapKind::kRevert, install_sequence + 1, UINT32_MAX)) {
    const uint32_t max = update::MaxSwapSectors(flash.geometry(), slots, 1);
    uint32_t np = ImageSectors(flash, slots.primary);
    uint32_t ns = ImageSectors(flash, BackupRegion(flash, slots));
    if (np == 0 || ns == 0) np = ns = max;  // unknown extent: swap all of it
    const Status s = update::StartSwap(flash, slots, update::SwapKind::kRevert, np, ns);
    if (!s.ok()) return Fail(record, s);
  }
  const Status s = EraseTrailer(flash, slots.primary);
  if (!s.ok()) return Fail(record, s);
  record->event = static_cast<uint8_t>(event);
}

// Raises the counter to the SEC_CNT of a READY primary image (confirmed, or
// factory-flashed: its first boot sets the floor) when it is higher and the
// image verifies. The outcome goes to record->counter, never to the update
// event: a counter that cannot be raised stops nothing.
void RaiseReadyCounter(platform::Platform& p, const otp::OtpHeader& header, Component c,
                       UpdateRecord* record) {
  const SlotSet slots = SlotsOf(header, c);
  if (ClassifyPrimary(ReadTrailerOrBlank(p.flash, slots.primary)) != ImageState::kReady) return;
  image::ParsedImage parsed;
  if (ParseImageAt(p.flash, slots.primary, &parsed) != image::ImageError::kOk) return;
  const otp::FlashRegion& store = otp::CounterStoreArea(header.layout, c);
  uint32_t floor = 0;
  Status s = counters::ReadCounter(p.flash, store, c, &floor);
  if (s.ok() && parsed.security_counter <= floor) return;
  if (s.ok()) {
    BootReportImage entry{};
    HardenedBool decision = HardenedBool::kFalse;
    if (VerifyComponent(p, header, c, &entry, &decision) != image::ImageError::kOk ||
        !HardenedIsTrue(decision)) {
      return;  // not ours to raise: verification refuses it later
    }
    s = counters::RaiseCounter(p.flash, store, c, entry.security_counter);
  }
  if (s.ok() && record->counter == static_cast<uint8_t>(CounterUpdate::kRepaired)) return;
  record->counter =
      static_cast<uint8_t>(s.ok() ? CounterUpdate::kRaised : CounterUpdate::kRaiseFailed);
  record->counter_detail = static_cast<uint8_t>(s.code());
}

void Install(platform::Platform& p, const otp::OtpHeader& header, Component c,
             UpdateRecord* record) {
  platform::Flash& flash = p.flash;
  const SlotSet slots = SlotsOf(header, c);
  const Trailer staged = ReadTrailerOrBlank(flash, slots.secondary);
  const bool permanent = staged.image_ok == update::kFlagSet;
  const otp::FlashRegion download = DownloadRegion(flash, slots);
  // A swap of these slots still in progress (its resume failed on a flash
  // error this boot): the primary's WRITING trailer is what lets a later
  // boot finish it as an install, so nothing here may touch it.
  update::SwapStatus st;
  Status s = update::QuerySwap(flash, slots.scratch, &st);
  if (s.ok() && st.state == update::SwapState::kInProgress) s = StatusCode::kFailedPrecondition;
  if (!s.ok()) return Fail(record, s);

  auto refuse = [&](UpdateEvent event, uint16_t detail) {
    record->event = static_cast<uint8_t>(event);
    record->detail = detail;
    (void)update::WriteTrailerField(flash, slots.secondary, TrailerField::kSwapInfo,
                                    static_cast<uint8_t>(update::SwapType::kFail));
    if (ClassifyPrimary(ReadTrailerOrBlank(flash, slots.primary)) == ImageState::kWriting) {
      (void)EraseTrailer(flash, slots.primary);
    }
  };

  BootReportImage entry{};
  HardenedBool decision = HardenedBool::kFalse;
  const image::ImageError error = VerifyComponentAt(p, header, c, download, &entry, &decision);
  if (error != image::ImageError::kOk || !HardenedIsTrue(decision)) {
    return refuse(UpdateEvent::kInstallRefused, static_cast<uint16_t>(error));
  }
  // Dependencies (boot_dependencies.h): unmet -> held, still STAGED.
  const DependencyVerdict deps = CheckCandidateDependencies(p, header, c, download);
  if (deps.error == image::ImageError::kDependencyUnmet) {
    record->event = static_cast<uint8_t>(UpdateEvent::kHeld);
    record->detail =
        static_cast<uint16_t>(deps.component | (deps.breaks_dependent ? kHeldBreaksDependent : 0));
    if (ClassifyPrimary(ReadTrailerOrBlank(flash, slots.primary)) == ImageState::kWriting) {
      (void)EraseTrailer(flash, slots.primary);
    }
    return;
  }
  if (deps.error != image::ImageError::kOk) {
    return refuse(UpdateEvent::kInstallRefused, static_cast<uint16_t>(deps.error));
  }
  const uint32_t max = update::MaxSwapSectors(flash.geometry(), slots, 1);
  const uint32_t ns = ImageSectors(flash, download);
  uint32_t np = ImageSectors(flash, slots.primary);
  if (ns == 0 || ns > max || np > max) return refuse(UpdateEvent::kNoRoom, 0);
  if (np == 0) np = ns;

  // a: the primary trailer announces the install and the journal sequence
  // it will run under; magic last, so a torn a reads as READY.
  const uint32_t sequence = st.sequence + 1;
  s = EraseTrailer(flash, slots.primary);
  if (s.ok()) s = WriteSwapSize(flash, slots.primary, sequence);
  if (s.ok()) {
    s = update::WriteTrailerField(
        flash, slots.primary, TrailerField::kSwapInfo,
        static_cast<uint8_t>(permanent ? update::SwapType::kPerm : update::SwapType::kTest));
  }
  if (s.ok() && permanent) {
    s = update::WriteTrailerField(flash, slots.primary, TrailerField::kImageOk, update::kFlagSet);
  }
  if (s.ok()) s = update::WriteTrailerMagic(flash, slots.primary);
  // b: the swap (journaled; ResumeSwaps finishes it after a power loss).
  if (s.ok()) s = update::StartSwap(flash, slots, update::SwapKind::kInstall, np, ns);
  if (!s.ok()) return Fail(record, s);
  // c, d.
  FinishInstall(flash, slots, record);
}

}  // namespace

otp::FlashRegion BackupRegion(platform::Flash& flash, const SlotSet& slots) {
  return {slots.secondary.offset, slots.secondary.size - SectorSize(flash)};
}

ImageState PrimaryState(platform::Flash& flash, const SlotSet& slots) {
  return ClassifyPrimary(ReadTrailerOrBlank(flash, slots.primary));
}

ImageState SecondaryState(platform::Flash& flash, const SlotSet& slots) {
  const Trailer t = ReadTrailerOrBlank(flash, slots.secondary);
  if (t.magic_good) {
    return (t.swap_info & 0x0f) == static_cast<uint8_t>(update::SwapType::kFail)
               ? ImageState::kFailed
               : ImageState::kStaged;
  }
  for (const uint32_t at : {slots.secondary.offset, DownloadRegion(flash, slots).offset}) {
    uint8_t b[4];
    if (flash.Read(at, ByteSpan(b, 4)).ok() && LoadLe32(b) == kImageMagic) {
      return ImageState::kCandidate;
    }
  }
  return ImageState::kEmpty;
}

namespace {

void Report(platform::Platform& p, const BootReportRequest& entry) {
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) return;
  (void)AppendRequest(&report, entry, RequestSource::kBootChain);  // counted if dropped
  (void)WriteBootReport(p.ram, &report);
}

constexpr size_t kMaxImageRevocation = 1024;

}  // namespace

void ApplyConfirmedPolicies(platform::Platform& p, const otp::OtpHeader& header, Component c,
                            uint8_t key_slot, HardenedBool verified) {
  if (key_slot >= otp::kSigningSlots || !HardenedIsTrue(verified)) return;
  const SlotSet slots = SlotsOf(header, c);
  const Trailer t = ReadTrailerOrBlank(p.flash, slots.primary);
  if (!t.magic_good || t.copy_done != update::kFlagSet || t.image_ok != update::kFlagSet) return;
  keys::KeyDomain domain;
  if (!keys::LoadDomain(p.otp, c, &domain).ok()) return;

  // The image's own revocation command.
  const FlashRegionSource source(p.flash, slots.primary);
  image::ParsedImage parsed;
  uint8_t buffer[kMaxImageRevocation];
  if (image::ParseImage(source, &parsed) == image::ImageError::kOk && parsed.revocation.present &&
      parsed.revocation.length <= sizeof(buffer) &&
      source.Read(parsed.revocation.value_offset, ByteSpan(buffer, parsed.revocation.length))
          .ok()) {
    const ConstByteSpan message(buffer, parsed.revocation.length);
    BootReportRequest entry{};
    entry.type = kImageRevocationRequest;
    revocation::RevocationCommand command;
    // Only a command this domain has not applied yet (each boot would
    // otherwise report it again).
    if (PeekRevocation(message, &entry, &command) && command.domain == c &&
        command.sequence > domain.revocation_sequence) {
      // Confirmed: no revert can follow, the primary is the one image.
      revocation::BootableImages bootable;
      bootable.primary_slot_key = key_slot;
      CheckAndApplyRevocation(p, header, message, c, bootable, &entry);
      Report(p, entry);
      if (!keys::LoadDomain(p.otp, c, &domain).ok()) return;
    }
  }

  // revoke_older_on_confirm: the slots below the one that signed it. Each
  // marker write takes a hardened decision (the image verified, its slot
  // above this one) and re-checks the last-key and bootable-image rules on
  // the OTP words it reads right before writing (revocation::RevokeSlotMarker).
  if ((domain.raw.config.flags & otp::kDomainFlagRevokeOlderOnConfirm) == 0) return;
  BootReportRequest entry{};
  entry.type = kRevokeOlderRequest;
  entry.component = static_cast<uint8_t>(c);
  revocation::BootableImages bootable;
  bootable.primary_slot_key = key_slot;
  for (uint8_t i = 0; i < key_slot; ++i) {
    if (domain.signing[i] != keys::SlotState::kProvisioned || domain.raw.signing[i].revoked != 0) {
      continue;
    }
    const HardenedBool older = HardenedIsTrue(Launder(verified)) && Launder(i) < key_slot
                                   ? HardenedBool::kTrue
                                   : HardenedBool::kFalse;
    const Status written = revocation::RevokeSlotMarker(p.otp, c, i, older, bootable);
    if (!written.ok()) {
      entry.outcome = static_cast<uint8_t>(RequestOutcome::kCommitFailed);
      entry.detail = static_cast<uint8_t>(written.code());
      break;
    }
    entry.revoked_slots |= static_cast<uint8_t>(1u << i);
  }
  if (entry.revoked_slots != 0 || entry.outcome != 0) Report(p, entry);
}

void RepairCounterStores(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                         UpdateRecord* records) {
  for (const Component c : owned) {
    const otp::FlashRegion& area = otp::CounterStoreArea(header.layout, c);
    counters::StoreState state;
    if (counters::ReadStore(p.flash, area, &state).code() != StatusCode::kDataLoss) continue;
    uint32_t floors[otp::kComponentCount] = {};
    bool mine[otp::kComponentCount] = {};
    for (const Component o : owned) {
      if (&otp::CounterStoreArea(header.layout, o) == &area) mine[static_cast<size_t>(o)] = true;
    }
    if (!counters::RebuildStore(p.flash, area, floors, mine, &state).ok()) continue;
    for (size_t i = 0; i < otp::kComponentCount; ++i) {
      if (!mine[i]) continue;
      records[i].counter = static_cast<uint8_t>(CounterUpdate::kRepaired);
      records[i].counter_detail = static_cast<uint8_t>(StatusCode::kDataLoss);
    }
  }
}

namespace {

// The signing slot of the image at the start of `region`, or kNoImage when
// it does not verify.
uint8_t VerifiedKeySlot(platform::Platform& p, const otp::OtpHeader& header, Component c,
                        const otp::FlashRegion& region) {
  BootReportImage entry{};
  HardenedBool decision = HardenedBool::kFalse;
  const image::ImageError error = VerifyComponentAt(p, header, c, region, &entry, &decision);
  if (error != image::ImageError::kOk || !HardenedIsTrue(decision)) return revocation::kNoImage;
  return entry.key_slot;
}

}  // namespace

revocation::BootableImages BootableImagesOf(platform::Platform& p, const otp::OtpHeader& header,
                                            Component c) {
  const SlotSet slots = SlotsOf(header, c);
  revocation::BootableImages images;
  images.primary_slot_key = VerifiedKeySlot(p, header, c, slots.primary);
  if (PrimaryState(p.flash, slots) != ImageState::kReady) {
    images.secondary_slot_key = VerifiedKeySlot(p, header, c, BackupRegion(p.flash, slots));
  }
  return images;
}

void FinishUpdates(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                   UpdateRecord* records) {
  for (const Component c : owned) {
    const SlotSet slots = SlotsOf(header, c);
    UpdateRecord* record = &records[static_cast<size_t>(c)];
    const Trailer t = ReadTrailerOrBlank(p.flash, slots.primary);
    switch (ClassifyPrimary(t)) {
      case ImageState::kWriting: {
        const uint32_t sequence = ReadSwapSize(p.flash, slots.primary);
        if (JournalIs(p.flash, slots, update::SwapKind::kInstall, sequence, sequence)) {
          FinishInstall(p.flash, slots, record);
        }
        // Otherwise the swap never started: RunUpdates installs again.
        break;
      }
      case ImageState::kRejected:
        Revert(p.flash, slots, UpdateEvent::kReverted, record);
        break;
      default:
        break;
    }
  }
}

uint8_t ConfirmTrial(platform::Platform& p, const otp::OtpHeader& header, Component c,
                     UpdateRecord* record) {
  const SlotSet slots = SlotsOf(header, c);
  if (PrimaryState(p.flash, slots) != ImageState::kTrial) {
    return static_cast<uint8_t>(RequestOutcome::kNoTrialImage);
  }
  const Status s =
      update::WriteTrailerField(p.flash, slots.primary, TrailerField::kImageOk, update::kFlagSet);
  if (!s.ok()) {
    Fail(record, s);
    return static_cast<uint8_t>(RequestOutcome::kCommitFailed);
  }
  record->event = static_cast<uint8_t>(UpdateEvent::kConfirmed);
  RaiseReadyCounter(p, header, c, record);
  return static_cast<uint8_t>(RequestOutcome::kApplied);
}

uint8_t RejectTrial(platform::Platform& p, const otp::OtpHeader& header, Component c,
                    UpdateRecord* record) {
  const SlotSet slots = SlotsOf(header, c);
  if (PrimaryState(p.flash, slots) != ImageState::kTrial) {
    return static_cast<uint8_t>(RequestOutcome::kNoTrialImage);
  }
  Revert(p.flash, slots, UpdateEvent::kRejected, record);
  return record->event == static_cast<uint8_t>(UpdateEvent::kRejected)
             ? static_cast<uint8_t>(RequestOutcome::kApplied)
             : static_cast<uint8_t>(RequestOutcome::kCommitFailed);
}

void RunUpdates(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                UpdateRecord* records) {
  for (const Component c : owned) {
    const SlotSet slots = SlotsOf(header, c);
    UpdateRecord* record = &records[static_cast<size_t>(c)];
    ImageState state = PrimaryState(p.flash, slots);
    const bool installed_now =
        record->event == static_cast<uint8_t>(UpdateEvent::kInstalled) ||
        record->event == static_cast<uint8_t>(UpdateEvent::kInstalledPermanent);
    if (state == ImageState::kTrial && !installed_now) {
      // Not confirmed before this reset (watchdog included): back it goes.
      Revert(p.flash, slots, UpdateEvent::kReverted, record);
      continue;
    }
    if (state == ImageState::kReady &&
        (record->counter == static_cast<uint8_t>(CounterUpdate::kNone) ||
         record->counter == static_cast<uint8_t>(CounterUpdate::kRepaired))) {
      RaiseReadyCounter(p, header, c, record);
    }
    if (record->event != static_cast<uint8_t>(UpdateEvent::kNone)) continue;
    const bool staged = SecondaryState(p.flash, slots) == ImageState::kStaged;
    if (state == ImageState::kWriting && !staged) {
      (void)EraseTrailer(p.flash, slots.primary);  // nothing left to install
      state = ImageState::kReady;
    }
    if (staged && (state == ImageState::kReady || state == ImageState::kWriting)) {
      Install(p, header, c, record);
      if (record->event == static_cast<uint8_t>(UpdateEvent::kInstalledPermanent)) {
        RaiseReadyCounter(p, header, c, record);
      }
    }
  }
}

}  // namespace bastion::boot
