// cose_tool: signs and verifies COSE files with src/cose, for the
// independent Python cross-check (tests/cose/cose_check.py). Test-only.
//
//   cose_tool sign    OUT PAYLOAD KEY [KEY ...]  COSE_Sign (tag 98), one signer per key
//   cose_tool sign1   OUT PAYLOAD KEY            COSE_Sign1 (tag 18)
//   cose_tool verify  IN PUBKEY [PUBKEY ...]     every signer's kid must name one of the
//                                                keys (SHA-256 of its SPKI) and verify
//   cose_tool verify1 IN PUBKEY [PUBKEY ...]
// Keys are PEM or DER files. Exit status: 0 verified / written, 1 a
// signature did not verify or no key matched a kid, 2 the message was
// refused by the parser (its CoseError is printed), 3 usage or I/O error.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cose/cose.h"
#include "crypto/crypto.h"

namespace {

using bastion::ConstByteSpan;
using Bytes = std::vector<uint8_t>;
namespace cose = bastion::cose;
namespace crypto = bastion::crypto;

bool ReadFile(const char* path, Bytes* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

bool WriteFile(const char* path, const Bytes& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

Bytes Kid(const crypto::EcPublicKey& key) {
  uint8_t spki[crypto::kMaxSpkiDerSize];
  size_t n = 0;
  if (!crypto::WritePublicKeySpki(key, spki, &n).ok()) return {};
  const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, ConstByteSpan(spki, n));
  return Bytes(d.bytes.begin(), d.bytes.begin() + 32);
}

int Usage() {
  std::fprintf(stderr,
               "usage: cose_tool sign|sign1 OUT PAYLOAD KEY...\n"
               "       cose_tool verify|verify1 IN PUBKEY...\n");
  return 3;
}

int Sign(bool sign1, int argc, char** argv) {
  Bytes payload;
  if (!ReadFile(argv[3], &payload)) return Usage();
  std::vector<crypto::EcKeyPair> keys(static_cast<size_t>(argc - 4));
  std::vector<Bytes> kids;
  for (int i = 4; i < argc; ++i) {
    Bytes file;
    if (!ReadFile(argv[i], &file) ||
        !crypto::ParseKeyFile(file, nullptr, &keys[static_cast<size_t>(i - 4)]).ok()) {
      std::fprintf(stderr, "cose_tool: cannot read private key %s\n", argv[i]);
      return 3;
    }
    kids.push_back(Kid(keys[static_cast<size_t>(i - 4)].public_key));
  }
  std::vector<cose::SignerInput> signers;
  for (size_t i = 0; i < keys.size(); ++i) signers.push_back({&keys[i], kids[i]});
  Bytes out(cose::kMaxMessageSize);
  size_t written = 0;
  const bastion::Status status =
      sign1 ? cose::BuildCoseSign1(payload, signers.at(0), {}, out, &written)
            : cose::BuildCoseSign(payload, signers, {}, out, &written);
  if (!status.ok()) {
    std::fprintf(stderr, "cose_tool: build failed: %s\n", bastion::StatusName(status));
    return 3;
  }
  out.resize(written);
  return WriteFile(argv[2], out) ? 0 : 3;
}

int Verify(bool sign1, int argc, char** argv) {
  Bytes message;
  if (!ReadFile(argv[2], &message)) return Usage();
  std::vector<crypto::EcPublicKey> keys(static_cast<size_t>(argc - 3));
  std::vector<Bytes> kids;
  for (int i = 3; i < argc; ++i) {
    Bytes file;
    crypto::EcPublicKey& key = keys[static_cast<size_t>(i - 3)];
    if (!ReadFile(argv[i], &file) || !crypto::ParseKeyFile(file, &key, nullptr).ok()) {
      std::fprintf(stderr, "cose_tool: cannot read public key %s\n", argv[i]);
      return 3;
    }
    kids.push_back(Kid(key));
  }
  auto find_key = [&](ConstByteSpan kid) -> const crypto::EcPublicKey* {
    for (size_t i = 0; i < kids.size(); ++i) {
      if (kid.size() == kids[i].size() &&
          std::memcmp(kid.data(), kids[i].data(), kid.size()) == 0) {
        return &keys[i];
      }
    }
    return nullptr;
  };
  bastion::cbor::CborError detail = bastion::cbor::CborError::kOk;
  if (sign1) {
    cose::ParsedCoseSign1 parsed;
    const cose::CoseError error =
        cose::ParseCoseSign1(message, cose::TagPolicy::kAllowEither, &parsed, &detail);
    if (error != cose::CoseError::kOk) {
      std::printf("refused: %s (%s)\n", cose::CoseErrorName(error),
                  bastion::cbor::CborErrorName(detail));
      return 2;
    }
    const crypto::EcPublicKey* key = find_key(parsed.signer.kid);
    const bool ok = key != nullptr && bastion::HardenedIsTrue(cose::VerifyCoseSign1(parsed, *key));
    std::printf("signer 0: %s\n", key == nullptr ? "no key for kid" : ok ? "ok" : "bad signature");
    return ok ? 0 : 1;
  }
  cose::ParsedCoseSign parsed;
  const cose::CoseError error =
      cose::ParseCoseSign(message, cose::TagPolicy::kAllowEither, &parsed, &detail);
  if (error != cose::CoseError::kOk) {
    std::printf("refused: %s (%s)\n", cose::CoseErrorName(error),
                bastion::cbor::CborErrorName(detail));
    return 2;
  }
  bool all = true;
  for (size_t i = 0; i < parsed.signer_count; ++i) {
    const crypto::EcPublicKey* key = find_key(parsed.signers[i].kid);
    const bool ok = key != nullptr && bastion::HardenedIsTrue(cose::VerifySigner(parsed, i, *key));
    std::printf("signer %zu: %s\n", i,
                key == nullptr ? "no key for kid"
                : ok           ? "ok"
                               : "bad signature");
    all = all && ok;
  }
  return all ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return Usage();
  const std::string command = argv[1];
  if (command == "sign" && argc >= 5) return Sign(false, argc, argv);
  if (command == "sign1" && argc == 5) return Sign(true, argc, argv);
  if (command == "verify") return Verify(false, argc, argv);
  if (command == "verify1") return Verify(true, argc, argv);
  return Usage();
}
