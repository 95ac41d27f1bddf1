#include "boot/boot_stages.h"

#include <cstring>

#include "boot/boot_dependencies.h"
#include "boot/boot_requests.h"
#include "boot/boot_update.h"
#include "boot/handoff.h"
#include "counters/counter_store.h"
#include "crypto/crypto.h"
#include "keys/key_domain.h"
#include "revocation/revocation.h"
#include "update/slot_swap.h"

namespace bastion::boot {
namespace {

using otp::Component;
using platform::Hdpl;

constexpr uint8_t kSeedSalt[] = {'b', 'a', 's', 't', 'i', 'o', 'n', '-', 'v', '1'};
constexpr char kInfoHdpl1Seed[] = "bastion hdpl1 seed";
constexpr char kInfoStorageKey[] = "bastion storage key";
constexpr char kInfoAttestationSeed[] = "bastion attestation seed";

// An HKDF info string without its terminating NUL.
template <size_t N>
ConstByteSpan Info(const char (&s)[N]) {
  return ConstByteSpan(reinterpret_cast<const uint8_t*>(s), N - 1);
}

// Boot-report bookkeeping that must not itself stop the boot.
void RecordImage(platform::Platform& p, const BootReportImage& entry) {
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) return;
  (void)AppendImage(&report, entry);
  (void)WriteBootReport(p.ram, &report);
}

// Verifies `component` and stops the boot unless it passed; the decision is
// checked twice (once here, once at hand-over by the caller). Then applies
// the confirmed image's revocation policies. Its key domain goes into the
// report either way, as the boot left it.
HardenedBool VerifyOrFail(platform::Platform& p, const otp::OtpHeader& header, Component component,
                          uint32_t* header_size, uint32_t* image_size, const UpdateRecord& update) {
  BootReportImage entry{};
  HardenedBool decision = HardenedBool::kFalse;
  image::ImageError error =
      VerifyComponent(p, header, component, &entry, &decision, header_size, image_size);
  if (error == image::ImageError::kOk) {  // DEPENDENCY TLVs (boot_dependencies.h)
    error = CheckRunningDependencies(p, header, component).error;
    if (error != image::ImageError::kOk) {
      decision = HardenedBool::kFalse;
      entry.verified = 0;
      entry.image_error = static_cast<uint16_t>(error);
    }
  }
  // The image's state and what this boot's update engine did to it.
  entry.state = static_cast<uint8_t>(PrimaryState(p.flash, SlotsOf(header, component)));
  entry.update = update.event;
  entry.update_detail = update.detail;
  entry.counter_update = update.counter;
  entry.counter_detail = update.counter_detail;
  RecordImage(p, entry);
  RecordDomain(p, component);  // as this boot's requests left it, should the boot stop
  if (error != image::ImageError::kOk) {
    FailBoot(p, BootReason::kImageRefused, component, error);
  }
  if (!HardenedIsTrue(decision)) {
    FailBoot(p, BootReason::kFaultDetected, component, error);
  }
  // A confirmed image's revocation command / revoke_older_on_confirm.
  ApplyConfirmedPolicies(p, header, component, entry.key_slot, decision);
  RecordDomain(p, component);
  return decision;
}

void RaiseOrFail(platform::Platform& p, Hdpl level, Component stage) {
  if (!p.hdpl.Raise(level).ok() || p.hdpl.Current() != level) {
    FailBoot(p, BootReason::kHdplRaiseFailed, stage, image::ImageError::kOk);
  }
}

// Where a hardened check that traps sends the boot: the one failure exit.
platform::Platform* g_fault_platform = nullptr;
Component g_fault_stage = Component::kUrot;

[[noreturn]] void OnHardenedFault(const char* /*what*/) {
  platform::Platform* p = g_fault_platform;
  g_fault_platform = nullptr;
  if (p == nullptr) __builtin_trap();
  FailBoot(*p, BootReason::kFaultDetected, g_fault_stage, image::ImageError::kOk);
}

void EnterStage(platform::Platform& p, Component stage) {
  g_fault_platform = &p;
  g_fault_stage = stage;
  SetHardenedTrapHandler(OnHardenedFault);
}

}  // namespace

update::SlotSet SlotsOf(const otp::OtpHeader& header, Component component) {
  const size_t c = static_cast<size_t>(component);
  return update::SlotSet{header.layout.primary[c], header.layout.secondary[c],
                         otp::SwapStatusArea(header.layout, component)};
}

void ResumeSwaps(platform::Platform& p, const otp::OtpHeader& header,
                 std::span<const Component> components) {
  // Each stage resumes only the journal of its own status area (urot's is
  // HDPL0's, sm's and app's HDPL1's), and only for the slots it owns: a
  // journal naming other slots is not resumed (ResumeResult::kOtherSlots).
  // At most one swap per status area is unfinished (swaps run one at a
  // time). Errors are left to verification: a primary that a swap left
  // inconsistent does not verify.
  for (const Component c : components) {
    update::SwapOutcome outcome;
    (void)update::ResumeIfInterrupted(p.flash, SlotsOf(header, c), &outcome);
  }
}

void RecordDomain(platform::Platform& p, Component c) {
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) return;
  keys::KeyDomain domain;  // left as constructed (blank, 0) when it cannot be read
  const bool read = keys::LoadDomain(p.otp, c, &domain).ok();
  static_assert(sizeof(keys::SlotState) == 1 &&
                sizeof(domain.signing) == sizeof(BootReportDomain::signing_slots));
  BootReportDomain& entry = report.domains[static_cast<size_t>(c)];
  entry.component = static_cast<uint8_t>(c);
  entry.state = static_cast<uint8_t>(read ? DomainReport::kRead : DomainReport::kUnreadable);
  std::memcpy(entry.signing_slots, domain.signing, sizeof(entry.signing_slots));
  entry.records_used = domain.records_used;
  entry.records_capacity = otp::kLogEntries;
  entry.revocation_sequence = domain.revocation_sequence;
  (void)WriteBootReport(p.ram, &report);
}

void RemoveFaultHandler() {
  SetHardenedTrapHandler(nullptr);
  g_fault_platform = nullptr;
}

[[noreturn]] void FailBoot(platform::Platform& p, BootReason reason, Component component,
                           image::ImageError detail) {
  if (reason == BootReason::kDomainUnavailable) RecordDomain(p, component);  // kUnreadable
  // iROT starts this boot's report before anything can fail; a report that
  // is not in progress is not this boot's.
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok() || report.outcome != BootOutcome::kInProgress) {
    InitBootReport(&report, otp::Lifecycle::kUnknown);
  }
  report.outcome = BootOutcome::kFailed;
  report.failure_reason = static_cast<uint16_t>(reason);
  report.failure_detail = static_cast<uint16_t>(detail);
  report.failure_component = static_cast<uint8_t>(component);
  report.failure_hdpl = static_cast<uint8_t>(p.hdpl.Current());
  (void)WriteBootReport(p.ram, &report);
  WipeHandoff(p.ram, platform::RamRegion::kHandoff);
  WipeHandoff(p.ram, platform::RamRegion::kSmHandoff);
  (void)p.hdpl.Raise(Hdpl::kApplication);
  RemoveFaultHandler();
  p.system.Halt();
  for (;;) {
    // Halt() never returns; should a faulty port return, stay here.
  }
}

Status FlashRegionSource::Read(uint32_t offset, ByteSpan out) const {
  if (offset > region_.size || out.size() > region_.size - offset) return StatusCode::kOutOfRange;
  return flash_.Read(region_.offset + offset, out);
}

image::ImageError ParseImageAt(platform::Flash& flash, const otp::FlashRegion& region,
                               image::ParsedImage* parsed) {
  const FlashRegionSource source(flash, region);
  return image::ParseImage(source, parsed);
}

Status ReadOtpHeader(platform::Platform& p, otp::OtpHeader* header) {
  BASTION_TRY(p.otp.Read(otp::kHeaderOffset,
                         ByteSpan(reinterpret_cast<uint8_t*>(header), sizeof(*header))));
  if (header->magic != otp::kOtpMagic || header->format_version != otp::kOtpFormatVersion ||
      header->complete != otp::kHeaderCompleteMarker) {
    return StatusCode::kFailedPrecondition;
  }
  const platform::FlashGeometry g = p.flash.geometry();
  if (!otp::LayoutValid(header->layout, g)) return StatusCode::kDataLoss;
  return StatusCode::kOk;
}

image::ImageError VerifyComponent(platform::Platform& p, const otp::OtpHeader& header,
                                  Component component, BootReportImage* entry,
                                  HardenedBool* decision, uint32_t* header_size,
                                  uint32_t* image_size) {
  return VerifyComponentAt(p, header, component,
                           header.layout.primary[static_cast<size_t>(component)], entry, decision,
                           header_size, image_size);
}

image::ImageError VerifyComponentAt(platform::Platform& p, const otp::OtpHeader& header,
                                    Component component, const otp::FlashRegion& region,
                                    BootReportImage* entry, HardenedBool* decision,
                                    uint32_t* header_size, uint32_t* image_size) {
  *decision = HardenedBool::kFalse;
  *entry = BootReportImage{};
  entry->component = static_cast<uint8_t>(component);

  keys::KeyDomain domain;
  if (!keys::LoadDomain(p.otp, component, &domain).ok()) {
    FailBoot(p, BootReason::kDomainUnavailable, component, image::ImageError::kOk);
  }
  // The anti-rollback floor, from the component's HDPL-owned counter store.
  uint32_t floor = 0;
  const Status counter = counters::ReadCounter(
      p.flash, otp::CounterStoreArea(header.layout, component), component, &floor);
  if (!counter.ok()) {
    FailBoot(p, BootReason::kCounterStoreUnavailable, component, image::ImageError::kOk);
  }
  entry->stored_counter = floor;

  const FlashRegionSource source(p.flash, region);
  image::ParsedImage parsed;
  image::ImageError error = image::ParseImage(source, &parsed);
  if (error == image::ImageError::kOk) {
    entry->version = parsed.header.version;
    entry->security_counter = parsed.security_counter;
    entry->hash_alg = static_cast<uint8_t>(parsed.hash_alg);
    // Header flags the boot chain does not implement (RAM_LOAD, ROM_FIXED, ...).
    error = image::CheckBootFlags(parsed.header);
  }
  if (error == image::ImageError::kOk) {
    const otp::Lifecycle lifecycle = otp::LifecycleFromMarks(header.lifecycle_marks);
    keys::DomainKeyResolver resolver(domain, p.flash, header.layout, lifecycle);
    image::VerifiedImage verified;
    error = image::VerifyImage(source, parsed, resolver, floor,
                               /*require_security_counter=*/false, &verified, decision);
    // Second, independent look at the signing slot, from the raw OTP words.
    if (error == image::ImageError::kOk &&
        (verified.key_slot >= otp::kSigningSlots ||
         !HardenedIsTrue(keys::SlotUsable(domain.raw, verified.key_slot)))) {
      error = image::ImageError::kKeyRevoked;
    }
    if (error == image::ImageError::kOk) {
      if (header_size != nullptr) *header_size = parsed.header.hdr_size;
      if (image_size != nullptr) *image_size = parsed.header.img_size;
      entry->key_slot = verified.key_slot;
      std::memcpy(entry->measurement, verified.measurement.bytes.data(), verified.measurement.size);
      entry->verified = 1;
    }
  }
  entry->image_error = static_cast<uint16_t>(error);
  if (error != image::ImageError::kOk) *decision = HardenedBool::kFalse;
  return error;
}

VerifiedEntry RunIrot(platform::Platform& p) {
  EnterStage(p, Component::kUrot);
  // A fresh report first: RAM may hold anything after a warm reset (even a
  // report the application forged), and every failure below reports here.
  BootReport report;
  InitBootReport(&report, otp::Lifecycle::kUnknown);
  if (!WriteBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kUrot, image::ImageError::kOk);
  }
  otp::OtpHeader header;
  const Status header_status = ReadOtpHeader(p, &header);
  if (!header_status.ok()) {
    FailBoot(p,
             header_status.code() == StatusCode::kDataLoss ? BootReason::kLayoutInvalid
                                                           : BootReason::kOtpNotProvisioned,
             Component::kUrot, image::ImageError::kOk);
  }
  const otp::Lifecycle lifecycle = otp::LifecycleFromMarks(header.lifecycle_marks);
  report.lifecycle = static_cast<uint32_t>(lifecycle);
  if (!WriteBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kUrot, image::ImageError::kOk);
  }
  if (!HardenedIsTrue(keys::KeyRoleValid(keys::KeyRole::kSigning, lifecycle))) {
    FailBoot(p, BootReason::kLifecycleNotBootable, Component::kUrot, image::ImageError::kOk);
  }

  // Updates and requests for the urot component and domain, before uROT is
  // read: the same order as uROT's for sm and app (see RunUrot). Committed
  // urot revocations first: the markers a power loss left unwritten.
  (void)revocation::CompleteRevocations(p.otp, Component::kUrot);
  // Only urot's journal (HDPL0's status area): uROT finishes sm's and app's.
  ResumeSwaps(p, header, kIrotComponents);
  UpdateRecord updates[otp::kComponentCount]{};
  RepairCounterStores(p, header, kIrotComponents, updates);
  FinishUpdates(p, header, kIrotComponents, updates);
  ProcessMailbox(p, header, kIrotComponents, /*pass_on=*/true, updates);
  RunUpdates(p, header, kIrotComponents, updates);
  RevertTrialsWithUnmetDependencies(p, header, kIrotComponents, updates);
  EnterStage(p, Component::kUrot);

  constexpr size_t kU = static_cast<size_t>(Component::kUrot);
  VerifiedEntry entry;
  entry.slot = header.layout.primary[kU];
  entry.verified =
      VerifyOrFail(p, header, Component::kUrot, &entry.header_size, &entry.image_size, updates[kU]);

  // Derive the HDPL1 seed from the HUK, hand it down, wipe every copy.
  UrotHandoff handoff{};
  handoff.lifecycle = static_cast<uint32_t>(lifecycle);
  uint8_t huk[32];
  if (!p.huk.ReadHuk(huk).ok()) {
    SecureWipe(huk, sizeof(huk));
    FailBoot(p, BootReason::kHukUnavailable, Component::kUrot, image::ImageError::kOk);
  }
  const Status derived =
      crypto::HkdfSha256(kSeedSalt, huk, Info(kInfoHdpl1Seed), handoff.hdpl1_seed);
  SecureWipe(huk, sizeof(huk));
  if (!derived.ok()) {
    SecureWipe(&handoff, sizeof(handoff));
    FailBoot(p, BootReason::kKeyDerivationFailed, Component::kUrot, image::ImageError::kOk);
  }
  const Status written = WriteUrotHandoff(p.ram, &handoff);
  SecureWipe(&handoff, sizeof(handoff));
  if (!written.ok()) {
    FailBoot(p, BootReason::kHandoffInvalid, Component::kUrot, image::ImageError::kOk);
  }

  // Second, independent check of the decision right before hand-over.
  if (!HardenedIsTrue(Launder(entry.verified))) {
    FailBoot(p, BootReason::kFaultDetected, Component::kUrot, image::ImageError::kOk);
  }
  RaiseOrFail(p, Hdpl::kUrot, Component::kUrot);
  return entry;
}

void RunUrot(platform::Platform& p) {
  EnterStage(p, Component::kSm);
  otp::OtpHeader header;
  if (!ReadOtpHeader(p, &header).ok()) {
    FailBoot(p, BootReason::kOtpNotProvisioned, Component::kSm, image::ImageError::kOk);
  }
  // Committed revocations first: the markers a power loss left unwritten
  // (errors show up when the domain is loaded for verification).
  for (const Component c : kUrotComponents) (void)revocation::CompleteRevocations(p.otp, c);
  // An interrupted swap is finished before anything reads a primary slot,
  // then an interrupted install or revert (docs/update-swap.md).
  ResumeSwaps(p, header, kUrotComponents);
  UpdateRecord updates[otp::kComponentCount]{};
  RepairCounterStores(p, header, kUrotComponents, updates);
  FinishUpdates(p, header, kUrotComponents, updates);
  // The application's requests first: a revocation applied now already
  // refuses, below, the images its keys signed; a confirm keeps a TRIAL image.
  ProcessMailbox(p, header, kUrotComponents, /*pass_on=*/false, updates);
  // Unconfirmed TRIAL images are reverted, staged downloads installed.
  RunUpdates(p, header, kUrotComponents, updates);
  RevertTrialsWithUnmetDependencies(p, header, kUrotComponents, updates);
  EnterStage(p, Component::kSm);
  // Verify before touching the HDPL1 seed: a refusal must leave no copy of
  // it on this stage's stack (FailBoot does not return).
  // Each also applies its confirmed image's revocation policies and reports
  // its key domain.
  const HardenedBool sm_ok = VerifyOrFail(p, header, Component::kSm, nullptr, nullptr,
                                          updates[static_cast<size_t>(Component::kSm)]);
  EnterStage(p, Component::kApp);
  const HardenedBool app_ok = VerifyOrFail(p, header, Component::kApp, nullptr, nullptr,
                                           updates[static_cast<size_t>(Component::kApp)]);
  EnterStage(p, Component::kSm);

  SmHandoff sm{};
  bool derived = false;
  {
    UrotHandoff handoff;
    if (ReadUrotHandoff(p.ram, &handoff).ok()) {
      sm.lifecycle = handoff.lifecycle;
      derived =
          crypto::HkdfSha256({}, handoff.hdpl1_seed, Info(kInfoStorageKey), sm.storage_key).ok() &&
          crypto::HkdfSha256({}, handoff.hdpl1_seed, Info(kInfoAttestationSeed),
                             sm.attestation_seed)
              .ok();
    }
    SecureWipe(&handoff, sizeof(handoff));
  }
  WipeHandoff(p.ram, platform::RamRegion::kHandoff);
  if (!derived) {
    SecureWipe(&sm, sizeof(sm));
    FailBoot(p, BootReason::kHandoffInvalid, Component::kSm, image::ImageError::kOk);
  }
  const Status written = WriteSmHandoff(p.ram, &sm);
  SecureWipe(&sm, sizeof(sm));
  if (!written.ok())
    FailBoot(p, BootReason::kHandoffInvalid, Component::kSm, image::ImageError::kOk);

  if (!HardenedIsTrue(Launder(sm_ok)) || !HardenedIsTrue(Launder(app_ok))) {
    FailBoot(p, BootReason::kFaultDetected, Component::kSm, image::ImageError::kOk);
  }
  RaiseOrFail(p, Hdpl::kSecureManager, Component::kSm);
}

void RunRuntime(platform::Platform& p, SmHandoff* secrets, BootReport* published) {
  EnterStage(p, Component::kApp);
  // The Secure Manager takes its secrets into its own memory and wipes the
  // handoff region: nothing the application can later reach keeps them.
  const Status read = ReadSmHandoff(p.ram, secrets);
  WipeHandoff(p.ram, platform::RamRegion::kSmHandoff);
  if (!read.ok()) {
    FailBoot(p, BootReason::kHandoffInvalid, Component::kApp, image::ImageError::kOk);
  }
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) {
    SecureWipe(secrets, sizeof(*secrets));
    FailBoot(p, BootReason::kReportUnavailable, Component::kApp, image::ImageError::kOk);
  }
  report.outcome = BootOutcome::kBooted;
  if (!WriteBootReport(p.ram, &report).ok()) {
    SecureWipe(secrets, sizeof(*secrets));
    FailBoot(p, BootReason::kReportUnavailable, Component::kApp, image::ImageError::kOk);
  }
  *published = report;
  RemoveFaultHandler();
}

void RunBootChain(platform::Platform& p, SmHandoff* secrets, BootReport* published) {
  (void)RunIrot(p);  // the stages are linked together here: no jump
  RunUrot(p);
  RunRuntime(p, secrets, published);
}

}  // namespace bastion::boot
