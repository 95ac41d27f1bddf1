// uROT's processing of the request mailbox (issue 3, DESIGN §2): what the
// application asked for at the last reset — confirm, reject, revoke — taken
// (copied, wiped, parsed) before any image is verified, each request's
// outcome recorded in the boot report.
#pragma once

#include "boot/boot_report.h"
#include "boot/boot_update.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::boot {

// Takes the mailbox and acts on it; called by RunUrot at HDPL1 before it
// verifies the Secure Manager and the application.
//  - A mailbox that does not parse: its MailboxError goes into the report,
//    nothing else happens (hostile input), the boot goes on.
//  - revoke, domain sm or app: revocation::CheckCommand against the domain
//    as it is in OTP now, this device's instance ID and lifecycle, the key
//    store, and the key slot that signs the image in the component's primary
//    slot (kNoImage when it does not verify; no secondary: the update engine
//    is not wired yet); ApplyRevocation when accepted.
//  - revoke, domain urot: refused kUrotRevocationUnsupported (only iROT may
//    write the HDPL0 area, and iROT has no room for COSE/CBOR; see
//    docs/revocation.md).
//  - confirm / reject: ConfirmTrial / RejectTrial (boot_update.h) when the
//    component's primary is in TRIAL, else kNoTrialImage; what they did goes
//    into `updates[component]`.
// Never fails the boot itself; a key domain that cannot be read stops the
// boot through FailBoot as image verification would.
void ProcessMailbox(platform::Platform& p, const otp::OtpHeader& header, UpdateRecord* updates);

}  // namespace bastion::boot
