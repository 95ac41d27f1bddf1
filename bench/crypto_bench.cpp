// The PSA Crypto API through the client library against Mbed TLS called
// directly, measured in one run:
//   - direct: the same PSA Crypto core (Mbed TLS) called in this process
//     through its own functions (crypto_bench_direct.h): no client library,
//     no SPM, no partition;
//   - in-process: psa/crypto.h from libbastion_ns over the in-process
//     transport into the Secure Manager's crypto partition (what
//     bastion::psa_host does);
//   - gateway: the same client calls framed over a socket pair to a server
//     thread running the host gateway's loop (what the application process
//     does on the virtual device).
// SHA-256 and AES-256-GCM on 16 KiB messages (MB/s), ECDSA P-256 sign and
// verify of a SHA-256 digest (operations per second). Prints the figures and
// their ratios to direct.
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bastion/services.h"
#include "bastion_ns_transport.h"
#include "crypto_bench_direct.h"
#include "psa/crypto.h"
#include "sm_bench_rig.h"

namespace {

using namespace bastion;

constexpr size_t kMessageSize = 16 * 1024;
constexpr double kSecondsPerFigure = 0.5;

// Runs `op` until kSecondsPerFigure have passed; operations per second.
double Rate(const std::function<bool()>& op) {
  using Clock = std::chrono::steady_clock;
  if (!op()) return -1;  // warm-up, and the first failure shows
  long count = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 8; ++i) {
      if (!op()) return -1;
    }
    count += 8;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < kSecondsPerFigure);
  return static_cast<double>(count) / elapsed;
}

struct Figures {
  double sha256_mbps = 0;
  double gcm_mbps = 0;
  double sign_per_s = 0;
  double verify_per_s = 0;
};

double MegabytesPerSecond(double ops) { return ops * kMessageSize / 1e6; }

// psa/crypto.h over whichever transport is installed. `private_key` is the
// P-256 key both sides sign with (imported here, volatile).
Figures MeasurePsa(const std::vector<uint8_t>& message, const std::array<uint8_t, 32>& aes_key,
                   const std::vector<uint8_t>& private_key) {
  Figures f;
  std::vector<uint8_t> out(kMessageSize + 16);
  size_t length = 0;
  f.sha256_mbps = MegabytesPerSecond(Rate([&] {
    return psa_hash_compute(PSA_ALG_SHA_256, message.data(), message.size(), out.data(), 32,
                            &length) == PSA_SUCCESS;
  }));

  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&attributes, PSA_KEY_TYPE_AES);
  psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_ENCRYPT);
  psa_set_key_algorithm(&attributes, PSA_ALG_GCM);
  psa_key_id_t aes = PSA_KEY_ID_NULL;
  if (psa_import_key(&attributes, aes_key.data(), aes_key.size(), &aes) != PSA_SUCCESS) return f;
  std::array<uint8_t, 12> nonce{};
  uint32_t counter = 0;
  f.gcm_mbps = MegabytesPerSecond(Rate([&] {
    ++counter;
    std::memcpy(nonce.data(), &counter, sizeof counter);
    return psa_aead_encrypt(aes, PSA_ALG_GCM, nonce.data(), nonce.size(), nullptr, 0,
                            message.data(), message.size(), out.data(), out.size(),
                            &length) == PSA_SUCCESS;
  }));
  (void)psa_destroy_key(aes);

  psa_key_attributes_t ec = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&ec, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
  psa_set_key_usage_flags(&ec, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
  psa_set_key_algorithm(&ec, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
  psa_key_id_t key = PSA_KEY_ID_NULL;
  if (psa_import_key(&ec, private_key.data(), private_key.size(), &key) != PSA_SUCCESS) return f;
  std::array<uint8_t, 32> digest{};
  digest.fill(0x5a);
  std::array<uint8_t, 64> signature{};
  size_t signature_length = 0;
  f.sign_per_s = Rate([&] {
    return psa_sign_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), digest.data(), digest.size(),
                         signature.data(), signature.size(), &signature_length) == PSA_SUCCESS;
  });
  f.verify_per_s = Rate([&] {
    return psa_verify_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), digest.data(), digest.size(),
                           signature.data(), signature_length) == PSA_SUCCESS;
  });
  (void)psa_destroy_key(key);
  return f;
}

// The PSA Crypto core called directly (crypto_bench_direct.h), same inputs.
Figures MeasureDirect(const std::vector<uint8_t>& message) {
  Figures f;
  std::vector<uint8_t> out(kMessageSize + 16);
  std::array<uint8_t, 32> digest{};
  f.sha256_mbps = MegabytesPerSecond(
      Rate([&] { return bench::DirectSha256(message.data(), message.size(), out.data()); }));
  std::array<uint8_t, 12> nonce{};
  uint32_t counter = 0;
  f.gcm_mbps = MegabytesPerSecond(Rate([&] {
    ++counter;
    std::memcpy(nonce.data(), &counter, sizeof counter);
    return bench::DirectGcmEncrypt(nonce.data(), message.data(), message.size(), out.data());
  }));
  digest.fill(0x5a);
  std::array<uint8_t, 64> signature{};
  f.sign_per_s = Rate([&] { return bench::DirectSign(digest.data(), signature.data()); });
  f.verify_per_s = Rate([&] { return bench::DirectVerify(digest.data(), signature.data()); });
  return f;
}

void Row(const char* name, const char* unit, double direct, double in_process, double gateway) {
  std::printf("| %s | %.1f %s | %.1f %s | %.1f %s | %.2f | %.2f |\n", name, direct, unit,
              in_process, unit, gateway, unit, in_process / direct, gateway / direct);
}

}  // namespace

int main() {
  bench::SmBenchRig rig(BASTION_NS_CLIENT_APP);
  if (!rig.Start("crypto_bench")) return 1;
  const bastion_ns_transport_t& in_process = rig.in_process;
  const bastion_ns_transport_t& over_gateway = rig.over_gateway;

  // The same inputs everywhere; the P-256 key made by the service, exported.
  bastion_ns_set_transport(&in_process);
  if (psa_crypto_init() != PSA_SUCCESS) {
    std::fprintf(stderr, "crypto_bench: no crypto service\n");
    return 1;
  }
  std::vector<uint8_t> message(kMessageSize);
  std::array<uint8_t, 32> aes_key{};
  psa_key_attributes_t attributes = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&attributes, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
  psa_set_key_bits(&attributes, 256);
  psa_set_key_usage_flags(&attributes, PSA_KEY_USAGE_EXPORT);
  psa_key_id_t generated = PSA_KEY_ID_NULL;
  std::vector<uint8_t> private_key(32);
  size_t length = 0;
  if (psa_generate_random(message.data(), message.size()) != PSA_SUCCESS ||
      psa_generate_random(aes_key.data(), aes_key.size()) != PSA_SUCCESS ||
      psa_generate_key(&attributes, &generated) != PSA_SUCCESS ||
      psa_export_key(generated, private_key.data(), private_key.size(), &length) != PSA_SUCCESS ||
      !bench::DirectSetUp(aes_key.data(), private_key.data())) {
    std::fprintf(stderr, "crypto_bench: setting up the inputs failed\n");
    return 1;
  }
  (void)psa_destroy_key(generated);

  const Figures direct = MeasureDirect(message);
  bench::DirectTearDown();
  const Figures in_proc = MeasurePsa(message, aes_key, private_key);
  bastion_ns_set_transport(&over_gateway);
  const Figures gateway = MeasurePsa(message, aes_key, private_key);

  std::printf(
      "psa/crypto.h: Mbed TLS direct, in-process client, gateway client (host, one run)\n\n");
  std::printf(
      "| operation | direct | in-process | gateway | in-process / direct | gateway / direct "
      "|\n|---|---|---|---|---|---|\n");
  Row("SHA-256, 16 KiB", "MB/s", direct.sha256_mbps, in_proc.sha256_mbps, gateway.sha256_mbps);
  Row("AES-256-GCM encrypt, 16 KiB", "MB/s", direct.gcm_mbps, in_proc.gcm_mbps, gateway.gcm_mbps);
  Row("ECDSA P-256 sign", "/s", direct.sign_per_s, in_proc.sign_per_s, gateway.sign_per_s);
  Row("ECDSA P-256 verify", "/s", direct.verify_per_s, in_proc.verify_per_s, gateway.verify_per_s);
  std::printf(
      "\nall three: the same PSA Crypto core (Mbed TLS), randomized ECDSA; direct calls it\n"
      "in this process, in-process and gateway reach it through libbastion_ns and the SPM.\n");

  return 0;
}
