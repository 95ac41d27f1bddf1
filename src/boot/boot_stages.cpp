#include "boot/boot_stages.h"

#include <cstring>

#include "boot/handoff.h"
#include "crypto/crypto.h"
#include "keys/key_domain.h"

namespace bastion::boot {
namespace {

using otp::Component;
using platform::Hdpl;

constexpr uint8_t kSeedSalt[] = {'b', 'a', 's', 't', 'i', 'o', 'n', '-', 'v', '1'};
constexpr char kInfoHdpl1Seed[] = "bastion hdpl1 seed";
constexpr char kInfoStorageKey[] = "bastion storage key";
constexpr char kInfoAttestationSeed[] = "bastion attestation seed";

ConstByteSpan Info(const char* s) {
  return ConstByteSpan(reinterpret_cast<const uint8_t*>(s), std::strlen(s));
}

// Boot-report bookkeeping that must not itself stop the boot.
void RecordImage(platform::Platform& p, const BootReportImage& entry) {
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) return;
  (void)AppendImage(&report, entry);
  (void)WriteBootReport(p.ram, &report);
}

// Verifies `component` and stops the boot unless it passed; the decision is
// checked twice (once here, once at hand-over by the caller).
HardenedBool VerifyOrFail(platform::Platform& p, const otp::OtpHeader& header, Component component) {
  BootReportImage entry{};
  HardenedBool decision = HardenedBool::kFalse;
  const image::ImageError error = VerifyComponent(p, header, component, &entry, &decision);
  RecordImage(p, entry);
  if (error != image::ImageError::kOk) {
    FailBoot(p, BootReason::kImageRefused, component, error);
  }
  if (!HardenedIsTrue(decision)) {
    FailBoot(p, BootReason::kFaultDetected, component, error);
  }
  return decision;
}

void RaiseOrFail(platform::Platform& p, Hdpl level) {
  if (!p.hdpl.Raise(level).ok() || p.hdpl.Current() != level) {
    FailBoot(p, BootReason::kHdplRaiseFailed, Component::kUrot, image::ImageError::kOk);
  }
}

}  // namespace

[[noreturn]] void FailBoot(platform::Platform& p, BootReason reason, Component component,
                           image::ImageError detail) {
  // The report of this boot, or a fresh one if this boot had not started one
  // yet (RAM still holds the previous boot's report after a warm reset).
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
  p.system.Halt();
  for (;;) {
    // Halt() never returns; should a faulty port return, stay here.
  }
}

Status FlashRegionSource::Read(uint32_t offset, ByteSpan out) const {
  if (offset > region_.size || out.size() > region_.size - offset) return StatusCode::kOutOfRange;
  return flash_.Read(region_.offset + offset, out);
}

Status ReadOtpHeader(platform::Platform& p, otp::OtpHeader* header) {
  BASTION_TRY(p.otp.Read(otp::kHeaderOffset,
                         ByteSpan(reinterpret_cast<uint8_t*>(header), sizeof(*header))));
  if (header->magic != otp::kOtpMagic || header->format_version != otp::kOtpFormatVersion ||
      header->complete != otp::kHeaderCompleteMarker) {
    return StatusCode::kFailedPrecondition;
  }
  const platform::FlashGeometry g = p.flash.geometry();
  if (!otp::LayoutValid(header->layout, g.size, g.sector_size)) return StatusCode::kDataLoss;
  return StatusCode::kOk;
}

image::ImageError VerifyComponent(platform::Platform& p, const otp::OtpHeader& header,
                                  Component component, BootReportImage* entry,
                                  HardenedBool* decision) {
  *decision = HardenedBool::kFalse;
  *entry = BootReportImage{};
  entry->component = static_cast<uint8_t>(component);

  keys::KeyDomain domain;
  if (!keys::LoadDomain(p.otp, component, &domain).ok()) {
    FailBoot(p, BootReason::kDomainUnavailable, component, image::ImageError::kOk);
  }
  entry->stored_counter = domain.security_counter;

  const FlashRegionSource source(p.flash, header.layout.primary[static_cast<size_t>(component)]);
  image::ParsedImage parsed;
  image::ImageError error = image::ParseImage(source, &parsed);
  if (error == image::ImageError::kOk) {
    entry->version = parsed.header.version;
    entry->security_counter = parsed.security_counter;
    entry->hash_alg = static_cast<uint8_t>(parsed.hash_alg);
    const otp::Lifecycle lifecycle = otp::LifecycleFromMarks(header.lifecycle_marks);
    keys::DomainKeyResolver resolver(domain, p.flash, header.layout, lifecycle);
    image::VerifiedImage verified;
    error = image::VerifyImage(source, parsed, resolver, domain.security_counter,
                               /*require_security_counter=*/false, &verified, decision);
    if (error == image::ImageError::kOk) {
      entry->key_slot = verified.key_slot;
      std::memcpy(entry->measurement, verified.measurement.bytes.data(), verified.measurement.size);
      entry->verified = 1;
    }
  }
  entry->image_error = static_cast<uint16_t>(error);
  if (error != image::ImageError::kOk) *decision = HardenedBool::kFalse;
  return error;
}

void RunIrot(platform::Platform& p) {
  otp::OtpHeader header;
  const Status header_status = ReadOtpHeader(p, &header);
  if (!header_status.ok()) {
    FailBoot(p,
             header_status.code() == StatusCode::kDataLoss ? BootReason::kLayoutInvalid
                                                           : BootReason::kOtpNotProvisioned,
             Component::kUrot, image::ImageError::kOk);
  }
  const otp::Lifecycle lifecycle = otp::LifecycleFromMarks(header.lifecycle_marks);
  BootReport report;
  InitBootReport(&report, lifecycle);
  if (!WriteBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kUrot, image::ImageError::kOk);
  }
  if (!HardenedIsTrue(keys::KeyRoleValid(keys::KeyRole::kSigning, lifecycle))) {
    FailBoot(p, BootReason::kLifecycleNotBootable, Component::kUrot, image::ImageError::kOk);
  }

  const HardenedBool urot_ok = VerifyOrFail(p, header, Component::kUrot);

  // Derive the HDPL1 seed from the HUK, hand it down, wipe every copy.
  UrotHandoff handoff{};
  handoff.lifecycle = static_cast<uint32_t>(lifecycle);
  uint8_t huk[32];
  if (!p.huk.ReadHuk(huk).ok()) {
    FailBoot(p, BootReason::kHukUnavailable, Component::kUrot, image::ImageError::kOk);
  }
  const Status derived = crypto::HkdfSha256(kSeedSalt, huk, Info(kInfoHdpl1Seed), handoff.hdpl1_seed);
  SecureWipe(huk, sizeof(huk));
  if (!derived.ok()) {
    FailBoot(p, BootReason::kKeyDerivationFailed, Component::kUrot, image::ImageError::kOk);
  }
  const Status written = WriteUrotHandoff(p.ram, &handoff);
  SecureWipe(&handoff, sizeof(handoff));
  if (!written.ok()) {
    FailBoot(p, BootReason::kHandoffInvalid, Component::kUrot, image::ImageError::kOk);
  }

  // Second, independent check of the decision right before hand-over.
  if (!HardenedIsTrue(Launder(urot_ok))) {
    FailBoot(p, BootReason::kFaultDetected, Component::kUrot, image::ImageError::kOk);
  }
  RaiseOrFail(p, Hdpl::kUrot);
}

void RunUrot(platform::Platform& p) {
  UrotHandoff handoff;
  if (!ReadUrotHandoff(p.ram, &handoff).ok()) {
    FailBoot(p, BootReason::kHandoffInvalid, Component::kSm, image::ImageError::kOk);
  }
  otp::OtpHeader header;
  if (!ReadOtpHeader(p, &header).ok()) {
    SecureWipe(&handoff, sizeof(handoff));
    FailBoot(p, BootReason::kOtpNotProvisioned, Component::kSm, image::ImageError::kOk);
  }

  const HardenedBool sm_ok = VerifyOrFail(p, header, Component::kSm);
  const HardenedBool app_ok = VerifyOrFail(p, header, Component::kApp);

  SmHandoff sm{};
  sm.lifecycle = handoff.lifecycle;
  const bool derived =
      crypto::HkdfSha256({}, handoff.hdpl1_seed, Info(kInfoStorageKey), sm.storage_key).ok() &&
      crypto::HkdfSha256({}, handoff.hdpl1_seed, Info(kInfoAttestationSeed), sm.attestation_seed)
          .ok();
  SecureWipe(&handoff, sizeof(handoff));
  WipeHandoff(p.ram, platform::RamRegion::kHandoff);
  if (!derived) {
    SecureWipe(&sm, sizeof(sm));
    FailBoot(p, BootReason::kKeyDerivationFailed, Component::kSm, image::ImageError::kOk);
  }
  const Status written = WriteSmHandoff(p.ram, &sm);
  SecureWipe(&sm, sizeof(sm));
  if (!written.ok()) FailBoot(p, BootReason::kHandoffInvalid, Component::kSm, image::ImageError::kOk);

  if (!HardenedIsTrue(Launder(sm_ok)) || !HardenedIsTrue(Launder(app_ok))) {
    FailBoot(p, BootReason::kFaultDetected, Component::kSm, image::ImageError::kOk);
  }
  RaiseOrFail(p, Hdpl::kSecureManager);
}

void RunRuntime(platform::Platform& p, BootReport* published) {
  SmHandoff sm;
  if (!ReadSmHandoff(p.ram, &sm).ok()) {
    FailBoot(p, BootReason::kHandoffInvalid, Component::kApp, image::ImageError::kOk);
  }
  // The Secure Manager keeps its seeds; the stand-in has no use for them.
  SecureWipe(&sm, sizeof(sm));
  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kApp, image::ImageError::kOk);
  }
  report.outcome = BootOutcome::kBooted;
  if (!WriteBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kApp, image::ImageError::kOk);
  }
  *published = report;
}

void RunBootChain(platform::Platform& p, BootReport* published) {
  RunIrot(p);
  RunUrot(p);
  RunRuntime(p, published);
}

}  // namespace bastion::boot
