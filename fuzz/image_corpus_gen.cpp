// Writes the seed corpus of image_parser_fuzzer: valid images signed with the
// fuzzer's fixed keys (each prefixed with the fuzzer's selector byte).
// Usage: image_corpus_gen <output directory>
#include <cstdio>
#include <string>
#include <vector>

#include "fuzz_key.h"
#include "image/image.h"

namespace {

using namespace bastion;

bool Write(const std::string& dir, const char* name, uint8_t selector,
           const std::vector<uint8_t>& image) {
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(&selector, 1, 1, f) == 1 &&
                  std::fwrite(image.data(), 1, image.size(), f) == image.size();
  return std::fclose(f) == 0 && ok;
}

bool Seed(const std::string& dir, const char* name, crypto::Curve curve, image::SignOptions options,
          size_t payload_size) {
  crypto::EcKeyPair key;
  if (!fuzz::ImageFuzzKey(curve, &key)) return false;
  std::vector<uint8_t> payload(payload_size, 0);
  for (size_t i = options.header_size; i < payload.size(); ++i)
    payload[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> out(payload_size + options.header_size + options.slot_size + 512);
  size_t written = 0;
  const image::BuildError error = image::BuildSignedImage(payload, options, key, out, &written);
  if (error != image::BuildError::kOk) {
    std::fprintf(stderr, "%s: %s\n", name, image::BuildErrorName(error));
    return false;
  }
  out.resize(written);
  const uint8_t selector = curve == crypto::Curve::kP384 ? 1 : 0;
  return Write(dir, name, selector, out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const uint8_t revocation[] = {0xd8, 0x62, 0x84, 0x40, 0xa0, 0x40, 0x80};
  image::SignOptions plain;
  image::SignOptions full = plain;
  full.full_public_key = true;
  image::SignOptions counter = plain;
  counter.has_security_counter = true;
  counter.security_counter = 3;
  counter.revocation = revocation;
  const image::ImageDependency deps[] = {{1, {1, 2, 3, 4}}, {0, {0, 0, 1, 0}}};
  image::SignOptions dependent = counter;
  dependent.dependencies = deps;
  image::SignOptions ram_load = plain;
  ram_load.load_addr = 0x20000000;
  image::SignOptions padded = plain;
  padded.slot_size = 1024;
  padded.max_sectors = 8;
  padded.confirm = true;
  bool ok = Seed(dir, "p256_keyhash", crypto::Curve::kP256, plain, 64) &&
            Seed(dir, "p256_pubkey", crypto::Curve::kP256, full, 64) &&
            Seed(dir, "p256_seccnt_revocation", crypto::Curve::kP256, counter, 96) &&
            Seed(dir, "p256_confirmed", crypto::Curve::kP256, padded, 64) &&
            Seed(dir, "p384_keyhash", crypto::Curve::kP384, plain, 64) &&
            Seed(dir, "p384_pubkey_seccnt", crypto::Curve::kP384, counter, 48) &&
            Seed(dir, "p256_dependencies", crypto::Curve::kP256, dependent, 64) &&
            Seed(dir, "p256_ram_load", crypto::Curve::kP256, ram_load, 64);
  return ok ? 0 : 1;
}
