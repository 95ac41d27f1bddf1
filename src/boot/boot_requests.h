// uROT's processing of the request mailbox (docs/revocation.md): what the
// application asked for at the last reset — confirm, reject, revoke — taken
// (copied, wiped, parsed) before any image is verified, each request's
// outcome recorded in the boot report.
#pragma once

#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "otp/otp_map.h"
#include "platform/platform.h"
#include "revocation/revocation.h"

namespace bastion::boot {

// Decodes a revocation command's payload into `command` and the report
// entry's domain, sequence and slots; false when it does not decode (the
// checks then refuse it with their own reason).
bool PeekRevocation(ConstByteSpan message, BootReportRequest* entry,
                    revocation::RevocationCommand* command);

// Checks the revocation command `message` for `target` (revocation::
// CheckCommand against the domain as it is in OTP now, this device's
// instance ID and lifecycle, the key store and `bootable`) and applies it
// when accepted. The outcome (and, for a refusal, its detail) goes into
// `entry`. A key domain that cannot be read stops the boot (FailBoot).
void CheckAndApplyRevocation(platform::Platform& p, const otp::OtpHeader& header,
                             ConstByteSpan message, otp::Component target,
                             const revocation::BootableImages& bootable, BootReportRequest* entry);

// Takes the mailbox and acts on the requests for the components the
// calling stage owns (boot_update.h StageComponents); called by each stage
// before it verifies images — iROT with kIrotComponents at HDPL0, then uROT
// with kUrotComponents at HDPL1.
//  - A mailbox that does not parse: its MailboxError goes into the report,
//    nothing else happens (hostile input), the boot goes on. Without
//    `pass_on` (uROT), an empty mailbox leaves what iROT recorded.
//  - revoke: the command's domain is read from its payload. For an owned
//    domain: revocation::CheckCommand against the domain as it is in OTP
//    now, this device's instance ID and lifecycle, the key store, and the
//    key slots of every image the boot can end up running (BootableImagesOf:
//    the primary's and, while a revert may follow, the backup's; kNoImage
//    when one does not verify); ApplyRevocation when accepted.
//  - confirm / reject of an owned component: ConfirmTrial / RejectTrial
//    (boot_update.h) when its primary is in TRIAL, else kNoTrialImage; what
//    they did goes into `updates[component]`.
//  - Any other request (another stage's component, or a revoke whose payload
//    does not decode) is posted back into the mailbox for the next stage when
//    `pass_on` is set (iROT), else refused: kNotForThisStage, or the
//    command's own refusal reason.
// Never fails the boot itself; a key domain that cannot be read stops the
// boot through FailBoot as image verification would.
void ProcessMailbox(platform::Platform& p, const otp::OtpHeader& header, StageComponents owned,
                    bool pass_on, UpdateRecord* updates);

}  // namespace bastion::boot
