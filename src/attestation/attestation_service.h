// AttestationService: the partition behind psa/initial_attestation.h.
//
//   BASTION_ATTESTATION_SID  GET_TOKEN, GET_TOKEN_SIZE (bastion/crypto_service.h)
//
//   GET_TOKEN       in[0] challenge (32, 48 or 64 bytes)  out[0] the token
//   GET_TOKEN_SIZE  in[0] challenge size (4, LE)           out[0] token size (4, LE)
//
// Answers: PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (a challenge or challenge
// size other than 32, 48, 64); PSA_ERROR_BUFFER_TOO_SMALL (out[0] shorter
// than the token: nothing written, nothing signed); PSA_ERROR_SERVICE_FAILURE
// (no claims: the SM found no boot report or could not gather them; or the
// signer failed); PSA_ERROR_PROGRAMMER_ERROR (GET_TOKEN_SIZE vectors not 4
// bytes); PSA_ERROR_NOT_SUPPORTED (another request type).
//
// The claims are the SM's (claims.h), gathered once, at the first request
// that needs them (ClaimsSource); the client id claim is the caller's, from
// the message, never from the request. Volatile state: the token under
// construction, wiped after every request.
#pragma once

#include <cstdint>

#include "attestation/token.h"
#include "sm/partition.h"

namespace bastion::attestation {

// Where the service takes its claims: gathering them costs the IAK's public
// key (a scalar multiplication), so the owner does it at the first request
// rather than on every start.
class ClaimsSource {
 public:
  // The claims for this boot; null when there are none (the service then
  // answers PSA_ERROR_SERVICE_FAILURE). Called on every request.
  virtual const TokenClaims* Claims() = 0;

 protected:
  ~ClaimsSource() = default;
};

class AttestationService final : public sm::Partition {
 public:
  // Fixed claims: `claims` (null: none) and `signer` outlive the service.
  AttestationService(const TokenClaims* claims, TokenSigner& signer)
      : fixed_claims_(claims), signer_(signer) {}
  // Claims from `source`, which outlives the service.
  AttestationService(ClaimsSource& source, TokenSigner& signer)
      : source_(&source), signer_(signer) {}
  ~AttestationService() { SecureWipe(token_, sizeof(token_)); }
  AttestationService(const AttestationService&) = delete;
  AttestationService& operator=(const AttestationService&) = delete;

  sm::Reply Serve(const sm::ServiceDecl& service, sm::Message& message) override;
  void Restart(const sm::PartitionDecl& /*declaration*/) override {
    SecureWipe(token_, sizeof(token_));
  }

 private:
  psa_status_t GetToken(sm::Message& message);
  psa_status_t GetTokenSize(sm::Message& message);
  const TokenClaims* Claims() { return source_ != nullptr ? source_->Claims() : fixed_claims_; }

  const TokenClaims* fixed_claims_ = nullptr;
  ClaimsSource* source_ = nullptr;
  TokenSigner& signer_;
  uint8_t token_[kMaxTokenSize] = {};
};

}  // namespace bastion::attestation
