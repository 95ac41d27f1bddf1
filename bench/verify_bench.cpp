// Cost of verifying a 1 MiB image against its floor: one SHA-256 over the
// same bytes plus one ECDSA P-256 verify, measured in the same run.
// Prints the figures and the ratio (target <= 1.10). Also prints the peak use
// of the Mbed TLS arena.
//
// `verify_bench --once` runs each measured operation once, in the functions
// bench_verify_once / bench_floor_once, for scripts/bench-instructions to
// count instructions with callgrind (repeatable, unlike wall-clock time).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "crypto/ecdsa_der.h"
#include "image/image.h"

// The two P-256 verifiers compared side by side, called directly.
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "mbedtls/ecdsa.h"
#include "p256-m.h"

namespace {

using namespace bastion;
using Clock = std::chrono::steady_clock;

template <typename F>
double MedianSeconds(int runs, F&& f) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

// Kept out of line so callgrind can toggle collection on them by name.
extern "C" __attribute__((noinline)) void bench_verify_once(void (*f)(void*), void* context) {
  f(context);
}
extern "C" __attribute__((noinline)) void bench_floor_once(void (*f)(void*), void* context) {
  f(context);
}

int main(int argc, char** argv) {
  const bool once = argc > 1 && std::string(argv[1]) == "--once";
  const int runs = once ? 1 : argc > 1 ? std::max(3, std::atoi(argv[1])) : 31;
  constexpr size_t kPayload = 1024 * 1024;

  std::array<uint8_t, 48> entropy{};
  entropy.fill(0x5a);
  crypto::Drbg drbg;
  crypto::EcKeyPair key;
  if (!drbg.Seed(entropy, {}).ok() || !drbg.GenerateKeyPair(crypto::Curve::kP256, &key).ok()) {
    std::fprintf(stderr, "bench: key generation failed\n");
    return 1;
  }
  std::vector<uint8_t> payload(kPayload);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 131 + 7);
  image::SignOptions options;
  options.header_size = 0x200;
  options.pad_header = true;
  options.has_security_counter = true;
  options.security_counter = 1;
  std::vector<uint8_t> signed_image(kPayload + 0x200 + 1024);
  size_t written = 0;
  if (image::BuildSignedImage(payload, options, key, signed_image, &written) !=
      image::BuildError::kOk) {
    std::fprintf(stderr, "bench: signing failed\n");
    return 1;
  }
  signed_image.resize(written);
  const image::SpanImageSource source(signed_image);
  image::ParsedImage parsed;
  if (image::ParseImage(source, &parsed) != image::ImageError::kOk) return 1;
  std::vector<uint8_t> sig(parsed.signature.length);
  std::copy_n(signed_image.begin() + parsed.signature.value_offset, sig.size(), sig.begin());
  const ConstByteSpan signed_part(signed_image.data(), parsed.signed_size);

  image::SingleKeyResolver resolver(key.public_key);
  bool all_ok = true;
  auto verify_image = [&] {
    image::ParsedImage p;
    image::VerifiedImage v;
    HardenedBool decision = HardenedBool::kFalse;
    all_ok &= image::ParseImage(source, &p) == image::ImageError::kOk &&
              image::VerifyImage(source, p, resolver, 0, false, &v, &decision) ==
                  image::ImageError::kOk &&
              decision == HardenedBool::kTrue;
  };
  auto floor_cost = [&] {
    const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, signed_part);
    all_ok &= crypto::EcdsaVerify(key.public_key, d.view(), sig) == HardenedBool::kTrue;
  };

  // Warm up, then interleave the two measurements so machine noise hits both.
  verify_image();
  floor_cost();
  if (once) {
    bench_verify_once([](void* f) { (*static_cast<decltype(verify_image)*>(f))(); }, &verify_image);
    bench_floor_once([](void* f) { (*static_cast<decltype(floor_cost)*>(f))(); }, &floor_cost);
    return all_ok ? 0 : 1;
  }
  std::vector<double> verify_times, floor_times;
  for (int i = 0; i < runs; ++i) {
    verify_times.push_back(MedianSeconds(1, verify_image));
    floor_times.push_back(MedianSeconds(1, floor_cost));
  }
  std::sort(verify_times.begin(), verify_times.end());
  std::sort(floor_times.begin(), floor_times.end());
  const double t_verify = verify_times[verify_times.size() / 2];
  const double t_floor = floor_times[floor_times.size() / 2];
  const double t_sha =
      MedianSeconds(runs, [&] { (void)crypto::Hash(crypto::HashAlg::kSha256, signed_part); });
  if (!all_ok) {
    std::fprintf(stderr, "bench: a verification failed\n");
    return 1;
  }
  std::printf("image: %zu-byte payload, %u signed bytes, ECDSA P-256, %d runs (median)\n", kPayload,
              parsed.signed_size, runs);
  std::printf("verify image (parse + hash + key + signature): %8.3f ms\n", t_verify * 1e3);
  std::printf("floor (SHA-256 of signed bytes + 1 ECDSA verify): %8.3f ms\n", t_floor * 1e3);
  std::printf("  of which SHA-256:                              %8.3f ms (%.0f MiB/s)\n",
              t_sha * 1e3, static_cast<double>(parsed.signed_size) / t_sha / (1024 * 1024));
  std::printf("ratio verify/floor: %.3f (target <= 1.10)\n", t_verify / t_floor);
  // p256-m (what the facade uses for P-256) against Mbed TLS's ECP, same
  // key, digest and signature, in this run.
  {
    const crypto::Digest d = crypto::Hash(crypto::HashAlg::kSha256, signed_part);
    uint8_t raw[64];
    if (!crypto::EcdsaDerToRaw(sig, 32, ByteSpan(raw, sizeof(raw))).ok()) return 1;
    mbedtls_ecdsa_context ecp;
    mbedtls_ecdsa_init(&ecp);
    if (mbedtls_ecp_group_load(&ecp.grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
        mbedtls_ecp_point_read_binary(&ecp.grp, &ecp.Q, key.public_key.point.data(),
                                      key.public_key.point_size) != 0) {
      return 1;
    }
    bool both_ok = true;
    const double t_p256m = MedianSeconds(runs, [&] {
      both_ok &= p256_ecdsa_verify(raw, key.public_key.point.data() + 1, d.bytes.data(), 32) ==
                 P256_SUCCESS;
    });
    const double t_ecp = MedianSeconds(runs, [&] {
      both_ok &=
          mbedtls_ecdsa_read_signature(&ecp, d.bytes.data(), 32, sig.data(), sig.size()) == 0;
    });
    mbedtls_ecdsa_free(&ecp);
    if (!both_ok) return 1;
    std::printf("ECDSA P-256 verify: p256-m %.3f ms, Mbed TLS ECP %.3f ms (ratio %.2f)\n",
                t_p256m * 1e3, t_ecp * 1e3, t_p256m / t_ecp);
  }
  std::printf("crypto arena peak, whole benchmark (key generation, signing): %zu of %zu bytes\n",
              crypto::ArenaPeakBytes(), crypto::ArenaCapacity());
  // Arena needed by the boot stages: verification only, per curve.
  for (crypto::Curve curve : {crypto::Curve::kP256, crypto::Curve::kP384}) {
    crypto::EcKeyPair k;
    if (!drbg.GenerateKeyPair(curve, &k).ok()) return 1;
    std::vector<uint8_t> small(4096 + 1024);
    size_t n = 0;
    if (image::BuildSignedImage(ConstByteSpan(payload.data(), 4096), options, k, small, &n) !=
        image::BuildError::kOk) {
      return 1;
    }
    small.resize(n);
    const image::SpanImageSource s(small);
    image::SingleKeyResolver r(k.public_key);
    crypto::ArenaResetPeak();
    image::ParsedImage p;
    image::VerifiedImage v;
    HardenedBool decision = HardenedBool::kFalse;
    if (image::ParseImage(s, &p) != image::ImageError::kOk ||
        image::VerifyImage(s, p, r, 0, false, &v, &decision) != image::ImageError::kOk) {
      return 1;
    }
    std::printf("crypto arena peak, verifying a %s image: %zu bytes\n", crypto::CurveName(curve),
                crypto::ArenaPeakBytes());
  }
  return 0;
}
