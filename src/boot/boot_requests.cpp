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
    case static_cast<uint8_t>(RequestOutcome::kNotForThisStage):
      return "not-for-this-stage";
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

void FillCommand(const revocation::RevocationCommand& command, BootReportRequest* entry) {
  entry->component = static_cast<uint8_t>(command.domain);
  entry->sequence = command.sequence;
  for (size_t i = 0; i < command.slot_count && i < command.slots.size(); ++i) {
    if (command.slots[i] < 8) entry->revoked_slots |= static_cast<uint8_t>(1u << command.slots[i]);
  }
}

bool Owns(StageComponents owned, Component c) {
  for (const Component o : owned) {
    if (o == c) return true;
  }
  return false;
}

}  // namespace

bool PeekRevocation(ConstByteSpan message, BootReportRequest* entry,
                    revocation::RevocationCommand* command) {
  cose::ParsedCoseSign parsed;
  if (cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed) != cose::CoseError::kOk ||
      revocation::DecodeCommand(parsed.payload, command) != revocation::PayloadError::kOk) {
    return false;
  }
  FillCommand(*command, entry);
  return true;
}

void CheckAndApplyRevocation(platform::Platform& p, const otp::OtpHeader& header,
                             ConstByteSpan message, Component target,
                             const revocation::BootableImages& bootable, BootReportRequest* entry) {
  keys::KeyDomain domain;
  if (!keys::LoadDomain(p.otp, target, &domain).ok()) {
    FailBoot(p, BootReason::kDomainUnavailable, target, image::ImageError::kOk);
  }
  revocation::KeyStoreSlotKeys slot_keys(p.flash, header.layout, domain);
  const revocation::CheckContext context{
      domain, otp::LifecycleFromMarks(header.lifecycle_marks),
      std::span<const uint8_t, revocation::kInstanceIdSize>(header.instance_id), bootable,
      slot_keys};
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
  // The commit takes the hardened decision, not this comparison.
  const Status applied =
      revocation::ApplyRevocation(p.otp, target, outcome.command, outcome.accepted, bootable);
  if (!applied.ok()) {
    entry->outcome = static_cast<uint8_t>(RequestOutcome::kCommitFailed);
    entry->detail = static_cast<uint8_t>(applied.code());
  }
}

void ProcessMailbox(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                    bool pass_on, UpdateRecord* updates) {
  ByteBuffer<mailbox::kMailboxCapacity> copy;
  mailbox::Requests requests;
  const mailbox::MailboxError error = mailbox::TakeRequests(p.ram, &copy, &requests);
  const Component stage = owned.empty() ? Component::kSm : owned.front();

  BootReport report;
  if (!ReadBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, stage, image::ImageError::kOk);
  }
  // The first stage (pass_on) records what it found; a later one only a
  // mailbox it did not find empty (the first may have taken every request).
  if (error != mailbox::MailboxError::kEmpty || pass_on) {
    report.mailbox_error = static_cast<uint16_t>(error);
  }
  mailbox::Request later[mailbox::kMaxRequests];
  size_t later_count = 0;
  for (size_t i = 0; error == mailbox::MailboxError::kOk && i < requests.count; ++i) {
    const mailbox::Request& request = requests.items[i];
    BootReportRequest entry{};
    entry.type = static_cast<uint8_t>(request.type);
    entry.component = request.component;
    Component target = Component::kApp;
    bool decoded = false;
    if (request.type == mailbox::RequestType::kRevoke) {
      entry.component = kUnknownDomain;
      revocation::RevocationCommand command;
      decoded = PeekRevocation(request.data, &entry, &command);
      if (decoded) target = command.domain;
    } else if (request.component < otp::kComponentCount) {
      target = static_cast<Component>(request.component);
      decoded = true;
    }
    const bool ours = decoded && Owns(owned, target);
    if (!ours && pass_on) {
      later[later_count++] = request;  // the next stage's
      continue;
    }
    if (request.type == mailbox::RequestType::kRevoke) {
      if (ours || !decoded) {
        // Every image this boot can end up running keeps its key: the
        // primary, and while it may still be reverted (an unconfirmed TRIAL
        // is reverted by RunUpdates, after the mailbox) the backup it
        // reverts to. A command that does not decode gets CheckCommand's
        // refusal, with no image to protect.
        CheckAndApplyRevocation(
            p, header, request.data, decoded ? target : Component::kApp,
            decoded ? BootableImagesOf(p, header, target) : revocation::BootableImages{}, &entry);
      } else {
        entry.outcome = static_cast<uint8_t>(RequestOutcome::kNotForThisStage);
      }
    } else if (ours) {
      UpdateRecord* record = &updates[request.component];
      entry.outcome = request.type == mailbox::RequestType::kConfirm
                          ? ConfirmTrial(p, header, target, record)
                          : RejectTrial(p, header, target, record);
      if (entry.outcome == static_cast<uint8_t>(RequestOutcome::kCommitFailed)) {
        entry.detail = static_cast<uint8_t>(record->detail);
      }
    } else {
      entry.outcome = static_cast<uint8_t>(RequestOutcome::kNotForThisStage);
    }
    (void)AppendRequest(&report, entry, RequestSource::kMailbox);  // counted if dropped
  }
  // What is left goes back into the (wiped) region for the next stage; the
  // data still points into `copy`.
  if (later_count > 0) (void)mailbox::PostRequests(p.ram, later, later_count);
  SecureWipe(copy.bytes.data(), copy.bytes.size());
  if (!WriteBootReport(p.ram, &report).ok()) {
    FailBoot(p, BootReason::kReportUnavailable, stage, image::ImageError::kOk);
  }
}

}  // namespace bastion::boot
