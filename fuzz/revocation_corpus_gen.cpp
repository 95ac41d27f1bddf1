// Writes the revocation fuzzer's seeds into DIR: payloads (mode byte 0x01)
// and COSE_Sign commands signed with the fuzz keys (mode byte 0x00), some
// accepted by the fuzz domain, some refused for each kind of reason.
//   ./build/fuzz/fuzz/revocation_corpus_gen fuzz/corpus/revocation
#include <cstdio>
#include <string>
#include <vector>

#include "cose/cose.h"
#include "revocation_fuzz_domain.h"

namespace {

using namespace bastion;

void Write(const std::string& dir, const std::string& name, uint8_t mode,
           const std::vector<uint8_t>& bytes) {
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fputc(mode, f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

revocation::RevocationCommand Command(otp::Component domain, std::vector<uint8_t> slots,
                                      uint32_t sequence, bool device) {
  revocation::RevocationCommand c;
  c.domain = domain;
  for (size_t i = 0; i < slots.size(); ++i) c.slots[i] = slots[i];
  c.slot_count = static_cast<uint8_t>(slots.size());
  c.sequence = sequence;
  c.has_instance_id = device;
  c.instance_id = fuzz::kFuzzInstanceId;
  return c;
}

std::vector<uint8_t> Payload(const revocation::RevocationCommand& c) {
  std::vector<uint8_t> out(revocation::kMaxPayloadSize);
  size_t n = 0;
  if (!revocation::EncodeCommand(c, out, &n).ok()) std::exit(1);
  out.resize(n);
  return out;
}

std::vector<uint8_t> Sign(const std::vector<uint8_t>& payload,
                          const std::vector<const crypto::EcKeyPair*>& keys) {
  std::vector<std::array<uint8_t, 32>> kids(keys.size());
  std::vector<cose::SignerInput> signers;
  for (size_t i = 0; i < keys.size(); ++i) {
    uint8_t hash[32];
    if (!fuzz::FuzzSlotHash(keys[i]->public_key, hash)) std::exit(1);
    std::copy(hash, hash + 32, kids[i].begin());
    signers.push_back({keys[i], kids[i]});
  }
  std::vector<uint8_t> out(4096);
  size_t n = 0;
  if (!cose::BuildCoseSign(payload, signers, {}, out, &n).ok()) std::exit(1);
  out.resize(n);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  crypto::EcKeyPair keys[2];
  keys::KeyDomain domain;
  if (!fuzz::FuzzDomain(keys, &domain)) return 1;
  const auto app = otp::Component::kApp;
  Write(dir, "payload-min", 1, Payload(Command(app, {1}, 7, false)));
  Write(dir, "payload-max", 1,
        Payload(Command(otp::Component::kUrot, {0, 1, 2, 3}, 0xfffffffe, true)));
  Write(dir, "accepted-two-keys", 0,
        Sign(Payload(Command(app, {2}, 6, false)), {&keys[0], &keys[1]}));
  Write(dir, "accepted-device", 0, Sign(Payload(Command(app, {0}, 9, true)), {&keys[1], &keys[0]}));
  Write(dir, "one-key", 0, Sign(Payload(Command(app, {2}, 6, false)), {&keys[0]}));
  Write(dir, "same-key-twice", 0, Sign(Payload(Command(app, {2}, 6, false)), {&keys[1], &keys[1]}));
  Write(dir, "replay", 0, Sign(Payload(Command(app, {2}, 5, false)), {&keys[0], &keys[1]}));
  Write(dir, "last-key", 0, Sign(Payload(Command(app, {0, 1, 2}, 6, false)), {&keys[0], &keys[1]}));
  Write(dir, "wrong-domain", 0,
        Sign(Payload(Command(otp::Component::kSm, {2}, 6, false)), {&keys[0], &keys[1]}));
  Write(dir, "blank-slot", 0, Sign(Payload(Command(app, {3}, 6, false)), {&keys[0], &keys[1]}));
  return 0;
}
