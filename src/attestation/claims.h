// Gathering the claims that are fixed for a boot (TokenClaims, token.h)
// from what the Secure Manager holds: its copy of the boot report, the
// flash key store, the IAK's key hash, the boot seed and the configuration.
//
//   software components  one per image the report shows verified, in
//                        report order: measurement type by component
//                        (urot "BL", sm "PRoT", app "App"), the image's
//                        measurement (SHA-256, or SHA-384 for a SHA-384
//                        image), its version, and the signer id
//   signer id            SHA-256 of the SubjectPublicKeyInfo DER of the key
//                        in the flash key store entry (component, key_slot
//                        the report names): the value the OTP key slot
//                        holds and `bastion getpubhash` prints
//   security lifecycle   the report's lifecycle (SecurityLifecycle)
//   revocation claim     one entry per key domain the report carries
//
// The key store is readable at HDPL2 and written only at provisioning
// (platform/access_policy.h); the OTP key slots that vouch for it are not
// readable here, so the SM trusts the store as the access policy leaves it.
#pragma once

#include <cstdint>
#include <span>

#include "attestation/token.h"
#include "boot/boot_report.h"
#include "common/status.h"
#include "otp/otp_map.h"
#include "platform/platform.h"

namespace bastion::attestation {

// Implementation ID: Bastion's immutable RoT (the iROT and the hardware it
// runs on) is not measured by anything, so it is named by a product
// constant: SHA-256 of the ASCII text "bastion irot 1". A port with its own
// iROT replaces it (and its verifier's reference values name it).
inline constexpr uint8_t kImplementationId[kImplementationIdSize] = {
    0x64, 0xeb, 0x04, 0x12, 0xbb, 0x2a, 0x93, 0x9b, 0x1a, 0x23, 0x6a, 0x91, 0x96, 0xae, 0x1a, 0xc6,
    0x64, 0xfc, 0x3d, 0xbc, 0x2e, 0xd7, 0x2b, 0xda, 0xef, 0xed, 0x88, 0xc5, 0x9a, 0xe4, 0x0d, 0xc1};

// The verification service indicator the Secure Manager puts in its tokens.
inline constexpr char kVerificationService[] = "https://attestation.bastion.example/verify";
static_assert(sizeof(kVerificationService) - 1 <= kMaxVerificationServiceSize);

// The measurement type of a component's images ("BL", "PRoT", "App"), or
// null for a component Bastion does not know.
const char* MeasurementType(uint8_t component);

// Where signer ids come from.
class SignerIds {
 public:
  // SHA-256 of the public key that signing slot `key_slot` of `component`'s
  // domain holds. Returns kOk or why it is unavailable.
  virtual Status SignerId(uint8_t component, uint8_t key_slot, std::span<uint8_t, 32> out) = 0;

 protected:
  ~SignerIds() = default;
};

// Signer ids from the flash key store (`key_store`: the layout's region).
class KeyStoreSignerIds final : public SignerIds {
 public:
  KeyStoreSignerIds(platform::Flash& flash, otp::FlashRegion key_store)
      : flash_(flash), key_store_(key_store) {}
  // Returns kOk, kInvalidArgument (component or slot out of range), or what
  // keys::ReadKeyStoreEntry returns (kNotFound: the entry is empty,
  // kDataLoss, a flash error).
  Status SignerId(uint8_t component, uint8_t key_slot, std::span<uint8_t, 32> out) override;

 private:
  platform::Flash& flash_;
  otp::FlashRegion key_store_;
};

struct ClaimInputs {
  const boot::BootReport* report = nullptr;  // the SM's copy
  SignerIds* signer_ids = nullptr;
  std::span<const uint8_t, kKeyHashSize> key_hash;  // IakKeyHash of the IAK
  std::span<const uint8_t, kBootSeedSize> boot_seed;
  const char* verification_service = kVerificationService;  // static text
};

// Fills *out. Returns kOk; kFailedPrecondition (no report, or no verified
// image in it); kDataLoss (an entry names an unknown component or hash);
// or the SignerIds error of the first component whose signer id is
// unavailable.
Status CollectClaims(const ClaimInputs& inputs, TokenClaims* out);

}  // namespace bastion::attestation
