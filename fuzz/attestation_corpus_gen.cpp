// Writes the seed corpus of attestation_verify_fuzzer into DIR: tokens for
// each challenge size signed with the fuzzer's IAK (mode byte 1) and their
// claims maps (mode byte 0).
//   ./build/fuzz/fuzz/attestation_corpus_gen fuzz/corpus/attestation
#include <cstdio>
#include <string>
#include <vector>

#include "attestation/iak_signer.h"
#include "attestation/token.h"

using namespace bastion;
using namespace bastion::attestation;

namespace {

bool Write(const std::string& path, uint8_t mode, ConstByteSpan bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok =
      std::fputc(mode, f) != EOF && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  uint8_t seed[32];
  for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(0xa5 ^ i);
  IakSigner signer;
  if (!signer.Init(seed).ok()) return 1;
  TokenClaims c;
  std::copy(signer.key_hash().begin(), signer.key_hash().end(), c.key_hash);
  c.security_lifecycle = 0x3000;
  c.component_count = 3;
  const char* types[3] = {"BL", "PRoT", "App"};
  for (size_t i = 0; i < 3; ++i) {
    SoftwareComponent& s = c.components[i];
    s.measurement_type = types[i];
    s.hash_alg = i == 1 ? crypto::HashAlg::kSha384 : crypto::HashAlg::kSha256;
    s.version = {static_cast<uint8_t>(i), 2, 3, static_cast<uint32_t>(i * 7)};
    for (size_t b = 0; b < sizeof(s.measurement); ++b)
      s.measurement[b] = static_cast<uint8_t>(b + i);
  }
  c.domain_count = 3;
  c.domains[0] = {"urot", "BL", true, 3, 0x1, 0x6, 2, 16};
  c.domains[1] = {"sm", "PRoT", false, 0, 0, 0, 0, 0};
  c.domains[2] = {"app", "App", true, 0, 0, 0x3, 0, 16};
  c.verification_service = "https://attestation.bastion.example/verify";
  const std::string dir = argv[1];
  for (size_t size : {32u, 48u, 64u}) {
    std::vector<uint8_t> challenge(size, static_cast<uint8_t>(size));
    std::vector<uint8_t> token(kMaxTokenSize), claims(kMaxTokenSize);
    size_t n = 0, m = 0;
    if (!BuildToken(c, -1, challenge, signer, token, &n).ok() ||
        !EncodeClaims(c, -1, challenge, claims, &m).ok() ||
        !Write(dir + "/token-" + std::to_string(size), 1, ConstByteSpan(token.data(), n)) ||
        !Write(dir + "/claims-" + std::to_string(size), 0, ConstByteSpan(claims.data(), m))) {
      std::fprintf(stderr, "cannot write the corpus\n");
      return 1;
    }
  }
  return 0;
}
