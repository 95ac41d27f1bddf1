#include "attestation/claims.h"

#include <cstring>

#include "crypto/crypto.h"
#include "keys/key_domain.h"

static_assert(bastion::attestation::kMaxRecords == bastion::otp::kLogEntries);

namespace bastion::attestation {

const char* MeasurementType(uint8_t component) {
  switch (static_cast<otp::Component>(component)) {
    case otp::Component::kUrot:
      return "BL";
    case otp::Component::kSm:
      return "PRoT";
    case otp::Component::kApp:
      return "App";
  }
  return nullptr;
}

Status KeyStoreSignerIds::SignerId(uint8_t component, uint8_t key_slot,
                                   std::span<uint8_t, 32> out) {
  if (component >= otp::kComponentCount || key_slot >= otp::kSigningSlots) {
    return StatusCode::kInvalidArgument;
  }
  otp::FlashLayout layout{};
  layout.key_store = key_store_;
  ByteBuffer<124> der;
  BASTION_TRY(keys::ReadKeyStoreEntry(flash_, layout, static_cast<otp::Component>(component),
                                      key_slot, &der));
  const crypto::Digest digest = crypto::Hash(crypto::HashAlg::kSha256, der.view());
  if (digest.size != out.size()) return StatusCode::kInternal;
  std::memcpy(out.data(), digest.bytes.data(), out.size());
  return StatusCode::kOk;
}

Status CollectClaims(const ClaimInputs& in, TokenClaims* out) {
  if (in.report == nullptr || in.signer_ids == nullptr) return StatusCode::kFailedPrecondition;
  const boot::BootReport& report = *in.report;
  TokenClaims c{};
  std::memcpy(c.key_hash, in.key_hash.data(), kKeyHashSize);
  c.security_lifecycle = SecurityLifecycle(report.lifecycle);
  std::memcpy(c.implementation_id, kImplementationId, kImplementationIdSize);
  std::memcpy(c.boot_seed, in.boot_seed.data(), kBootSeedSize);
  c.verification_service = in.verification_service != nullptr ? in.verification_service : "";

  const size_t images =
      report.image_count < boot::kMaxReportImages ? report.image_count : boot::kMaxReportImages;
  for (size_t i = 0; i < images; ++i) {
    const boot::BootReportImage& image = report.images[i];
    if (image.verified != 1) continue;
    if (c.component_count == kMaxComponents) return StatusCode::kDataLoss;
    SoftwareComponent& s = c.components[c.component_count];
    s.measurement_type = MeasurementType(image.component);
    if (s.measurement_type == nullptr) return StatusCode::kDataLoss;
    if (image.hash_alg == static_cast<uint8_t>(crypto::HashAlg::kSha256)) {
      s.hash_alg = crypto::HashAlg::kSha256;
    } else if (image.hash_alg == static_cast<uint8_t>(crypto::HashAlg::kSha384)) {
      s.hash_alg = crypto::HashAlg::kSha384;
    } else {
      return StatusCode::kDataLoss;
    }
    static_assert(sizeof(s.measurement) == sizeof(image.measurement));
    std::memcpy(s.measurement, image.measurement, sizeof(s.measurement));
    s.version = image.version;
    BASTION_TRY(in.signer_ids->SignerId(image.component, image.key_slot, s.signer_id));
    ++c.component_count;
  }
  if (c.component_count == 0) return StatusCode::kFailedPrecondition;

  static_assert(sizeof(report.domains) / sizeof(report.domains[0]) == kMaxDomains);
  for (size_t i = 0; i < kMaxDomains; ++i) {
    const boot::BootReportDomain& d = report.domains[i];
    if (d.state == static_cast<uint8_t>(boot::DomainReport::kNotReported)) continue;
    // domains[c] is the entry of component c (boot_report.h).
    DomainRevocation& r = c.domains[c.domain_count++];
    r.name = otp::ComponentName(static_cast<otp::Component>(i));
    r.serves = MeasurementType(static_cast<uint8_t>(i));
    r.readable = d.state == static_cast<uint8_t>(boot::DomainReport::kRead);
    if (!r.readable) continue;
    r.sequence = d.revocation_sequence;
    for (size_t slot = 0; slot < otp::kSigningSlots; ++slot) {
      const uint8_t bit = static_cast<uint8_t>(1u << slot);
      if (d.signing_slots[slot] == static_cast<uint8_t>(keys::SlotState::kRevoked)) {
        r.revoked_slots |= bit;
      } else if (d.signing_slots[slot] == static_cast<uint8_t>(keys::SlotState::kProvisioned)) {
        r.provisioned_slots |= bit;
      }
    }
    if (d.records_used > d.records_capacity || d.records_capacity > kMaxRecords) {
      return StatusCode::kDataLoss;
    }
    r.records_used = d.records_used;
    r.records_capacity = d.records_capacity;
  }
  *out = c;
  return StatusCode::kOk;
}

}  // namespace bastion::attestation
