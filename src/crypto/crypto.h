// Crypto facade: the only way device code and tools reach Mbed TLS.
//
// Covers SHA-256/384, ECDSA P-256/P-384 verify and sign, EC key parsing and
// writing (PEM, DER, SubjectPublicKeyInfo), HMAC-SHA-256, HKDF, AES-CTR,
// AES-256-GCM (aead.cpp: only what calls it links it) and CTR-DRBG. Mbed TLS
// allocates only from a static arena of BASTION_CRYPTO_ARENA_SIZE bytes
// (never the C heap); Init() installs it.
//
// Unless stated otherwise, functions return:
//   kOk               on success
//   kInvalidArgument  for malformed input (bad key encoding, wrong length)
//   kResourceExhausted when an output buffer or the arena is too small
//   kInternal         when Mbed TLS fails for another reason
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/hardened.h"
#include "common/status.h"

namespace bastion::crypto {

// Installs the static arena. Idempotent; every other function calls it.
void Init();
// Peak bytes ever in use in the arena (for sizing).
size_t ArenaPeakBytes();
size_t ArenaCapacity();
// Restarts the peak measurement. Only while no Mbed TLS object is alive
// (every facade call has returned): all arena memory is then free.
void ArenaResetPeak();

enum class HashAlg : uint8_t { kSha256 = 1, kSha384 = 2 };
constexpr size_t kMaxDigestSize = 48;
constexpr size_t DigestSize(HashAlg alg) { return alg == HashAlg::kSha256 ? 32 : 48; }

struct Digest {
  std::array<uint8_t, kMaxDigestSize> bytes{};
  size_t size = 0;
  ConstByteSpan view() const { return {bytes.data(), size}; }
};

// Incremental SHA-256 / SHA-384. Contexts live inline (no allocation).
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(ConstByteSpan data);
  // Writes the digest; the hasher must not be used afterwards.
  void Finish(Digest* out);
  HashAlg alg() const { return alg_; }

 private:
  HashAlg alg_;
  alignas(8) uint8_t context_[240];  // mbedtls_sha256/512_context, checked in .cpp
};

Digest Hash(HashAlg alg, ConstByteSpan data);

// Whether this build computes `alg`. SHA-384 comes with P-384 (the curve
// switches below): a build without it hashes nothing for SHA-384 (Finish
// gives an empty digest) and the image parser refuses SHA-384 images as an
// unsupported hash.
bool HashAvailable(HashAlg alg);

enum class Curve : uint8_t { kP256 = 1, kP384 = 2 };
constexpr size_t CoordinateSize(Curve c) { return c == Curve::kP256 ? 32 : 48; }
// The hash ECDSA uses with this curve in MCUboot images and COSE (ES256/ES384).
constexpr HashAlg CurveHash(Curve c) {
  return c == Curve::kP256 ? HashAlg::kSha256 : HashAlg::kSha384;
}
const char* CurveName(Curve c);

// An EC public key as an uncompressed point (0x04 || X || Y).
struct EcPublicKey {
  Curve curve = Curve::kP256;
  std::array<uint8_t, 97> point{};
  size_t point_size = 0;
};

// A private key with its public key. Secret: wiped on destruction.
struct EcKeyPair {
  EcPublicKey public_key;
  std::array<uint8_t, 48> scalar{};
  EcKeyPair() = default;
  EcKeyPair(const EcKeyPair&) = default;
  EcKeyPair& operator=(const EcKeyPair&) = default;
  ~EcKeyPair() { SecureWipe(scalar.data(), scalar.size()); }
};

// Largest DER encodings Bastion produces or accepts.
constexpr size_t kMaxSpkiDerSize = 120;      // P-384 SubjectPublicKeyInfo
constexpr size_t kMaxEcdsaDerSigSize = 104;  // P-384 DER signature
constexpr size_t kMaxPrivateKeyPemSize = 400;

// Parses a DER SubjectPublicKeyInfo holding a P-256 or P-384 key, checking
// that the point is on the curve. Strict: only the DER encoding
// WritePublicKeySpki writes is accepted (no trailing bytes, no long-form
// lengths), so the bytes hashed for a key are unique.
// Returns kOk or kInvalidArgument.
Status ParsePublicKeySpki(ConstByteSpan der, EcPublicKey* out);

// Writes the DER SubjectPublicKeyInfo of `key` (the form MCUboot hashes and
// embeds). Returns kOk or kResourceExhausted.
Status WritePublicKeySpki(const EcPublicKey& key, ByteSpan out, size_t* written);

// Curves. Two build switches (src/crypto/CMakeLists.txt) choose what checks
// and verifies each curve: BASTION_CRYPTO_P256M (P-256 by p256-m, else by
// Mbed TLS's ECP) and BASTION_CRYPTO_P384 (P-384 by the ECP, else refused as
// an invalid key / failed signature). The host library has both; each boot
// stage makes its own choice (targets/mps2-an505/CMakeLists.txt).

// Verifies a DER-encoded ECDSA signature over `digest`. Returns kTrue only
// for a valid signature in canonical DER; every failure (including malformed
// or non-canonical DER, a key not on its curve, r or s outside [1, n-1], a
// curve this build lacks) is kFalse.
HardenedBool EcdsaVerify(const EcPublicKey& key, ConstByteSpan digest, ConstByteSpan der_signature);

// The same for a signature as r || s, each of CoordinateSize(key.curve)
// bytes, big-endian (COSE's form, RFC 9053 2.1): no DER on either side.
HardenedBool EcdsaVerifyRaw(const EcPublicKey& key, ConstByteSpan digest,
                            ConstByteSpan raw_signature);

// Deterministic ECDSA (RFC 6979) over `digest`, DER-encoded signature.
Status EcdsaSign(const EcKeyPair& key, ConstByteSpan digest, ByteSpan out, size_t* written);

// The key pair of the private scalar `scalar` (big-endian, CoordinateSize(curve)
// bytes, 0 < d < n) on `curve`: computes the public point d*G. For keys a
// device derives (the attestation key); the boot stages never link it.
// Returns kOk, kInvalidArgument (wrong size, d out of range), kInternal.
Status KeyPairFromPrivateScalar(Curve curve, ConstByteSpan scalar, EcKeyPair* out);

// Parses a key file's contents: PEM or DER, private (SEC1 or PKCS#8) or public
// (SubjectPublicKeyInfo). `private_out` may be null; when the file holds only a
// public key and `private_out` is not null, returns kNotFound (public key still
// written). Returns kInvalidArgument for anything that is not a P-256/P-384 key,
// including a private key whose embedded public key is not its own.
Status ParseKeyFile(ConstByteSpan contents, EcPublicKey* public_out, EcKeyPair* private_out);

// Writes `key` as a PEM private key. `written` excludes the trailing NUL.
Status WritePrivateKeyPem(const EcKeyPair& key, ByteSpan out, size_t* written);
// Writes `key` as a PEM public key (SubjectPublicKeyInfo).
Status WritePublicKeyPem(const EcPublicKey& key, ByteSpan out, size_t* written);

// HMAC-SHA-256.
Status HmacSha256(ConstByteSpan key, ConstByteSpan data, std::span<uint8_t, 32> out);

// HKDF (RFC 5869) with SHA-256; out.size() <= 255 * 32.
Status HkdfSha256(ConstByteSpan salt, ConstByteSpan ikm, ConstByteSpan info, ByteSpan out);

// AES-CTR with a 16- or 32-byte key and a 16-byte initial counter block.
// `in` and `out` have equal size and may be the same buffer.
Status AesCtr(ConstByteSpan key, std::span<const uint8_t, 16> initial_counter, ConstByteSpan in,
              ByteSpan out);

// AEAD: AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag.
// A (key, nonce) pair must never seal two different messages: the caller
// owns the nonce rule. Lives in aead.cpp, which the boot stages' copies of
// the facade leave out.
constexpr size_t kAeadKeySize = 32;
constexpr size_t kAeadNonceSize = 12;
constexpr size_t kAeadTagSize = 16;

// Encrypts `plaintext` into `ciphertext` (the same size; may be the same
// buffer) and authenticates it with `aad` (authenticated, not encrypted;
// may be empty); writes the tag. Returns kOk, kInvalidArgument (sizes
// differ), kInternal.
Status AeadSeal(std::span<const uint8_t, kAeadKeySize> key,
                std::span<const uint8_t, kAeadNonceSize> nonce, ConstByteSpan aad,
                ConstByteSpan plaintext, ByteSpan ciphertext, std::span<uint8_t, kAeadTagSize> tag);

// Checks `tag` over `aad` and `ciphertext` (in constant time) and decrypts
// `ciphertext` into `plaintext` (the same size; may be the same buffer).
// Returns kOk; kUnauthenticated (the tag does not match: `plaintext` is
// wiped, never partly returned); kInvalidArgument (sizes differ); kInternal.
Status AeadOpen(std::span<const uint8_t, kAeadKeySize> key,
                std::span<const uint8_t, kAeadNonceSize> nonce, ConstByteSpan aad,
                ConstByteSpan ciphertext, std::span<const uint8_t, kAeadTagSize> tag,
                ByteSpan plaintext);

// CTR-DRBG (AES-256) seeded from caller-supplied entropy (the platform RNG).
class Drbg {
 public:
  Drbg();
  ~Drbg();
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;
  // entropy: at least 48 bytes of full entropy. Returns kInvalidArgument if shorter.
  Status Seed(ConstByteSpan entropy, ConstByteSpan personalization);
  // Returns kFailedPrecondition when not seeded.
  Status Generate(ByteSpan out);
  // Generates a key pair on `curve`.
  Status GenerateKeyPair(Curve curve, EcKeyPair* out);

 private:
  bool seeded_ = false;
  alignas(8) uint8_t context_[400];  // mbedtls_ctr_drbg_context, checked in .cpp
};

}  // namespace bastion::crypto
