// Writes seed inputs for cose_fuzzer: COSE_Sign and COSE_Sign1 messages
// signed with the fuzzer's fixed keys (so their signatures verify in the
// fuzzer), tagged and untagged, each prefixed with the selector byte.
//   ./build/fuzz/fuzz/cose_corpus_gen fuzz/corpus/cose
#include <cstdio>
#include <string>
#include <vector>

#include "cose/cose.h"
#include "fuzz_key.h"

namespace {

namespace cose = bastion::cose;
namespace crypto = bastion::crypto;

bool Write(const std::string& path, uint8_t selector, const std::vector<uint8_t>& message) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(&selector, 1, 1, f) == 1 &&
                  std::fwrite(message.data(), 1, message.size(), f) == message.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cose_corpus_gen DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  crypto::EcKeyPair p256, p384;
  if (!bastion::fuzz::CoseFuzzKey(crypto::Curve::kP256, &p256) ||
      !bastion::fuzz::CoseFuzzKey(crypto::Curve::kP384, &p384)) {
    return 1;
  }
  const uint8_t kid256[32] = {1, 2, 3};
  const uint8_t kid384[32] = {4, 5, 6};
  const uint8_t payload[] = {0xa3, 0x01, 0x63, 'a', 'p', 'p', 0x02, 0x82, 0x01, 0x03, 0x03, 0x07};
  std::vector<uint8_t> out(cose::kMaxMessageSize);
  size_t n = 0;
  int failures = 0;

  const cose::SignerInput two[] = {{&p256, kid256}, {&p384, kid384}};
  cose::BuildOptions tagged;
  cose::BuildOptions untagged;
  untagged.tagged = false;
  cose::BuildOptions with_type;
  with_type.has_content_type = true;
  with_type.content_type = 60;

  struct Seed {
    const char* name;
    bool sign1;
    const cose::BuildOptions* options;
    size_t signers;
  };
  const Seed seeds[] = {{"sign_two_tagged", false, &tagged, 2},
                        {"sign_two_untagged", false, &untagged, 2},
                        {"sign_one_content_type", false, &with_type, 1},
                        {"sign1_p256", true, &tagged, 1},
                        {"sign1_untagged", true, &untagged, 1}};
  for (const Seed& seed : seeds) {
    const bastion::Status status =
        seed.sign1
            ? cose::BuildCoseSign1(payload, two[0], *seed.options, out, &n)
            : cose::BuildCoseSign(payload, std::span(two, seed.signers), *seed.options, out, &n);
    if (!status.ok()) return 1;
    const uint8_t selector = static_cast<uint8_t>((seed.sign1 ? 4 : 0) | 2);  // either tag
    if (!Write(dir + "/" + seed.name, selector,
               std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(n)))) {
      ++failures;
    }
  }
  // A P-384 Sign1.
  if (!cose::BuildCoseSign1(payload, two[1], tagged, out, &n).ok() ||
      !Write(dir + "/sign1_p384", 6,
             std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(n)))) {
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
