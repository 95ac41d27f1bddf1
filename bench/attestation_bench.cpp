// Initial Attestation figures: the token's size for each challenge size,
// and the time to build one (claims, Sig_structure hash, IAK derivation
// and ES256 signature, DER to r||s) against one bare ECDSA P-256 signature
// through the crypto facade. Claims as a device of three images gives them
// (urot and app SHA-256, sm SHA-384), three key domains. Host figures, not
// Cortex-M33 cycles.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "attestation/iak.h"
#include "attestation/iak_signer.h"
#include "attestation/token.h"
#include "crypto/crypto.h"

using namespace bastion;
using namespace bastion::attestation;

namespace {

constexpr int kBatches = 10;
constexpr int kRounds = 40;  // per batch

// Microseconds per call over one batch of kRounds calls. The caller keeps
// the fastest of kBatches batches (the machine may be shared; the minimum is
// the least disturbed).
template <typename F>
double MicrosecondsPer(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) f();
  const auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(end - start).count() / kRounds;
}

}  // namespace

int main() {
  uint8_t seed[32];
  for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(i * 7 + 1);
  IakSigner signer;
  if (!signer.Init(seed).ok()) return 1;
  TokenClaims c;
  std::copy(signer.key_hash().begin(), signer.key_hash().end(), c.key_hash);
  c.security_lifecycle = 0x3000;
  c.component_count = 3;
  const char* types[3] = {"BL", "PRoT", "App"};
  for (size_t i = 0; i < 3; ++i) {
    c.components[i].measurement_type = types[i];
    c.components[i].hash_alg = i == 1 ? crypto::HashAlg::kSha384 : crypto::HashAlg::kSha256;
    c.components[i].version = {1, 2, 3, 0};
  }
  c.domain_count = 3;
  c.domains[0] = {"urot", "BL", true, 0, 0, 0x3, 0, 16};
  c.domains[1] = {"sm", "PRoT", true, 0, 0, 0x1, 0, 16};
  c.domains[2] = {"app", "App", true, 1, 0x1, 0x6, 1, 16};
  c.verification_service = "https://attestation.bastion.example/verify";

  std::printf("attestation token (3 images, 3 key domains, client id -1):\n");
  std::vector<uint8_t> token(kMaxTokenSize);
  for (size_t size : {32u, 48u, 64u}) {
    size_t n = 0;
    if (!TokenSize(c, -1, size, &n).ok()) return 1;
    std::printf("  challenge %2zu bytes: token %zu bytes (max %zu)\n", size, n, kMaxTokenSize);
  }

  std::vector<uint8_t> challenge(32, 0x42);
  size_t written = 0;
  uint8_t d[32];
  if (!DeriveIakPrivateKey(seed, d).ok()) return 1;
  crypto::EcKeyPair pair;
  if (!crypto::KeyPairFromPrivateScalar(crypto::Curve::kP256, d, &pair).ok()) return 1;
  SecureWipe(d, sizeof(d));
  // Each call signs something else (a signature's time varies a little
  // with the per-message nonce k): the challenge, or the digest signed,
  // changes every round.
  uint8_t round = 0;
  // The three measured in turn, batch by batch, so that a busy moment of
  // the machine does not fall on one of them only.
  double build = 1e30, size_only = 1e30, sign = 1e30;
  const auto sign_once = [&] {
    uint8_t der[80];
    size_t n = 0;
    challenge[0] = ++round;
    const crypto::Digest digest = crypto::Hash(crypto::HashAlg::kSha256, challenge);
    if (!crypto::EcdsaSign(pair, digest.view(), der, &n).ok()) std::abort();
  };
  const auto build_once = [&] {
    challenge[0] = ++round;
    if (!BuildToken(c, -1, challenge, signer, token, &written).ok()) std::abort();
  };
  const auto size_once = [&] {
    size_t n = 0;
    if (!TokenSize(c, -1, 32, &n).ok()) std::abort();
  };
  for (int b = 0; b < kBatches; ++b) {
    sign = std::min(sign, MicrosecondsPer(sign_once));
    build = std::min(build, MicrosecondsPer(build_once));
    size_only = std::min(size_only, MicrosecondsPer(size_once));
  }
  std::printf("time per operation (host, fastest of %d batches of %d):\n", kBatches, kRounds);
  std::printf("  one ECDSA P-256 sign + SHA-256    %8.1f us\n", sign);
  std::printf("  GET_TOKEN_SIZE (claims encoded)  %8.1f us\n", size_only);
  std::printf("  GET_TOKEN (token built, signed)  %8.1f us  (%.2f x one sign)\n", build,
              build / sign);
  return 0;
}
