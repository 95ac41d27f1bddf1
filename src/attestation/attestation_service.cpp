#include "attestation/attestation_service.h"

#include "bastion/crypto_service.h"
#include "common/bytes.h"
#include "psa/initial_attestation.h"

namespace bastion::attestation {
namespace {

static_assert(PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE == kMaxTokenSize);
static_assert(PSA_INITIAL_ATTEST_CHALLENGE_SIZE_32 == 32 &&
              PSA_INITIAL_ATTEST_CHALLENGE_SIZE_48 == 48 &&
              PSA_INITIAL_ATTEST_CHALLENGE_SIZE_64 == 64);

// Whether the request's status could not be better expressed: every Status
// from the token module that is not the caller's fault is a service failure.
psa_status_t ToPsa(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return PSA_SUCCESS;
    case StatusCode::kInvalidArgument:
      return PSA_ERROR_INVALID_ARGUMENT;
    case StatusCode::kResourceExhausted:
      return PSA_ERROR_BUFFER_TOO_SMALL;
    default:
      return PSA_ERROR_SERVICE_FAILURE;
  }
}

}  // namespace

sm::Reply AttestationService::Serve(const sm::ServiceDecl& /*service*/, sm::Message& message) {
  psa_status_t status = PSA_ERROR_NOT_SUPPORTED;
  switch (message.type()) {
    case sm::kMessageConnect:
    case sm::kMessageDisconnect:
      status = PSA_SUCCESS;
      break;
    case BASTION_ATTESTATION_GET_TOKEN:
      status = GetToken(message);
      break;
    case BASTION_ATTESTATION_GET_TOKEN_SIZE:
      status = GetTokenSize(message);
      break;
    default:
      break;
  }
  SecureWipe(token_, sizeof(token_));
  if (message.misused()) return sm::Reply::Fault();
  return sm::Reply::Status(status);
}

psa_status_t AttestationService::GetToken(sm::Message& m) {
  const size_t challenge_size = m.in_size(0);
  if (!ChallengeSizeValid(challenge_size)) return PSA_ERROR_INVALID_ARGUMENT;
  uint8_t challenge[64];
  if (m.Read(0, std::span<uint8_t>(challenge, challenge_size)) != challenge_size) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  const TokenClaims* claims = Claims();
  if (claims == nullptr) return PSA_ERROR_SERVICE_FAILURE;
  const int32_t client = m.client_id();
  size_t size = 0;
  Status s = TokenSize(*claims, client, challenge_size, &size);
  if (!s.ok()) return ToPsa(s);
  if (m.out_size(0) < size) return PSA_ERROR_BUFFER_TOO_SMALL;
  size_t written = 0;
  s = BuildToken(*claims, client, ConstByteSpan(challenge, challenge_size), signer_, token_,
                 &written);
  SecureWipe(challenge, sizeof(challenge));
  if (!s.ok()) return s.code() == StatusCode::kInternal ? PSA_ERROR_SERVICE_FAILURE : ToPsa(s);
  return m.Write(0, ConstByteSpan(token_, written)) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
}

psa_status_t AttestationService::GetTokenSize(sm::Message& m) {
  uint8_t field[4];
  if (m.in_size(0) != sizeof(field) || m.out_size(0) != sizeof(field) ||
      m.Read(0, field) != sizeof(field)) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  const uint32_t challenge_size = LoadLe32(field);
  if (!ChallengeSizeValid(challenge_size)) return PSA_ERROR_INVALID_ARGUMENT;
  const TokenClaims* claims = Claims();
  if (claims == nullptr) return PSA_ERROR_SERVICE_FAILURE;
  size_t size = 0;
  const Status s = TokenSize(*claims, m.client_id(), challenge_size, &size);
  if (!s.ok()) return ToPsa(s);
  StoreLe32(field, static_cast<uint32_t>(size));
  return m.Write(0, field) ? PSA_SUCCESS : PSA_ERROR_PROGRAMMER_ERROR;
}

}  // namespace bastion::attestation
