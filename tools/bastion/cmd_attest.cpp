// `bastion attest verify`, `bastion device iak` and `bastion device attest`:
// the Initial Attestation token from the host (docs/attestation.md).
#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attestation/iak.h"
#include "attestation_verify/attestation_verify.h"
#include "bastion/crypto_service.h"
#include "bastion/services.h"
#include "cli_util.h"
#include "commands.h"
#include "common/hardened.h"
#include "otp/otp_map.h"
#include "psa/initial_attestation.h"
#include "psa_host/in_process_transport.h"
#include "secure_manager/secure_manager.h"
#include "virtual_device/virtual_device.h"

namespace bastion::cli {
namespace {

using json = nlohmann::ordered_json;

std::vector<uint8_t> ParseHex(const std::string& text, const std::string& what) {
  if (text.size() % 2 != 0) throw UsageError(what + " is not an even number of hex digits");
  std::vector<uint8_t> out;
  for (size_t i = 0; i < text.size(); i += 2) {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      throw UsageError(what + " is not hexadecimal");
    };
    out.push_back(static_cast<uint8_t>(nibble(text[i]) << 4 | nibble(text[i + 1])));
  }
  return out;
}

std::vector<uint8_t> NonceArgument(const std::string& text) {
  std::vector<uint8_t> nonce = ParseHex(text, "--nonce");
  if (nonce.size() != 32 && nonce.size() != 48 && nonce.size() != 64) {
    throw UsageError("--nonce must be 32, 48 or 64 bytes (64, 96 or 128 hex digits)");
  }
  return nonce;
}

std::string HexOf(const std::vector<uint8_t>& v) { return Hex(ConstByteSpan(v.data(), v.size())); }

std::string SlotList(uint8_t mask) {
  std::string s;
  for (unsigned i = 0; i < 8; ++i) {
    if ((mask & (1u << i)) == 0) continue;
    if (!s.empty()) s += ",";
    s += std::to_string(i);
  }
  return s.empty() ? "none" : s;
}

json SlotArray(uint8_t mask) {
  json a = json::array();
  for (unsigned i = 0; i < 8; ++i) {
    if ((mask & (1u << i)) != 0) a.push_back(i);
  }
  return a;
}

json TokenJson(const attest::Token& t) {
  const attest::Claims& c = t.claims;
  json j;
  j["verified"] = true;
  j["kid"] = HexOf(t.kid);
  j["profile"] = c.profile;
  j["client_id"] = c.client_id;
  j["security_lifecycle"] = c.security_lifecycle;
  j["security_lifecycle_name"] = attest::LifecycleName(c.security_lifecycle);
  j["lifecycle_trustworthy"] = attest::LifecycleTrustworthy(c.security_lifecycle);
  j["implementation_id"] = HexOf(c.implementation_id);
  j["instance_id"] = HexOf(c.instance_id);
  j["boot_seed"] = HexOf(c.boot_seed);
  j["nonce"] = HexOf(c.nonce);
  j["certification_reference"] =
      c.certification_reference ? json(*c.certification_reference) : json(nullptr);
  j["verification_service"] =
      c.verification_service ? json(*c.verification_service) : json(nullptr);
  json sw = json::array();
  for (const attest::SoftwareComponent& s : c.software_components) {
    json o;
    o["measurement_type"] = s.measurement_type ? json(*s.measurement_type) : json(nullptr);
    o["measurement_value"] = HexOf(s.measurement_value);
    o["version"] = s.version ? json(*s.version) : json(nullptr);
    o["signer_id"] = HexOf(s.signer_id);
    o["measurement_description"] =
        s.measurement_description ? json(*s.measurement_description) : json(nullptr);
    sw.push_back(o);
  }
  j["software_components"] = sw;
  if (c.revocation) {
    json domains = json::array();
    for (const attest::DomainState& d : *c.revocation) {
      json o;
      o["domain"] = d.name;
      o["serves"] = d.serves;
      o["readable"] = d.readable;
      if (d.readable) {
        o["revocation_sequence"] = d.sequence;
        o["revoked_slots"] = SlotArray(d.revoked_slots);
        o["provisioned_slots"] = SlotArray(d.provisioned_slots);
        o["records_used"] = d.records_used;
        o["records_capacity"] = d.records_capacity;
      }
      domains.push_back(o);
    }
    j["bastion_revocation"] = domains;
  } else {
    j["bastion_revocation"] = nullptr;
  }
  j["unknown_claims"] = c.unknown_claims;
  return j;
}

void PrintToken(const attest::Token& t) {
  const attest::Claims& c = t.claims;
  std::printf("token: signature and profile verified (ES256, kid %s)\n", HexOf(t.kid).c_str());
  std::printf("profile: %s\n", c.profile.c_str());
  std::printf("client id: %d\n", c.client_id);
  std::printf("security lifecycle: 0x%04x (%s%s)\n", c.security_lifecycle,
              attest::LifecycleName(c.security_lifecycle),
              attest::LifecycleTrustworthy(c.security_lifecycle) ? "" : ", not trustworthy");
  std::printf("implementation id: %s\n", HexOf(c.implementation_id).c_str());
  std::printf("instance id: %s\n", HexOf(c.instance_id).c_str());
  std::printf("boot seed: %s\n", HexOf(c.boot_seed).c_str());
  std::printf("nonce: %s\n", HexOf(c.nonce).c_str());
  if (c.certification_reference) {
    std::printf("certification reference: %s\n", c.certification_reference->c_str());
  }
  if (c.verification_service) {
    std::printf("verification service: %s\n", c.verification_service->c_str());
  }
  std::printf("software components:\n");
  for (const attest::SoftwareComponent& s : c.software_components) {
    std::printf("  %-4s %-12s %s %s\n", s.measurement_type.value_or("?").c_str(),
                s.version.value_or("-").c_str(),
                s.measurement_description.value_or("measurement").c_str(),
                HexOf(s.measurement_value).c_str());
    std::printf("       signer id %s\n", HexOf(s.signer_id).c_str());
  }
  if (c.revocation) {
    std::printf("key domains (bastion-revocation):\n");
    for (const attest::DomainState& d : *c.revocation) {
      if (!d.readable) {
        std::printf("  %-4s (signs %s): unreadable\n", d.name.c_str(), d.serves.c_str());
        continue;
      }
      std::printf(
          "  %-4s (signs %s): revocation sequence %u, revoked slots %s, provisioned slots %s, "
          "%u of %u records used\n",
          d.name.c_str(), d.serves.c_str(), d.sequence, SlotList(d.revoked_slots).c_str(),
          SlotList(d.provisioned_slots).c_str(), d.records_used, d.records_capacity);
    }
  }
  if (c.unknown_claims != 0) std::printf("unknown claims ignored: %zu\n", c.unknown_claims);
}

// Opens and boots the device in `dir`; throws unless the boot chain
// reached the application (the Secure Manager's secrets exist then).
std::unique_ptr<host::VirtualDevice> BootedDevice(const std::string& dir,
                                                  host::VirtualDevice::BootRun* run) {
  std::unique_ptr<host::VirtualDevice> device;
  try {
    device = host::VirtualDevice::Open(dir);
  } catch (const host::DeviceError& e) {
    throw CliError(e.what());
  }
  *run = device->Boot();
  if (!run->app_reached) {
    throw CliError("the device in " + dir + " did not boot (see bastion device boot)");
  }
  return device;
}

void WriteOutput(const std::optional<std::string>& path, ConstByteSpan bytes) {
  if (path) {
    WriteFileAtomic(*path, bytes);
  } else {
    WriteStdout(bytes);
  }
}

}  // namespace

int RunAttest(const std::vector<std::string>& args) {
  static constexpr const char* kUsage =
      "usage: bastion attest verify TOKEN --iak IAK_PUB.pem [--nonce HEX] [--json]\n"
      "Checks an Initial Attestation token (RFC 9783): the COSE_Sign1 and its ES256\n"
      "signature with the device's attestation key, every claim of the profile\n"
      "tag:psacertified.org,2023:psa#tfm, the instance id against the key, and the\n"
      "nonce when given; then prints the claims (text or --json).\n";
  if (args.empty() || args.front() == "-h" || args.front() == "--help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args.front() != "verify") {
    throw UsageError("unknown attest subcommand '" + args.front() +
                     "' (see bastion attest --help)");
  }
  const ParsedArgs a = ParseArgs(std::vector<std::string>(args.begin() + 1, args.end()),
                                 {{0, "iak", true}, {0, "nonce", true}, {0, "json", false}});
  if (a.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (a.positional().size() != 1) throw UsageError("attest verify takes one TOKEN file");
  attest::Expectations expect;
  if (a.Get("nonce")) expect.nonce = NonceArgument(*a.Get("nonce"));
  const crypto::EcPublicKey iak = LoadPublicKey(a.Require("iak"));
  if (iak.curve != crypto::Curve::kP256) throw CliError("the attestation key is not a P-256 key");
  const std::vector<uint8_t> token = ReadFile(a.positional()[0]);
  attest::Token t;
  const std::string error =
      attest::VerifyToken(ConstByteSpan(token.data(), token.size()), iak, expect, &t);
  if (!error.empty()) throw CliError("token refused: " + error);
  if (a.Has("json")) {
    std::printf("%s\n", TokenJson(t).dump(1).c_str());
  } else {
    PrintToken(t);
  }
  return kExitOk;
}

int RunDeviceIak(const std::vector<std::string>& args) {
  static constexpr const char* kUsage =
      "usage: bastion device iak DIR [-o FILE]\n"
      "Boots the device once (the boot chain only; the device files are left as\n"
      "they were) and prints its Initial Attestation Key's public key as PEM: what\n"
      "a factory registers with the verification service.\n";
  const ParsedArgs a = ParseArgs(args, {{'o', "output", true}});
  if (a.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (a.positional().size() != 1) throw UsageError("device iak takes one DIR");
  host::VirtualDevice::BootRun run;
  const auto device = BootedDevice(a.positional()[0], &run);
  std::array<uint8_t, 32> seed;
  std::memcpy(seed.data(), device->sm_secrets().attestation_seed, seed.size());
  crypto::EcPublicKey key;
  const Status derived = attestation::DeriveIakPublicKey(seed, &key);
  SecureWipe(seed.data(), seed.size());
  if (!derived.ok()) throw CliError("the attestation key cannot be derived");
  std::array<uint8_t, 256> pem{};
  size_t n = 0;
  if (!crypto::WritePublicKeyPem(key, pem, &n).ok()) throw CliError("cannot write the key as PEM");
  WriteOutput(a.Get("output"), ConstByteSpan(pem.data(), n));
  return kExitOk;
}

int RunDeviceAttest(const std::vector<std::string>& args) {
  static constexpr const char* kUsage =
      "usage: bastion device attest DIR [--nonce HEX] [-o TOKEN.cbor]\n"
      "Boots the device, starts its Secure Manager and asks the attestation service\n"
      "for a token as the application would (client id -1), for the challenge HEX\n"
      "(32, 48 or 64 bytes; default: 32 random bytes). Writes the token (binary) to\n"
      "FILE, or prints it in hex. The device files are saved after the boot.\n";
  const ParsedArgs a = ParseArgs(args, {{0, "nonce", true}, {'o', "output", true}});
  if (a.help()) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (a.positional().size() != 1) throw UsageError("device attest takes one DIR");
  std::vector<uint8_t> nonce(32);
  if (a.Get("nonce")) {
    nonce = NonceArgument(*a.Get("nonce"));
  } else {
    ReadEntropy(ByteSpan(nonce.data(), nonce.size()));
  }
  host::VirtualDevice::BootRun run;
  const auto device = BootedDevice(a.positional()[0], &run);
  device->Save();
  otp::OtpHeader header;
  if (!device->platform()
           .otp
           .Read(otp::kHeaderOffset, ByteSpan(reinterpret_cast<uint8_t*>(&header), sizeof(header)))
           .ok()) {
    throw CliError("the Secure Manager cannot read the flash layout");
  }
  std::array<uint8_t, 32> seed;
  std::array<uint8_t, 32> attestation_seed;
  std::memcpy(seed.data(), device->sm_secrets().storage_key, seed.size());
  std::memcpy(attestation_seed.data(), device->sm_secrets().attestation_seed,
              attestation_seed.size());
  const secure_manager::SecureManagerConfig config{
      .its = {device.get(), header.layout.storage.offset, header.layout.storage.size},
      .ps = {&device->external_flash(), 0, device->external_flash().geometry().size},
      .seed = seed,
      .attestation_seed = attestation_seed,
      .report = &run.report,
      .ram = device.get(),
      .rng = device.get(),
      .key_store = header.layout.key_store,
  };
  psa_host::ProcessMemory memory;
  secure_manager::SecureManager sm(config, memory);
  SecureWipe(seed.data(), seed.size());
  SecureWipe(attestation_seed.data(), attestation_seed.size());
  if (!sm.Start().ok()) throw CliError("the Secure Manager did not start");
  std::vector<uint8_t> token(PSA_INITIAL_ATTEST_MAX_TOKEN_SIZE);
  const psa_invec in[1] = {{nonce.data(), nonce.size()}};
  psa_outvec out[1] = {{token.data(), token.size()}};
  const psa_status_t status = sm.spm().Call(BASTION_NS_CLIENT_APP, BASTION_ATTESTATION_HANDLE,
                                            BASTION_ATTESTATION_GET_TOKEN, in, 1, out, 1);
  device->Save();
  if (status != PSA_SUCCESS) {
    throw CliError("the attestation service refused: status " + std::to_string(status));
  }
  token.resize(out[0].len);
  if (a.Get("output")) {
    WriteFileAtomic(*a.Get("output"), ConstByteSpan(token.data(), token.size()));
    std::printf("token: %zu bytes written to %s\nnonce: %s\n", token.size(),
                a.Get("output")->c_str(), HexOf(nonce).c_str());
  } else {
    std::printf("%s\n", HexOf(token).c_str());
  }
  return kExitOk;
}

}  // namespace bastion::cli
