// The facade reaches into Mbed TLS contexts (group, point, scalar) that 3.x
// marks private; this file is the one place that does.
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include "crypto/crypto.h"

#include <climits>
#include <cstring>

#include "crypto/ecdsa_der.h"
#include "mbedtls/aes.h"
#include "mbedtls/asn1.h"
#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/hmac_drbg.h"
#include "mbedtls/md.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/pem.h"
#include "mbedtls/pk.h"
#include "mbedtls/platform.h"
#include "mbedtls/sha256.h"
#include "mbedtls/sha512.h"
#include "p256-m.h"

#ifndef BASTION_CRYPTO_ARENA_SIZE
#define BASTION_CRYPTO_ARENA_SIZE 16384
#endif
#ifndef BASTION_CRYPTO_P256M
#define BASTION_CRYPTO_P256M 1
#endif
#ifndef BASTION_CRYPTO_P384
#define BASTION_CRYPTO_P384 1
#endif

extern "C" void* bastion_mbedtls_calloc_uninit(size_t, size_t) { return nullptr; }
// p256-m's randomness serves only its key generation and signing, which
// Bastion never calls (Mbed TLS signs in the host tools): it fails.
extern "C" int32_t bastion_p256m_no_random(uint8_t*, size_t) { return -1; }
extern "C" void bastion_mbedtls_free_uninit(void*) {}

namespace bastion::crypto {
namespace {
// The build's curve switches (crypto.h, "Curves").
constexpr bool kP256m = BASTION_CRYPTO_P256M != 0;
constexpr bool kP384 = BASTION_CRYPTO_P384 != 0;
// SHA-384 serves only P-384 (MCUboot images and COSE pair it with that curve).
constexpr bool kSha384 = kP384;
}  // namespace
}  // namespace bastion::crypto

namespace bastion::crypto {
namespace {

constexpr uint8_t kArenaPaint = 0xA5;
constexpr size_t kArenaHeaderReserve = 128;  // > the allocator's block header
alignas(8) uint8_t g_arena[BASTION_CRYPTO_ARENA_SIZE];
bool g_initialised = false;

// The inline context storage is aligned to 8; view it as the Mbed TLS type.
template <typename T>
T* As(uint8_t* storage) {
  static_assert(alignof(T) <= 8);
  return static_cast<T*>(static_cast<void*>(storage));
}

static_assert(sizeof(mbedtls_sha256_context) <= 240);
static_assert(sizeof(mbedtls_sha512_context) <= 240);
static_assert(sizeof(mbedtls_ctr_drbg_context) <= 400);

// Owns an mbedtls_ecdsa_context for one operation.
class EcdsaContext {
 public:
  EcdsaContext() { mbedtls_ecdsa_init(&ctx_); }
  ~EcdsaContext() { mbedtls_ecdsa_free(&ctx_); }
  EcdsaContext(const EcdsaContext&) = delete;
  EcdsaContext& operator=(const EcdsaContext&) = delete;
  mbedtls_ecdsa_context* get() { return &ctx_; }

 private:
  mbedtls_ecdsa_context ctx_;
};

class PkContext {
 public:
  PkContext() { mbedtls_pk_init(&ctx_); }
  ~PkContext() { mbedtls_pk_free(&ctx_); }
  PkContext(const PkContext&) = delete;
  PkContext& operator=(const PkContext&) = delete;
  mbedtls_pk_context* get() { return &ctx_; }

 private:
  mbedtls_pk_context ctx_;
};

mbedtls_ecp_group_id GroupId(Curve c) {
  return c == Curve::kP256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1;
}

// True when `key` is an uncompressed point on its curve (not the point at
// infinity): p256-m for P-256, Mbed TLS's ECP for P-384.
bool PublicKeyValid(const EcPublicKey& key);

// Loads group and public point into `ctx`, checking the point is on the curve.
bool LoadPublic(const EcPublicKey& key, mbedtls_ecp_keypair* kp) {
  if (key.point_size != 1 + 2 * CoordinateSize(key.curve)) return false;
  if (key.point[0] != 0x04 || mbedtls_ecp_group_load(&kp->grp, GroupId(key.curve)) != 0) {
    return false;
  }
  // The coordinates directly (the key is always an uncompressed point):
  // mbedtls_ecp_point_read_binary would also link point decompression and
  // with it modular exponentiation, 1.2 KB a boot stage never uses.
  const size_t n = CoordinateSize(key.curve);
  if (mbedtls_mpi_read_binary(&kp->Q.X, key.point.data() + 1, n) != 0 ||
      mbedtls_mpi_read_binary(&kp->Q.Y, key.point.data() + 1 + n, n) != 0 ||
      mbedtls_mpi_lset(&kp->Q.Z, 1) != 0) {
    return false;
  }
  return mbedtls_ecp_check_pubkey(&kp->grp, &kp->Q) == 0;
}

bool PublicKeyValid(const EcPublicKey& key) {
  if (key.point_size != 1 + 2 * CoordinateSize(key.curve) || key.point[0] != 0x04) return false;
  if (key.curve == Curve::kP256) {
    if constexpr (kP256m) return p256_validate_pubkey(key.point.data() + 1) == P256_SUCCESS;
  } else if constexpr (!kP384) {
    return false;  // this build has no P-384
  }
  if constexpr (kP384 || !kP256m) {  // Mbed TLS's ECP, only where linked
    Init();
    EcdsaContext ctx;
    return LoadPublic(key, ctx.get());
  }
  return false;
}

// DER prefixes of SubjectPublicKeyInfo for an uncompressed point
// (RFC 5480): SEQUENCE { SEQUENCE { id-ecPublicKey, namedCurve }, BIT STRING }.
constexpr uint8_t kSpkiPrefixP256[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
constexpr uint8_t kSpkiPrefixP384[] = {0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
                                       0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
                                       0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00};

// The canonical (and only accepted) DER prefix for `curve`.
ConstByteSpan SpkiPrefix(Curve curve) {
  if (curve == Curve::kP256) return {kSpkiPrefixP256, sizeof(kSpkiPrefixP256)};
  return {kSpkiPrefixP384, sizeof(kSpkiPrefixP384)};
}

mbedtls_md_type_t MdForDigest(size_t digest_size) {
  return digest_size == 48 ? MBEDTLS_MD_SHA384 : MBEDTLS_MD_SHA256;
}

bool ExportKeyPair(const mbedtls_ecp_keypair& kp, bool with_private, EcPublicKey* pub,
                   EcKeyPair* priv) {
  Curve curve;
  if (kp.grp.id == MBEDTLS_ECP_DP_SECP256R1) {
    curve = Curve::kP256;
  } else if (kp.grp.id == MBEDTLS_ECP_DP_SECP384R1) {
    curve = Curve::kP384;
  } else {
    return false;
  }
  EcPublicKey out;
  out.curve = curve;
  if (mbedtls_ecp_point_write_binary(&kp.grp, &kp.Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &out.point_size,
                                     out.point.data(), out.point.size()) != 0) {
    return false;
  }
  if (pub != nullptr) *pub = out;
  if (with_private && priv != nullptr) {
    priv->public_key = out;
    priv->scalar.fill(0);
    if (mbedtls_mpi_write_binary(&kp.d, priv->scalar.data(), CoordinateSize(curve)) != 0) {
      return false;
    }
  }
  return true;
}

// Fills a pk context with `key` (private and public parts).
bool LoadKeyPairIntoPk(const EcKeyPair& key, mbedtls_pk_context* pk) {
  if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0) return false;
  mbedtls_ecp_keypair* kp = mbedtls_pk_ec(*pk);
  if (!LoadPublic(key.public_key, kp)) return false;
  return mbedtls_mpi_read_binary(&kp->d, key.scalar.data(), CoordinateSize(key.public_key.curve)) ==
         0;
}

struct EntropySource {
  const uint8_t* data;
  size_t remaining;
};

int ServeEntropy(void* ctx, unsigned char* out, size_t len) {
  auto* source = static_cast<EntropySource*>(ctx);
  if (source == nullptr || source->remaining < len)
    return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  std::memcpy(out, source->data, len);
  source->data += len;
  source->remaining -= len;
  return 0;
}

// Blinding randomness for private-key operations in the host tools (signing,
// key-file checks): an HMAC_DRBG seeded from the secret and the message, so
// it is unpredictable to whoever lacks the key (as RFC 6979's nonce is)
// without an entropy source in the facade.
class Blinding {
 public:
  static constexpr size_t kMaxScalarSize = 48;
  Blinding(ConstByteSpan secret, ConstByteSpan message) {
    mbedtls_hmac_drbg_init(&drbg_);
    uint8_t seed[kMaxScalarSize + 64];
    size_t n = 0;
    const size_t s = secret.size() < kMaxScalarSize ? secret.size() : kMaxScalarSize;
    std::memcpy(seed, secret.data(), s);
    n += s;
    const size_t m = message.size() < 64 ? message.size() : 64;
    if (m > 0) std::memcpy(seed + n, message.data(), m);
    n += m;
    ok_ = mbedtls_hmac_drbg_seed_buf(&drbg_, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), seed,
                                     n) == 0;
    SecureWipe(seed, sizeof(seed));
  }
  ~Blinding() { mbedtls_hmac_drbg_free(&drbg_); }
  Blinding(const Blinding&) = delete;
  Blinding& operator=(const Blinding&) = delete;
  bool ok() const { return ok_; }
  void* context() { return &drbg_; }

 private:
  mbedtls_hmac_drbg_context drbg_;
  bool ok_ = false;
};

}  // namespace

void Init() {
  if (g_initialised) return;
  mbedtls_memory_buffer_alloc_init(g_arena, sizeof(g_arena));
  // Init zeroes the arena and writes the first block header at its start;
  // paint everything past that header to measure the high-water mark.
  std::memset(g_arena + kArenaHeaderReserve, kArenaPaint, sizeof(g_arena) - kArenaHeaderReserve);
  g_initialised = true;
}

size_t ArenaCapacity() { return sizeof(g_arena); }

void ArenaResetPeak() {
  Init();
  std::memset(g_arena + kArenaHeaderReserve, kArenaPaint, sizeof(g_arena) - kArenaHeaderReserve);
}

size_t ArenaPeakBytes() {
  // memory_buffer_alloc allocates first-fit from the start and never
  // repaints, so the last byte that differs from the paint marks the peak.
  size_t end = sizeof(g_arena);
  while (end > 0 && g_arena[end - 1] == kArenaPaint) --end;
  return end;
}

const char* CurveName(Curve c) { return c == Curve::kP256 ? "ecdsa-p256" : "ecdsa-p384"; }

bool HashAvailable(HashAlg alg) {
  return alg == HashAlg::kSha256 || (kSha384 && alg == HashAlg::kSha384);
}

Hasher::Hasher(HashAlg alg) : alg_(alg) {
  if (alg_ == HashAlg::kSha256) {
    auto* ctx = As<mbedtls_sha256_context>(context_);
    mbedtls_sha256_init(ctx);
    (void)mbedtls_sha256_starts(ctx, 0);
  } else if constexpr (kSha384) {
    auto* ctx = As<mbedtls_sha512_context>(context_);
    mbedtls_sha512_init(ctx);
    (void)mbedtls_sha512_starts(ctx, 1);
  }
}

Hasher::~Hasher() { SecureWipe(context_, sizeof(context_)); }

void Hasher::Update(ConstByteSpan data) {
  if (data.empty()) return;
  if (alg_ == HashAlg::kSha256) {
    (void)mbedtls_sha256_update(As<mbedtls_sha256_context>(context_), data.data(), data.size());
  } else if constexpr (kSha384) {
    (void)mbedtls_sha512_update(As<mbedtls_sha512_context>(context_), data.data(), data.size());
  }
}

void Hasher::Finish(Digest* out) {
  out->bytes.fill(0);
  out->size = 0;  // an algorithm this build lacks: an empty digest, which matches nothing
  if (alg_ == HashAlg::kSha256) {
    (void)mbedtls_sha256_finish(As<mbedtls_sha256_context>(context_), out->bytes.data());
    out->size = 32;
  } else if constexpr (kSha384) {
    (void)mbedtls_sha512_finish(As<mbedtls_sha512_context>(context_), out->bytes.data());
    out->size = 48;
  }
}

Digest Hash(HashAlg alg, ConstByteSpan data) {
  Hasher hasher(alg);
  hasher.Update(data);
  Digest digest;
  hasher.Finish(&digest);
  return digest;
}

Status ParsePublicKeySpki(ConstByteSpan der, EcPublicKey* out) {
  // DER has one encoding per value, and for an uncompressed point on a named
  // curve that encoding is the curve's fixed prefix followed by the point:
  // anything else (other OIDs, long-form lengths, trailing bytes, compressed
  // points) is refused, so the bytes hashed for a key are the bytes Bastion
  // writes.
  EcPublicKey key;
  for (const Curve curve : {Curve::kP256, Curve::kP384}) {
    const ConstByteSpan prefix = SpkiPrefix(curve);
    const size_t point_size = 1 + 2 * CoordinateSize(curve);
    if (der.size() == prefix.size() + point_size &&
        std::memcmp(der.data(), prefix.data(), prefix.size()) == 0) {
      key.curve = curve;
      key.point_size = point_size;
      std::memcpy(key.point.data(), der.data() + prefix.size(), point_size);
    }
  }
  // PublicKeyValid also refuses anything but an uncompressed point (0x04).
  if (key.point_size == 0 || !PublicKeyValid(key)) return StatusCode::kInvalidArgument;
  *out = key;
  return StatusCode::kOk;
}

Status WritePublicKeySpki(const EcPublicKey& key, ByteSpan out, size_t* written) {
  const ConstByteSpan prefix = SpkiPrefix(key.curve);
  if (key.point_size != 1 + 2 * CoordinateSize(key.curve)) return StatusCode::kInvalidArgument;
  const size_t total = prefix.size() + key.point_size;
  if (out.size() < total) return StatusCode::kResourceExhausted;
  std::memcpy(out.data(), prefix.data(), prefix.size());
  std::memcpy(out.data() + prefix.size(), key.point.data(), key.point_size);
  *written = total;
  return StatusCode::kOk;
}

HardenedBool EcdsaVerifyRaw(const EcPublicKey& key, ConstByteSpan digest,
                            ConstByteSpan raw_signature) {
  const size_t n = CoordinateSize(key.curve);
  if ((digest.size() != 32 && digest.size() != 48) || raw_signature.size() != 2 * n ||
      key.point_size != 1 + 2 * n || key.point[0] != 0x04) {
    return HardenedBool::kFalse;
  }
  if (!kP384 && key.curve == Curve::kP384) return HardenedBool::kFalse;  // no P-384 here
  int ret = -1;
  if (kP256m && key.curve == Curve::kP256) {
    // p256-m checks r and s in [1, n-1] and the key a valid point, and
    // truncates the digest to 32 bytes as ECDSA does (FIPS 186-4 6.4).
    if constexpr (kP256m) {
      ret = p256_ecdsa_verify(raw_signature.data(), key.point.data() + 1, digest.data(),
                              digest.size());
    }
  } else if constexpr (kP384 || !kP256m) {  // Mbed TLS's ECP, only where linked
    Init();
    EcdsaContext ctx;
    mbedtls_mpi r;
    mbedtls_mpi s;
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    // mbedtls_ecdsa_verify refuses r or s outside [1, n-1].
    if (LoadPublic(key, ctx.get()) && mbedtls_mpi_read_binary(&r, raw_signature.data(), n) == 0 &&
        mbedtls_mpi_read_binary(&s, raw_signature.data() + n, n) == 0) {
      ret = mbedtls_ecdsa_verify(&ctx.get()->grp, digest.data(), digest.size(), &ctx.get()->Q, &r,
                                 &s);
    }
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
  }
  // Map 0 -> kTrue without a plain boolean in between, then re-check.
  HardenedBool result = ret == 0 ? HardenedBool::kTrue : HardenedBool::kFalse;
  if (Launder(ret) != 0 && result == HardenedBool::kTrue) HardenedTrap("ecdsa verify");
  return result;
}

HardenedBool EcdsaVerify(const EcPublicKey& key, ConstByteSpan digest,
                         ConstByteSpan der_signature) {
  // One strict DER decoder (canonical encodings only) for every curve.
  uint8_t raw[2 * 48];
  const size_t n = CoordinateSize(key.curve);
  if (der_signature.empty() || der_signature.size() > kMaxEcdsaDerSigSize ||
      !EcdsaDerToRaw(der_signature, n, ByteSpan(raw, 2 * n)).ok()) {
    return HardenedBool::kFalse;
  }
  return EcdsaVerifyRaw(key, digest, ConstByteSpan(raw, 2 * n));
}

Status EcdsaSign(const EcKeyPair& key, ConstByteSpan digest, ByteSpan out, size_t* written) {
  if (digest.size() != 32 && digest.size() != 48) return StatusCode::kInvalidArgument;
  Init();
  EcdsaContext ctx;
  if (!LoadPublic(key.public_key, ctx.get())) return StatusCode::kInvalidArgument;
  if (mbedtls_mpi_read_binary(&ctx.get()->d, key.scalar.data(),
                              CoordinateSize(key.public_key.curve)) != 0) {
    return StatusCode::kInternal;
  }
  uint8_t sig[MBEDTLS_ECDSA_MAX_LEN];
  size_t sig_len = 0;
  Blinding blinding(ConstByteSpan(key.scalar.data(), CoordinateSize(key.public_key.curve)), digest);
  if (!blinding.ok()) return StatusCode::kInternal;
  const int ret = mbedtls_ecdsa_write_signature(
      ctx.get(), MdForDigest(digest.size()), digest.data(), digest.size(), sig, sizeof(sig),
      &sig_len, mbedtls_hmac_drbg_random, blinding.context());
  if (ret != 0) return StatusCode::kInternal;
  if (out.size() < sig_len) return StatusCode::kResourceExhausted;
  std::memcpy(out.data(), sig, sig_len);
  *written = sig_len;
  return StatusCode::kOk;
}

Status KeyPairFromPrivateScalar(Curve curve, ConstByteSpan scalar, EcKeyPair* out) {
  if (scalar.size() != CoordinateSize(curve)) return StatusCode::kInvalidArgument;
  Init();
  EcdsaContext ctx;
  mbedtls_ecp_keypair* kp = ctx.get();
  if (mbedtls_ecp_group_load(&kp->grp, GroupId(curve)) != 0) return StatusCode::kInternal;
  if (mbedtls_mpi_read_binary(&kp->d, scalar.data(), scalar.size()) != 0) {
    return StatusCode::kInternal;
  }
  if (mbedtls_ecp_check_privkey(&kp->grp, &kp->d) != 0) return StatusCode::kInvalidArgument;
  Blinding blinding(scalar, {});
  if (!blinding.ok()) return StatusCode::kInternal;
  if (mbedtls_ecp_mul(&kp->grp, &kp->Q, &kp->d, &kp->grp.G, mbedtls_hmac_drbg_random,
                      blinding.context()) != 0) {
    return StatusCode::kInternal;
  }
  if (!ExportKeyPair(*kp, true, nullptr, out)) return StatusCode::kInternal;
  return StatusCode::kOk;
}

Status ParseKeyFile(ConstByteSpan contents, EcPublicKey* public_out, EcKeyPair* private_out) {
  constexpr size_t kMaxKeyFile = 4096;
  if (contents.empty() || contents.size() >= kMaxKeyFile) return StatusCode::kInvalidArgument;
  Init();
  // PEM parsing in Mbed TLS needs a NUL-terminated buffer counted with its NUL.
  static uint8_t buffer[kMaxKeyFile];
  std::memcpy(buffer, contents.data(), contents.size());
  size_t length = contents.size();
  const bool pem = length > 10 && std::memcmp(buffer, "-----BEGIN", 10) == 0;
  if (pem) buffer[length++] = 0;

  Status status = StatusCode::kInvalidArgument;
  {
    // Seeded from the whole file (its private key included), hashed.
    const Digest file_digest = Hash(HashAlg::kSha256, ConstByteSpan(buffer, length));
    Blinding blinding(ConstByteSpan(file_digest.bytes.data(), file_digest.size), ConstByteSpan());
    if (!blinding.ok()) return StatusCode::kInternal;
    PkContext pk;
    bool is_private = true;
    if (mbedtls_pk_parse_key(pk.get(), buffer, length, nullptr, 0, mbedtls_hmac_drbg_random,
                             blinding.context()) != 0) {
      mbedtls_pk_free(pk.get());
      mbedtls_pk_init(pk.get());
      if (mbedtls_pk_parse_public_key(pk.get(), buffer, length) != 0) {
        SecureWipe(buffer, sizeof(buffer));
        return StatusCode::kInvalidArgument;
      }
      is_private = false;
    }
    if (mbedtls_pk_get_type(pk.get()) == MBEDTLS_PK_ECKEY) {
      const mbedtls_ecp_keypair* kp = mbedtls_pk_ec(*pk.get());
      // Mbed TLS takes a SEC1 key's embedded public point as given: check
      // that it is d * G.
      const bool consistent =
          !is_private ||
          mbedtls_ecp_check_pub_priv(kp, kp, mbedtls_hmac_drbg_random, blinding.context()) == 0;
      if (consistent && ExportKeyPair(*kp, is_private, public_out, private_out)) {
        status = (!is_private && private_out != nullptr) ? StatusCode::kNotFound : StatusCode::kOk;
      }
    }
  }
  SecureWipe(buffer, sizeof(buffer));
  return status;
}

Status WritePrivateKeyPem(const EcKeyPair& key, ByteSpan out, size_t* written) {
  Init();
  PkContext pk;
  if (!LoadKeyPairIntoPk(key, pk.get())) return StatusCode::kInvalidArgument;
  if (mbedtls_pk_write_key_pem(pk.get(), out.data(), out.size()) != 0) {
    return StatusCode::kResourceExhausted;
  }
  *written = std::strlen(reinterpret_cast<const char*>(out.data()));
  return StatusCode::kOk;
}

Status WritePublicKeyPem(const EcPublicKey& key, ByteSpan out, size_t* written) {
  uint8_t der[kMaxSpkiDerSize];
  size_t der_len = 0;
  BASTION_TRY(WritePublicKeySpki(key, der, &der_len));
  size_t olen = 0;
  Init();  // the base64 buffer comes from the arena
  if (mbedtls_pem_write_buffer("-----BEGIN PUBLIC KEY-----\n", "-----END PUBLIC KEY-----\n", der,
                               der_len, out.data(), out.size(), &olen) != 0) {
    return StatusCode::kResourceExhausted;
  }
  *written = olen > 0 ? olen - 1 : 0;  // olen counts the NUL
  return StatusCode::kOk;
}

namespace {

// HMAC-SHA-256 (RFC 2104) directly over the SHA-256 core: Mbed TLS's HMAC
// goes through its message-digest layer, which allocates its contexts, and
// a boot stage that only verifies links neither that layer nor an allocator.
class HmacSha256Context {
 public:
  static constexpr size_t kBlock = 64;
  explicit HmacSha256Context(ConstByteSpan key) {
    uint8_t block[kBlock] = {};
    if (key.size() > kBlock) {
      (void)mbedtls_sha256(key.data(), key.size(), block, 0);
    } else if (!key.empty()) {
      std::memcpy(block, key.data(), key.size());
    }
    for (size_t i = 0; i < kBlock; ++i) {
      inner_pad_[i] = static_cast<uint8_t>(block[i] ^ 0x36);
      outer_pad_[i] = static_cast<uint8_t>(block[i] ^ 0x5c);
    }
    SecureWipe(block, sizeof(block));
    mbedtls_sha256_init(&sha_);
    Restart();
  }
  ~HmacSha256Context() {
    mbedtls_sha256_free(&sha_);
    SecureWipe(&sha_, sizeof(sha_));
    SecureWipe(inner_pad_, sizeof(inner_pad_));
    SecureWipe(outer_pad_, sizeof(outer_pad_));
  }
  HmacSha256Context(const HmacSha256Context&) = delete;
  HmacSha256Context& operator=(const HmacSha256Context&) = delete;

  // Starts a new MAC under the same key.
  void Restart() {
    (void)mbedtls_sha256_starts(&sha_, 0);
    (void)mbedtls_sha256_update(&sha_, inner_pad_, kBlock);
  }
  void Update(ConstByteSpan data) {
    if (!data.empty()) (void)mbedtls_sha256_update(&sha_, data.data(), data.size());
  }
  void Finish(uint8_t out[32]) {
    uint8_t inner[32];
    (void)mbedtls_sha256_finish(&sha_, inner);
    (void)mbedtls_sha256_starts(&sha_, 0);
    (void)mbedtls_sha256_update(&sha_, outer_pad_, kBlock);
    (void)mbedtls_sha256_update(&sha_, inner, sizeof(inner));
    (void)mbedtls_sha256_finish(&sha_, out);
    SecureWipe(inner, sizeof(inner));
  }

 private:
  mbedtls_sha256_context sha_;
  uint8_t inner_pad_[kBlock];
  uint8_t outer_pad_[kBlock];
};

}  // namespace

Status HmacSha256(ConstByteSpan key, ConstByteSpan data, std::span<uint8_t, 32> out) {
  HmacSha256Context mac(key);
  mac.Update(data);
  mac.Finish(out.data());
  return StatusCode::kOk;
}

// HKDF-SHA-256 (RFC 5869): extract, then expand block by block.
Status HkdfSha256(ConstByteSpan salt, ConstByteSpan ikm, ConstByteSpan info, ByteSpan out) {
  if (out.empty() || out.size() > 255 * 32) return StatusCode::kInvalidArgument;
  uint8_t prk[32];
  {
    HmacSha256Context extract(salt);  // an empty salt is HashLen zeros: the same HMAC key
    extract.Update(ikm);
    extract.Finish(prk);
  }
  HmacSha256Context expand(ConstByteSpan(prk, sizeof(prk)));
  SecureWipe(prk, sizeof(prk));
  uint8_t block[32];
  size_t done = 0;
  for (uint8_t counter = 1; done < out.size(); ++counter) {
    if (counter > 1) {
      expand.Restart();
      expand.Update(ConstByteSpan(block, sizeof(block)));
    }
    expand.Update(info);
    expand.Update(ConstByteSpan(&counter, 1));
    expand.Finish(block);
    const size_t n = out.size() - done < sizeof(block) ? out.size() - done : sizeof(block);
    std::memcpy(out.data() + done, block, n);
    done += n;
  }
  SecureWipe(block, sizeof(block));
  return StatusCode::kOk;
}

Status AesCtr(ConstByteSpan key, std::span<const uint8_t, 16> initial_counter, ConstByteSpan in,
              ByteSpan out) {
  if ((key.size() != 16 && key.size() != 32) || in.size() != out.size()) {
    return StatusCode::kInvalidArgument;
  }
  mbedtls_aes_context aes;
  mbedtls_aes_init(&aes);
  Status status = StatusCode::kOk;
  if (mbedtls_aes_setkey_enc(&aes, key.data(), static_cast<unsigned>(key.size() * 8)) != 0) {
    status = StatusCode::kInternal;
  } else {
    uint8_t counter[16];
    uint8_t stream[16];
    std::memcpy(counter, initial_counter.data(), 16);
    size_t offset = 0;
    if (mbedtls_aes_crypt_ctr(&aes, in.size(), &offset, counter, stream, in.data(), out.data()) !=
        0) {
      status = StatusCode::kInternal;
    }
    SecureWipe(stream, sizeof(stream));
  }
  mbedtls_aes_free(&aes);
  return status;
}

Drbg::Drbg() { mbedtls_ctr_drbg_init(As<mbedtls_ctr_drbg_context>(context_)); }

Drbg::~Drbg() { mbedtls_ctr_drbg_free(As<mbedtls_ctr_drbg_context>(context_)); }

Status Drbg::Seed(ConstByteSpan entropy, ConstByteSpan personalization) {
  constexpr size_t kEntropyLen = 32;
  constexpr size_t kNonceLen = 16;
  if (entropy.size() < kEntropyLen + kNonceLen) return StatusCode::kInvalidArgument;
  auto* ctx = As<mbedtls_ctr_drbg_context>(context_);
  EntropySource source{entropy.data(), entropy.size()};
  mbedtls_ctr_drbg_set_entropy_len(ctx, kEntropyLen);
  if (mbedtls_ctr_drbg_set_nonce_len(ctx, kNonceLen) != 0) return StatusCode::kInternal;
  // Reseeding needs fresh entropy, which this facade only takes at Seed():
  // disable automatic reseeding; callers re-seed a new Drbg instead. (The
  // default interval, 10000 requests, would make Generate fail after that.
  // INT_MAX requests is out of reach and within SP 800-90A's 2^48.)
  mbedtls_ctr_drbg_set_reseed_interval(ctx, INT_MAX);
  const int ret = mbedtls_ctr_drbg_seed(ctx, ServeEntropy, &source, personalization.data(),
                                        personalization.size());
  ctx->p_entropy = nullptr;  // the caller's entropy is not kept
  if (ret != 0) return StatusCode::kInternal;
  seeded_ = true;
  return StatusCode::kOk;
}

Status Drbg::Generate(ByteSpan out) {
  if (!seeded_) return StatusCode::kFailedPrecondition;
  auto* ctx = As<mbedtls_ctr_drbg_context>(context_);
  size_t done = 0;
  while (done < out.size()) {
    const size_t chunk = out.size() - done < MBEDTLS_CTR_DRBG_MAX_REQUEST
                             ? out.size() - done
                             : MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (mbedtls_ctr_drbg_random(ctx, out.data() + done, chunk) != 0) return StatusCode::kInternal;
    done += chunk;
  }
  return StatusCode::kOk;
}

Status Drbg::GenerateKeyPair(Curve curve, EcKeyPair* out) {
  if (!seeded_) return StatusCode::kFailedPrecondition;
  Init();
  EcdsaContext ctx;
  if (mbedtls_ecp_gen_key(GroupId(curve), ctx.get(), mbedtls_ctr_drbg_random,
                          As<mbedtls_ctr_drbg_context>(context_)) != 0) {
    return StatusCode::kInternal;
  }
  if (!ExportKeyPair(*ctx.get(), true, nullptr, out)) return StatusCode::kInternal;
  return StatusCode::kOk;
}

}  // namespace bastion::crypto
