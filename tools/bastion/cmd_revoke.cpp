// bastion revoke: make and inspect revocation commands
// (docs/revocation.md).
#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "cose/cose.h"
#include "revocation/revocation_command.h"

namespace bastion::cli {
namespace {

constexpr const char* kRevokeUsage =
    "usage: bastion revoke --domain D --slot N [--slot M ...] --seq S [--device ID]\n"
    "                      -k KEY [-k KEY ...] -o CMD.cose\n"
    "       bastion revoke --inspect CMD.cose [--json] [-k PUBKEY ...]\n"
    "\n"
    "Makes a revocation command: a COSE_Sign over the command payload, signed by\n"
    "every key given (one signature each, kid = SHA-256 of the key's\n"
    "SubjectPublicKeyInfo, ES256 for P-256 keys, ES384 for P-384 keys).\n"
    "  -d, --domain D       urot, sm or app\n"
    "  -s, --slot N         a signing-key slot to revoke (0..3); repeat for more\n"
    "  -q, --seq S          sequence number, above the device's stored one\n"
    "                       (1 .. 4294967294)\n"
    "      --device ID      only this device: its 64-hex-digit instance ID\n"
    "                       (bastion device status DIR --json); default: every device\n"
    "  -k, --key FILE       private key (PEM or DER); repeat for each signer\n"
    "  -o, --output FILE    the command, written atomically\n"
    "      --inspect FILE   print a command's payload and signers instead; with -k\n"
    "                       public keys, also verify the signers they match\n"
    "      --json           with --inspect: one JSON object\n"
    "  -h, --help           this text\n"
    "Numbers are decimal or 0x hexadecimal.\n"
    "Exit status: 0 success (--inspect: decoded, and every signer checked verified),\n"
    "1 failure, 2 usage error.\n";

std::array<uint8_t, 32> KidOf(const crypto::EcPublicKey& key) {
  const std::vector<uint8_t> der = SpkiDer(key);
  const crypto::Digest digest = crypto::Hash(crypto::HashAlg::kSha256, der);
  std::array<uint8_t, 32> kid{};
  std::copy(digest.bytes.begin(), digest.bytes.begin() + 32, kid.begin());
  return kid;
}

std::array<uint8_t, revocation::kInstanceIdSize> ParseInstanceId(const std::string& text) {
  std::array<uint8_t, revocation::kInstanceIdSize> id{};
  if (text.size() != 2 * id.size()) {
    throw UsageError("--device must be 64 hexadecimal digits (the instance ID)");
  }
  for (size_t i = 0; i < id.size(); ++i) {
    unsigned value = 0;
    for (size_t j = 0; j < 2; ++j) {
      const char c = text[2 * i + j];
      unsigned nibble;
      if (c >= '0' && c <= '9') {
        nibble = static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        nibble = static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        nibble = static_cast<unsigned>(c - 'A' + 10);
      } else {
        throw UsageError("--device must be 64 hexadecimal digits (the instance ID)");
      }
      value = value * 16 + nibble;
    }
    id[i] = static_cast<uint8_t>(value);
  }
  return id;
}

int Make(const ParsedArgs& parsed) {
  if (parsed.Has("json")) throw UsageError("--json goes with --inspect");
  revocation::RevocationCommand command;
  const std::string domain = parsed.Require("domain");
  if (!revocation::ParseDomainName(
          ConstByteSpan(reinterpret_cast<const uint8_t*>(domain.data()), domain.size()),
          &command.domain)) {
    throw UsageError("unknown domain '" + domain + "' (urot, sm or app)");
  }
  std::vector<std::string> slots = parsed.GetAll("slot");
  if (slots.empty()) throw UsageError("missing required option --slot");
  if (slots.size() > revocation::kMaxSlotsPerCommand) {
    throw UsageError("at most " + std::to_string(revocation::kMaxSlotsPerCommand) + " --slot");
  }
  std::vector<uint8_t> numbers;
  for (const std::string& s : slots) {
    numbers.push_back(static_cast<uint8_t>(ParseNumber(s, "--slot", otp::kSigningSlots - 1)));
  }
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (i > 0 && numbers[i] == numbers[i - 1]) {
      throw UsageError("slot " + std::to_string(numbers[i]) + " given twice");
    }
    command.slots[i] = numbers[i];
  }
  command.slot_count = static_cast<uint8_t>(numbers.size());
  command.sequence =
      static_cast<uint32_t>(ParseNumber(parsed.Require("seq"), "--seq", revocation::kMaxSequence));
  if (command.sequence < revocation::kMinSequence) throw UsageError("--seq must be at least 1");
  if (auto device = parsed.Get("device")) {
    command.has_instance_id = true;
    command.instance_id = ParseInstanceId(*device);
  }
  const std::vector<std::string> key_paths = parsed.GetAll("key");
  if (key_paths.empty()) throw UsageError("missing required option --key");
  if (key_paths.size() > cose::kMaxSigners) {
    throw UsageError("at most " + std::to_string(cose::kMaxSigners) + " keys");
  }
  const std::string output = parsed.Require("output");

  std::array<uint8_t, revocation::kMaxPayloadSize> payload{};
  size_t payload_size = 0;
  if (!revocation::EncodeCommand(command, payload, &payload_size).ok()) {
    throw CliError("cannot encode the command");
  }
  std::vector<crypto::EcKeyPair> keys;
  keys.reserve(key_paths.size());
  for (const std::string& path : key_paths) keys.push_back(LoadPrivateKey(path));
  std::vector<std::array<uint8_t, 32>> kids;
  for (const auto& key : keys) kids.push_back(KidOf(key.public_key));
  std::vector<cose::SignerInput> signers;
  for (size_t i = 0; i < keys.size(); ++i) signers.push_back({&keys[i], kids[i]});
  std::vector<uint8_t> out(cose::kMaxMessageSize);
  size_t written = 0;
  const Status built =
      cose::BuildCoseSign(ConstByteSpan(payload.data(), payload_size), signers, {}, out, &written);
  if (!built.ok()) throw CliError(std::string("cannot sign the command: ") + StatusName(built));
  out.resize(written);
  WriteFileAtomic(output, out);
  return kExitOk;
}

const char* AlgName(cose::Algorithm alg) {
  return alg == cose::Algorithm::kEs256 ? "ES256" : "ES384";
}

int Inspect(const ParsedArgs& parsed) {
  for (const char* option : {"domain", "slot", "seq", "device", "output"}) {
    if (parsed.Has(option))
      throw UsageError(std::string("--") + option + " cannot go with --inspect");
  }
  const std::string path = parsed.Require("inspect");
  const std::vector<uint8_t> message = ReadFile(path);
  cose::ParsedCoseSign parsed_message;
  cbor::CborError cbor_error = cbor::CborError::kOk;
  const cose::CoseError cose_error =
      cose::ParseCoseSign(message, cose::TagPolicy::kRequireTag, &parsed_message, &cbor_error);
  if (cose_error != cose::CoseError::kOk) {
    std::string why = cose::CoseErrorName(cose_error);
    if (cose_error == cose::CoseError::kMalformedCbor) {
      why += std::string(" (") + cbor::CborErrorName(cbor_error) + ")";
    }
    throw CliError(path + ": not a COSE_Sign revocation command: " + why);
  }
  revocation::RevocationCommand command;
  const revocation::PayloadError payload_error =
      revocation::DecodeCommand(parsed_message.payload, &command);
  if (payload_error != revocation::PayloadError::kOk) {
    throw CliError(
        path + ": malformed revocation payload: " + revocation::PayloadErrorName(payload_error));
  }
  std::vector<crypto::EcPublicKey> keys;
  for (const std::string& key_path : parsed.GetAll("key")) keys.push_back(LoadPublicKey(key_path));

  struct SignerInfo {
    std::string alg;
    std::string kid;
    int verified = -1;  // -1: no key given for it
  };
  std::vector<SignerInfo> signers;
  bool all_verified = true;
  for (size_t i = 0; i < parsed_message.signer_count; ++i) {
    const cose::CoseSigner& s = parsed_message.signers[i];
    SignerInfo info{AlgName(s.alg), Hex(s.kid), -1};
    for (const auto& key : keys) {
      const std::array<uint8_t, 32> kid = KidOf(key);
      if (s.kid.size() == kid.size() && std::equal(kid.begin(), kid.end(), s.kid.begin())) {
        info.verified = HardenedIsTrue(cose::VerifySigner(parsed_message, i, key)) ? 1 : 0;
      }
    }
    if (info.verified == 0) all_verified = false;
    signers.push_back(info);
  }

  std::vector<unsigned> slots(command.slots.begin(), command.slots.begin() + command.slot_count);
  const std::string device = command.has_instance_id ? Hex(command.instance_id) : "";
  if (parsed.Has("json")) {
    nlohmann::ordered_json j;
    j["domain"] = otp::ComponentName(command.domain);
    j["slots"] = slots;
    j["sequence"] = command.sequence;
    j["instance_id"] =
        command.has_instance_id ? nlohmann::ordered_json(device) : nlohmann::ordered_json();
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const SignerInfo& s : signers) {
      nlohmann::ordered_json e;
      e["alg"] = s.alg;
      e["kid"] = s.kid;
      e["verified"] =
          s.verified < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(s.verified == 1);
      list.push_back(e);
    }
    j["signers"] = list;
    const std::string text = j.dump(2) + "\n";
    WriteStdout(ConstByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  } else {
    std::string text =
        "revocation command (COSE_Sign, " + std::to_string(message.size()) + " bytes)\n";
    text += std::string("  domain:    ") + otp::ComponentName(command.domain) + "\n";
    text += "  slots:     ";
    for (size_t i = 0; i < slots.size(); ++i) text += (i ? ", " : "") + std::to_string(slots[i]);
    text += "\n  sequence:  " + std::to_string(command.sequence) + "\n";
    text +=
        "  device:    " + (command.has_instance_id ? device : std::string("every device")) + "\n";
    text += "  signers:   " + std::to_string(signers.size()) + "\n";
    for (size_t i = 0; i < signers.size(); ++i) {
      text += "    [" + std::to_string(i) + "] " + signers[i].alg + " kid " + signers[i].kid;
      if (signers[i].verified >= 0) text += signers[i].verified ? "  verified" : "  BAD SIGNATURE";
      text += "\n";
    }
    WriteStdout(ConstByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }
  if (!all_verified) throw CliError(path + ": a signature does not verify");
  return kExitOk;
}

}  // namespace

int RunRevoke(const std::vector<std::string>& args) {
  const ParsedArgs parsed = ParseArgs(args, {{'d', "domain", true, false},
                                             {'s', "slot", true, true},
                                             {'q', "seq", true, false},
                                             {0, "device", true, false},
                                             {'k', "key", true, true},
                                             {'o', "output", true, false},
                                             {0, "inspect", true, false},
                                             {0, "json", false, false}});
  if (parsed.help()) {
    std::fputs(kRevokeUsage, stdout);
    return kExitOk;
  }
  if (!parsed.positional().empty()) {
    throw UsageError("unexpected argument '" + parsed.positional().front() + "'");
  }
  return parsed.Has("inspect") ? Inspect(parsed) : Make(parsed);
}

}  // namespace bastion::cli
