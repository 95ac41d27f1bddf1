#include "boot/boot_requests.h"

#include "boot/boot_stages.h"
#include "cose/cose.h"
#include "keys/key_domain.h"
#include "mailbox/mailbox.h"
#include "revocation/revocation.h"

namespace bastion::boot {

const char* RequestOutcomeName(uint8_t outcome) {
  switch (outcome) {
    case static_cast<uint8_t>(RequestOutcome::kApplied):
      return "applied";
    case static_cast<uint8_t>(RequestOutcome::kUrotRevocationUnsupported):
      return "urot-revocation-unsupported";
    case static_cast<uint8_t>(RequestOutcome::kNoTrialImage):
      return "not-applied: no trial image";
    case static_cast<uint8_t>(RequestOutcome::kCommitFailed):
      return "commit-failed";
    default:
      break;
  }
  if (outcome <= static_cast<uint8_t>(revocation::RefusalReason::kDomainCorrupt)) {
    return revocation::RefusalReasonName(static_cast<revocation::RefusalReason>(outcome));
  }
  return "unknown";
}

namespace {

using otp::Component;
using revocation::RefusalReason;

// The signing slot of the image in `component`'s primary slot, or kNoImage
// when it does not verify.
uint8_t PrimaryKeySlot(platform::Platform& p, const otp::OtpHeader& header, Component component) {
  BootReportImage entry{};
  HardenedBool decision = HardenedBool::kFalse;
  const image::ImageError error = VerifyComponent(p, header, component, &entry, &decision);
  if (error != image::ImageError::kOk || !HardenedIsTrue(decision)) return revocation::kNoImage;
  return entry.key_slot;
}

void FillCommand(const revocation::RevocationCommand& command, BootReportRequest* entry) {
  entry->component = static_cast<uint8_t>(command.domain);
  entry->sequence = command.sequence;
  for (size_t i = 0; i < command.slot_count && i < command.slots.size(); ++i) {
    if (command.slots[i] < 8) entry->revoked_slots |= static_cast<uint8_t>(1u << command.slots[i]);
  }
}

void ProcessRevoke(platform::Platform& p, const otp::OtpHeader& header, ConstByteSpan message,
                   BootReportRequest* entry) {
  entry->component = kUnknownDomain;
  // Which domain does it name? Peek at the payload; anything that does not
  // decode is refused below by CheckCommand with its own reason.
  Component target = Component::kApp;
  {
    cose::ParsedCoseSign parsed;
    revocation::RevocationCommand command;
    if (cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed) ==
            cose::CoseError::kOk &&
        revocation::DecodeCommand(parsed.payload, &command) == revocation::PayloadError::kOk) {
      target = command.domain;
      FillCommand(command, entry);
      if (target == Component::kUrot) {
        // Only iROT may write the HDPL0 area, and iROT does not read the
        // mailbox: left alone, reported.
        entry->outcome = static_cast<uint8_t>(RequestOutcome::kUrotRevocationUnsupported);
        return;
      }
    }
  }
  keys::KeyDomain domain;
  if (!keys::LoadDomain(p.otp, target, &domain).ok()) {
    FailBoot(p, BootReason::kDomainUnavailable, target, image::ImageError::kOk);
  }
  const otp::Lifecycle lifecycle = otp::LifecycleFromMarks(header.lifecycle_marks);
  revocation::KeyStoreSlotKeys slot_keys(p.flash, header.layout, domain);
  revocation::BootableImages bootable;
  bootable.primary_slot_key =
      entry->component == kUnknownDomain ? revocation::kNoImage : PrimaryKeySlot(p, header, target);
  bootable.secondary_slot_key = revocation::kNoImage;  // update engine not wired yet
  const revocation::CheckContext context{
      domain, lifecycle, std::span<const uint8_t, revocation::kInstanceIdSize>(header.instance_id),
      bootable, slot_keys};
  revocation::CheckOutcome outcome;
  const RefusalReason reason = revocation::CheckCommand(message, context, &outcome);
  entry->outcome = static_cast<uint8_t>(reason);
  switch (reason) {
    case RefusalReason::kMalformedCose:
      entry->detail = static_cast<uint8_t>(outcome.cose_error);
      return;
    case RefusalReason::kMalformedPayload:
      entry->detail = static_cast<uint8_t>(outcome.payload_error);
      return;
    case RefusalReason::kRevokedSigner:
    case RefusalReason::kUnknownSigner:
    case RefusalReason::kBadSignature:
      entry->detail = outcome.authorization.offending_signer;
      break;
    default:
      break;
  }
  if (reason != RefusalReason::kAccepted) return;
  const Status applied = revocation::ApplyRevocation(p.otp, target, outcome.command);
  if (!applied.ok()) {
    entry->outcome = static_cast<uint8_t>(RequestOutcome::kCommitFailed);
    entry->detail = static_cast<uint8_t>(applied.code());
  }
}

}  // namespace

void ProcessMailbox(platform::Platform& p, const otp::OtpHeader& header, UpdateRecord* updates) {
  ByteBuffer<mailbox::kMailboxCapacity> copy;
  mailbox::Requests requests;
  const mailbox::MailboxError error = mailbox::TakeRequests(p.ram, &copy, &requests);

  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kSm, image::ImageError::kOk);
  }
  report.mailbox_error = static_cast<uint16_t>(error);
  for (size_t i = 0; error == mailbox::MailboxError::kOk && i < requests.count; ++i) {
    const mailbox::Request& request = requests.items[i];
    BootReportRequest entry{};
    entry.type = static_cast<uint8_t>(request.type);
    entry.component = request.component;
    if (request.type == mailbox::RequestType::kRevoke) {
      ProcessRevoke(p, header, request.data, &entry);
    } else if (request.component < otp::kComponentCount &&
               (request.type == mailbox::RequestType::kConfirm ||
                request.type == mailbox::RequestType::kReject)) {
      const auto c = static_cast<Component>(request.component);
      UpdateRecord* record = &updates[request.component];
      entry.outcome = request.type == mailbox::RequestType::kConfirm
                          ? ConfirmTrial(p, header, c, record)
                          : RejectTrial(p, header, c, record);
      if (entry.outcome == static_cast<uint8_t>(RequestOutcome::kCommitFailed)) {
        entry.detail = static_cast<uint8_t>(record->detail);
      }
    } else {
      entry.outcome = static_cast<uint8_t>(RequestOutcome::kNoTrialImage);
    }
    (void)AppendRequest(&report, entry);
  }
  SecureWipe(copy.bytes.data(), copy.bytes.size());
  if (!WriteBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, Component::kSm, image::ImageError::kOk);
  }
}

}  // namespace bastion::boot
