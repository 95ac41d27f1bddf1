// Tests for src/crypto: the Mbed TLS facade against published vectors
// (FIPS 180 examples, RFC 4231, RFC 5869, SP 800-38A F.5, the GCM
// specification's AES-256 test cases, RFC 6979 A.2.5 / A.2.6), hostile signatures and key
// encodings, key-file round trips and keys written by OpenSSL, and the CTR-DRBG's contract.
//
// Each test runs in its own process under ctest (gtest_discover_tests), so a
// function that forgets to install the arena fails here.
#include "crypto/crypto.h"

#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/hex.h"

namespace bastion::crypto {
namespace {

using Bytes = std::vector<uint8_t>;
using test_support::Hex;

Bytes Ascii(std::string_view s) { return Bytes(s.begin(), s.end()); }
Bytes Repeat(uint8_t value, size_t count) { return Bytes(count, value); }
Bytes Range(uint8_t first, uint8_t last) {
  Bytes out;
  for (unsigned v = first; v <= last; ++v) out.push_back(static_cast<uint8_t>(v));
  return out;
}
Bytes ToBytes(const Digest& d) {
  return Bytes(d.bytes.begin(), d.bytes.begin() + static_cast<long>(d.size));
}
Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Writes a minimal DER INTEGER holding the unsigned big-endian `value`.
Bytes DerInteger(const Bytes& value) {
  size_t start = 0;
  while (start + 1 < value.size() && value[start] == 0) ++start;
  const bool pad = start < value.size() && (value[start] & 0x80) != 0;
  const size_t length = value.size() - start + (pad ? 1 : 0);
  Bytes out(2 + (length == 0 ? 1 : length), 0x00);
  out[0] = 0x02;
  out[1] = static_cast<uint8_t>(out.size() - 2);
  if (start < value.size()) {
    std::memcpy(out.data() + 2 + (pad ? 1 : 0), value.data() + start, value.size() - start);
  }
  return out;
}

// DER ECDSA-Sig-Value { r INTEGER, s INTEGER } (short-form lengths: < 128).
Bytes DerSignature(const Bytes& r, const Bytes& s) {
  const Bytes body = Concat(DerInteger(r), DerInteger(s));
  Bytes out = {0x30, static_cast<uint8_t>(body.size())};
  return Concat(out, body);
}

EcPublicKey PublicKey(Curve curve, const Bytes& x, const Bytes& y) {
  EcPublicKey key;
  key.curve = curve;
  const Bytes point = Concat(Concat(Bytes{0x04}, x), y);
  EXPECT_LE(point.size(), key.point.size());
  std::memcpy(key.point.data(), point.data(), point.size());
  key.point_size = point.size();
  return key;
}

EcKeyPair KeyPair(Curve curve, const Bytes& scalar, const Bytes& x, const Bytes& y) {
  EcKeyPair pair;
  pair.public_key = PublicKey(curve, x, y);
  EXPECT_EQ(scalar.size(), CoordinateSize(curve));
  std::memcpy(pair.scalar.data(), scalar.data(), scalar.size());
  return pair;
}

Bytes Point(const EcPublicKey& key) {
  return Bytes(key.point.begin(), key.point.begin() + static_cast<long>(key.point_size));
}
Bytes Scalar(const EcKeyPair& key) {
  return Bytes(key.scalar.begin(),
               key.scalar.begin() + static_cast<long>(CoordinateSize(key.public_key.curve)));
}

Bytes Spki(const EcPublicKey& key) {
  Bytes out(kMaxSpkiDerSize);
  size_t n = 0;
  EXPECT_EQ(WritePublicKeySpki(key, out, &n).code(), StatusCode::kOk);
  out.resize(n);
  return out;
}

Bytes Sign(const EcKeyPair& key, const Bytes& digest) {
  Bytes out(kMaxEcdsaDerSigSize);
  size_t n = 0;
  EXPECT_EQ(EcdsaSign(key, digest, out, &n).code(), StatusCode::kOk);
  out.resize(n);
  return out;
}

// EcdsaVerify must answer one of exactly two bit patterns.
HardenedBool Verify(const EcPublicKey& key, const Bytes& digest, const Bytes& sig) {
  const HardenedBool result = EcdsaVerify(key, digest, sig);
  const uint32_t raw = static_cast<uint32_t>(result);
  EXPECT_TRUE(raw == 0x739u || raw == 0x1d4u) << "raw 0x" << std::hex << raw;
  return result;
}

Drbg* SeededDrbg(Drbg* drbg, uint8_t pattern) {
  uint8_t seed[48];
  for (size_t i = 0; i < sizeof(seed); ++i) seed[i] = static_cast<uint8_t>(pattern + 7 * i);
  EXPECT_EQ(drbg->Seed(seed, ConstByteSpan()).code(), StatusCode::kOk);
  return drbg;
}

// ------------------------------------------------------------ published data

// FIPS 180-2 / 180-4 examples (and the NIST "one million a" long message).
constexpr std::string_view kMsg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr std::string_view kMsg896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopq"
    "rs"
    "mnopqrstnopqrstu";

// RFC 6979 A.2.5: P-256 key.
constexpr std::string_view kP256X =
    "C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721";
constexpr std::string_view kP256Ux =
    "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6";
constexpr std::string_view kP256Uy =
    "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";
// With SHA-256, message "sample" and "test".
constexpr std::string_view kP256SampleR =
    "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716";
constexpr std::string_view kP256SampleS =
    "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8";
constexpr std::string_view kP256TestR =
    "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367";
constexpr std::string_view kP256TestS =
    "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083";
// RFC 6979 A.2.6: P-384 key, SHA-384, message "sample".
constexpr std::string_view kP384X =
    "6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2ED"
    "F5";
constexpr std::string_view kP384Ux =
    "EC3A4E415B4E19A4568618029F427FA5DA9A8BC4AE92E02E06AAE5286B300C64DEF8F0EA9055866064A254515480BC"
    "13";
constexpr std::string_view kP384Uy =
    "8015D9B72D7D57244EA8EF9AC0C621896708A59367F9DFB9F54CA84B3F1C9DB1288B231C3AE0D4FE7344FD25332647"
    "20";
constexpr std::string_view kP384SampleR =
    "94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE"
    "46";
constexpr std::string_view kP384SampleS =
    "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628A"
    "C8";

// Group orders n (FIPS 186-4 D.1.2.3 / D.1.2.4).
constexpr std::string_view kP256Order =
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
constexpr std::string_view kP384Order =
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC529"
    "73";

EcKeyPair Rfc6979P256() { return KeyPair(Curve::kP256, Hex(kP256X), Hex(kP256Ux), Hex(kP256Uy)); }
EcKeyPair Rfc6979P384() { return KeyPair(Curve::kP384, Hex(kP384X), Hex(kP384Ux), Hex(kP384Uy)); }

// ------------------------------------------------------ keys made by OpenSSL
// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` (PKCS#8),
// with the scalar and point `openssl ec -text` printed for it.
constexpr std::string_view kOpensslP256Pkcs8 =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqtRLC+c67RFgE0p4\n"
    "nG0bVBSNeFDlYgYE1t+1OilrAOqhRANCAARqfs+lhTjoUUR7ykXLJTb3gzbV2I39\n"
    "YFG+0Cs7JBIisSbQV53eo6XdM/k+CUBHLtSg0FafzTamXKjCvH+oczgv\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kOpensslP256Scalar =
    "aad44b0be73aed1160134a789c6d1b54148d7850e5620604d6dfb53a296b00ea";
constexpr std::string_view kOpensslP256Point =
    "046a7ecfa58538e851447bca45cb2536f78336d5d88dfd6051bed02b3b241222b1"
    "26d0579ddea3a5dd33f93e0940472ed4a0d0569fcd36a65ca8c2bc7fa873382f";
// The same key: `openssl ec -outform DER` (SEC1) and `openssl pkey -pubout -outform DER`.
constexpr std::string_view kOpensslP256Sec1Der =
    "30770201010420aad44b0be73aed1160134a789c6d1b54148d7850e5620604d6dfb53a296b00eaa00a06082a8648ce"
    "3d"
    "030107a144034200046a7ecfa58538e851447bca45cb2536f78336d5d88dfd6051bed02b3b241222b126d0579ddea3"
    "a5"
    "dd33f93e0940472ed4a0d0569fcd36a65ca8c2bc7fa873382f";
constexpr std::string_view kOpensslP256SpkiDer =
    "3059301306072a8648ce3d020106082a8648ce3d030107034200046a7ecfa58538e851447bca45cb2536f78336d5d8"
    "8d"
    "fd6051bed02b3b241222b126d0579ddea3a5dd33f93e0940472ed4a0d0569fcd36a65ca8c2bc7fa873382f";

// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384`.
constexpr std::string_view kOpensslP384Pkcs8 =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDAzuIpsKOnduJfx5k2g\n"
    "xUwMJyxoZa0kxzAM9XWq8wWXzY4uFusTvF/HJAMzl0VdszKhZANiAASzq+vfapj2\n"
    "p2C+h6BUQbX/oVahOGAXHxO1N2lnXRTjpI7B3r3p7uGvRE6SyHXd8HPFZFMYc7HO\n"
    "e0bZVuhJqtM0P7YeDXm21G2kPXf3ersh9eVNhBttnlBJEn0d/fL+EEs=\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kOpensslP384Scalar =
    "33b88a6c28e9ddb897f1e64da0c54c0c272c6865ad24c7300cf575aaf30597cd8e2e16eb13bc5fc7240333974"
    "55db332";
constexpr std::string_view kOpensslP384Point =
    "04b3abebdf6a98f6a760be87a05441b5ffa156a13860171f13b53769675d14e3a48ec1debde9eee1af444e92c875dd"
    "f073"
    "c564531873b1ce7b46d956e849aad3343fb61e0d79b6d46da43d77f77abb21f5e54d841b6d9e5049127d1dfdf2fe10"
    "4b";

// `openssl genrsa 1024`: a valid key file, but not an EC key.
constexpr std::string_view kOpensslRsaPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAK9weuz4quOJ/ZZ1\n"
    "KDBxzyrVDdnWlfhoRAhCnnS9RvTkd4n1uo4DLwI/hSnZBmiGl/ItefxdUjWcJ/E2\n"
    "Btjeq8fX+OZdBVeBIR3+bLAyLIjCZ4ilhtmhwmYsVUdoYd3hrFuIdvJ3bNrSgHGX\n"
    "rIjBrb1qpDjN9aakrRm+YzHVHUZDAgMBAAECgYA7eJ2zBvim+XgFMOHWyj23/1Ea\n"
    "rytXccDeK/cbC66qBWigU7RRv7KHyJCThwYtGLMZXWEks13S3oSLuAzKJ3GDVXJp\n"
    "UVs8SqfJ/rW9E8gfdRy+XqO2m8HUG1zYGSxyrf2UVCE7bSlM2FF1zM73y3uCB1vR\n"
    "yn2ZCXwY2/nx+KeRwQJBANj9JTJHUqzhwDRb9LyMNpBmhSsAlBmNQn8cKk91DbpM\n"
    "iifpCobvTQVnivULI/nClvc0dy/0KkXVjgRSM0p3kHUCQQDO+wgDsfg5VA35RH8+\n"
    "n6NxYR+OaaIvVd3sos+XiTVA6CJL7sxk9XbroVuL/W8rcPDECCBPv0F5bKzpsbKk\n"
    "iKTXAkAoU8PZ+E9xOfOSx5RQhm6Nn8AYId9kcFBvdziV09ddTGRQzoraURcrbfbx\n"
    "W8Sv4m5UOzf7fZFtsSbXvr8xk88RAkEAo0SBXejU1OPo4eeWN9/VHWpvafcJaC1j\n"
    "kXYcKnyg9UInS55ivICj/dqaTCLtvmaohPmkA0Pqcc2319/D+uWOoQJABTv6k/kj\n"
    "sPyT7os3z5hodDK2Vq8dTTuT+yKZBLy9sgGJh+K9uPNEphZg6ooZRZnciXs28/rh\n"
    "nwNXAFJgLKqAZw==\n"
    "-----END PRIVATE KEY-----\n";

// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1`: EC,
// but a curve Bastion does not accept.
constexpr std::string_view kOpensslSecp256k1Pkcs8 =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgMe9CEsv72L0IgmpKceI0\n"
    "nokOjxHdbfFC7F9HvCSJqjGhRANCAATs3H6/6/nTAjW/lEzldKQcVckCjT7EiCb3\n"
    "IEIP6g2OpAAq6FyTbDVB2S8Ce6YLd/vLiupL2JtvBl1Fohrza1aQ\n"
    "-----END PRIVATE KEY-----\n";
// Its SubjectPublicKeyInfo, and an Ed25519 one (`openssl pkey -pubout -outform DER`).
constexpr std::string_view kSecp256k1SpkiDer =
    "3056301006072a8648ce3d020106052b8104000a03420004ecdc7ebfebf9d30235bf944ce574a41c55c9028d3ec488"
    "26"
    "f720420fea0d8ea4002ae85c936c3541d92f027ba60b77fbcb8aea4bd89b6f065d45a21af36b5690";
constexpr std::string_view kEd25519SpkiDer =
    "302a300506032b6570032100125f3ddc086175cb7b66ed35625e771bf4816d967164dbd253f832dedde8401a";

// ====================================================================== SHA-2

TEST(Sha256, FipsExamples) {
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha256, Ascii("abc"))),
            Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha256, Ascii(kMsg448))),
            Hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha256, {})),
            Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_EQ(Hash(HashAlg::kSha256, Ascii("abc")).size, DigestSize(HashAlg::kSha256));
}

TEST(Sha384, FipsExamples) {
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha384, Ascii("abc"))),
            Hex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358"
                "baeca134c825a7"));
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha384, Ascii(kMsg448))),
            Hex("3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5f"
                "e95b1fe3c8452b"));
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha384, Ascii(kMsg896))),
            Hex("09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966"
                "c3e9fa91746039"));
  EXPECT_EQ(ToBytes(Hash(HashAlg::kSha384, {})),
            Hex("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd5"
                "1ad2f14898b95b"));
  EXPECT_EQ(Hash(HashAlg::kSha384, Ascii("abc")).size, DigestSize(HashAlg::kSha384));
}

// One million 'a' through Hasher in chunks of odd sizes that straddle block
// boundaries (64 for SHA-256, 128 for SHA-384), empty updates included.
Digest MillionA(HashAlg alg) {
  const Bytes chunk(997, 'a');
  constexpr size_t kSizes[] = {1, 3, 0, 63, 65, 127, 129, 7, 997, 255, 31};
  Hasher hasher(alg);
  EXPECT_EQ(hasher.alg(), alg);
  size_t done = 0;
  for (size_t i = 0; done < 1000000; ++i) {
    size_t n = kSizes[i % std::size(kSizes)];
    if (n > 1000000 - done) n = 1000000 - done;
    hasher.Update(ConstByteSpan(chunk.data(), n));
    done += n;
  }
  Digest digest;
  hasher.Finish(&digest);
  return digest;
}

TEST(Sha256, MillionAIncremental) {
  EXPECT_EQ(ToBytes(MillionA(HashAlg::kSha256)),
            Hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(Sha384, MillionAIncremental) {
  EXPECT_EQ(ToBytes(MillionA(HashAlg::kSha384)),
            Hex("9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae"
                "97ddd87f3d8985"));
}

TEST(Hasher, IncrementalEqualsOneShot) {
  const Bytes data = Ascii(kMsg896);
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSha384}) {
    Hasher hasher(alg);
    hasher.Update(ConstByteSpan(data.data(), 5));
    hasher.Update(ConstByteSpan(data.data() + 5, data.size() - 5));
    Digest digest;
    hasher.Finish(&digest);
    EXPECT_EQ(ToBytes(digest), ToBytes(Hash(alg, data)));
  }
}

// =============================================================== HMAC-SHA-256
// RFC 4231 section 4.

void ExpectHmac(const Bytes& key, const Bytes& data, std::string_view expected) {
  std::array<uint8_t, 32> mac{};
  ASSERT_EQ(HmacSha256(key, data, mac).code(), StatusCode::kOk);
  EXPECT_EQ(Bytes(mac.begin(), mac.end()), Hex(expected));
}

TEST(HmacSha256, Rfc4231Case1) {
  ExpectHmac(Repeat(0x0b, 20), Ascii("Hi There"),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231Case2) {
  ExpectHmac(Ascii("Jefe"), Ascii("what do ya want for nothing?"),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231Case3) {
  ExpectHmac(Repeat(0xaa, 20), Repeat(0xdd, 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256, Rfc4231Case4) {
  ExpectHmac(Range(0x01, 0x19), Repeat(0xcd, 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256, Rfc4231Case6KeyLongerThanBlock) {
  ExpectHmac(Repeat(0xaa, 131), Ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, Rfc4231Case7KeyAndDataLongerThanBlock) {
  ExpectHmac(
      Repeat(0xaa, 131),
      Ascii("This is a test using a larger than block-size key and a larger than block-size data. "
            "The key needs to be hashed before being used by the HMAC algorithm."),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// ================================================================ HKDF-SHA-256
// RFC 5869 appendix A.1-A.3.

void ExpectHkdf(const Bytes& salt, const Bytes& ikm, const Bytes& info, std::string_view okm) {
  const Bytes expected = Hex(okm);
  Bytes out(expected.size());
  ASSERT_EQ(HkdfSha256(salt, ikm, info, out).code(), StatusCode::kOk);
  EXPECT_EQ(out, expected);
}

TEST(HkdfSha256, Rfc5869Case1) {
  ExpectHkdf(
      Range(0x00, 0x0c), Repeat(0x0b, 22), Range(0xf0, 0xf9),
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256, Rfc5869Case2LongInputs) {
  ExpectHkdf(Range(0x60, 0xaf), Range(0x00, 0x4f), Range(0xb0, 0xff),
             "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
             "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
             "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfSha256, Rfc5869Case3EmptySaltAndInfo) {
  ExpectHkdf(
      {}, Repeat(0x0b, 22), {},
      "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfSha256, OutputLengthLimits) {
  const Bytes ikm = Repeat(0x0b, 22);
  Bytes max(255 * 32);
  EXPECT_EQ(HkdfSha256({}, ikm, {}, max).code(), StatusCode::kOk);
  Bytes too_long(255 * 32 + 1);
  EXPECT_EQ(HkdfSha256({}, ikm, {}, too_long).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HkdfSha256({}, ikm, {}, ByteSpan()).code(), StatusCode::kInvalidArgument);
  // A prefix of a longer output is the shorter output.
  Bytes short_out(42);
  ASSERT_EQ(HkdfSha256({}, ikm, {}, short_out).code(), StatusCode::kOk);
  EXPECT_EQ(short_out, Bytes(max.begin(), max.begin() + 42));
}

// ==================================================================== AES-CTR
// SP 800-38A F.5.1 (CTR-AES128.Encrypt) and F.5.5 (CTR-AES256.Encrypt); the
// decrypt examples F.5.2 / F.5.6 are the same operation in reverse.

constexpr std::string_view kCtrCounter = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
constexpr std::string_view kCtrPlain =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

void ExpectCtr(std::string_view key_hex, std::string_view cipher_hex) {
  const Bytes key = Hex(key_hex);
  const Bytes counter_bytes = Hex(kCtrCounter);
  std::array<uint8_t, 16> counter{};
  std::memcpy(counter.data(), counter_bytes.data(), 16);
  const Bytes plain = Hex(kCtrPlain);
  const Bytes cipher = Hex(cipher_hex);

  Bytes out(plain.size());
  ASSERT_EQ(AesCtr(key, counter, plain, out).code(), StatusCode::kOk);
  EXPECT_EQ(out, cipher);
  // Decrypt in place.
  ASSERT_EQ(AesCtr(key, counter, out, out).code(), StatusCode::kOk);
  EXPECT_EQ(out, plain);
  // A length that is not a multiple of the block: a prefix of the stream.
  Bytes partial(plain.begin(), plain.begin() + 37);
  ASSERT_EQ(AesCtr(key, counter, partial, partial).code(), StatusCode::kOk);
  EXPECT_EQ(partial, Bytes(cipher.begin(), cipher.begin() + 37));
  // The counter passed in is not modified.
  EXPECT_EQ(Bytes(counter.begin(), counter.end()), counter_bytes);
}

TEST(AesCtr, Sp800_38aF51Aes128) {
  ExpectCtr("2b7e151628aed2a6abf7158809cf4f3c",
            "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
            "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee");
}

TEST(AesCtr, Sp800_38aF55Aes256) {
  ExpectCtr("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
            "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");
}

TEST(AesCtr, RefusesBadArguments) {
  const std::array<uint8_t, 16> counter{};
  Bytes in(16), out(16), short_out(15);
  EXPECT_EQ(AesCtr(Bytes(24), counter, in, out).code(), StatusCode::kInvalidArgument);  // AES-192
  EXPECT_EQ(AesCtr(Bytes(15), counter, in, out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AesCtr(Bytes(16), counter, in, short_out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AesCtr(Bytes(16), counter, ConstByteSpan(), ByteSpan()).code(), StatusCode::kOk);
}

// ================================================================ AES-256-GCM
// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", appendix B,
// test cases 13 to 16 (the AES-256 cases with a 96-bit IV), the vectors NIST
// SP 800-38D validation uses.

struct GcmCase {
  std::string_view key, iv, plain, aad, cipher, tag;
};

constexpr std::string_view kGcmKey15 =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view kGcmPlain15 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr std::string_view kGcmCipher15 =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

void ExpectGcm(const GcmCase& c) {
  const Bytes key = Hex(c.key), iv = Hex(c.iv), plain = Hex(c.plain), aad = Hex(c.aad);
  const Bytes cipher = Hex(c.cipher), tag = Hex(c.tag);
  ASSERT_EQ(key.size(), kAeadKeySize);
  ASSERT_EQ(iv.size(), kAeadNonceSize);
  const std::span<const uint8_t, kAeadKeySize> k(key.data(), kAeadKeySize);
  const std::span<const uint8_t, kAeadNonceSize> n(iv.data(), kAeadNonceSize);
  Bytes out(plain.size());
  std::array<uint8_t, kAeadTagSize> got_tag{};
  ASSERT_EQ(AeadSeal(k, n, aad, plain, out, got_tag).code(), StatusCode::kOk);
  EXPECT_EQ(out, cipher);
  EXPECT_EQ(Bytes(got_tag.begin(), got_tag.end()), tag);
  // Open, in place.
  ASSERT_EQ(AeadOpen(k, n, aad, out, got_tag, out).code(), StatusCode::kOk);
  EXPECT_EQ(out, plain);
  // Seal in place gives the same.
  Bytes in_place = plain;
  ASSERT_EQ(AeadSeal(k, n, aad, in_place, in_place, got_tag).code(), StatusCode::kOk);
  EXPECT_EQ(in_place, cipher);
}

TEST(AesGcm, SpecTestCase13EmptyEverything) {
  ExpectGcm({std::string_view("0000000000000000000000000000000000000000000000000000000000000000"),
             "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"});
}

TEST(AesGcm, SpecTestCase14OneZeroBlock) {
  ExpectGcm({"0000000000000000000000000000000000000000000000000000000000000000",
             "000000000000000000000000", "00000000000000000000000000000000", "",
             "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"});
}

TEST(AesGcm, SpecTestCase15FourBlocks) {
  ExpectGcm({kGcmKey15, "cafebabefacedbaddecaf888", kGcmPlain15, "", kGcmCipher15,
             "b094dac5d93471bdec1a502270e3cc6c"});
}

TEST(AesGcm, SpecTestCase16PartialBlockAndAad) {
  // Case 15's key and IV; 60 bytes of plaintext and 20 of AAD.
  ExpectGcm({kGcmKey15, "cafebabefacedbaddecaf888", kGcmPlain15.substr(0, 120),
             "feedfacedeadbeeffeedfacedeadbeefabaddad2", kGcmCipher15.substr(0, 120),
             "76fc6ece0f4e1768cddf8853bb2d551b"});
}

TEST(AesGcm, OpenRefusesAnyChangeAndWipesTheOutput) {
  const Bytes key = Hex(kGcmKey15), iv = Hex("cafebabefacedbaddecaf888");
  const std::span<const uint8_t, kAeadKeySize> k(key.data(), kAeadKeySize);
  const std::span<const uint8_t, kAeadNonceSize> n(iv.data(), kAeadNonceSize);
  const Bytes aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const Bytes cipher = Hex(kGcmCipher15.substr(0, 120));
  const Bytes tag = Hex("76fc6ece0f4e1768cddf8853bb2d551b");
  std::array<uint8_t, kAeadTagSize> t{};
  std::memcpy(t.data(), tag.data(), t.size());
  Bytes out(cipher.size(), 0xaa);
  ASSERT_EQ(AeadOpen(k, n, aad, cipher, t, out).code(), StatusCode::kOk);
  // One bit of the ciphertext, of the AAD, of the tag, of the nonce, of the key.
  const auto refused = [&](Bytes c, Bytes a, std::array<uint8_t, kAeadTagSize> tg, Bytes nn,
                           Bytes kk) {
    Bytes o(c.size(), 0xaa);
    const Status st =
        AeadOpen(std::span<const uint8_t, kAeadKeySize>(kk.data(), kAeadKeySize),
                 std::span<const uint8_t, kAeadNonceSize>(nn.data(), kAeadNonceSize), a, c, tg, o);
    EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(o, Bytes(c.size(), 0));  // nothing of the plaintext is left
  };
  Bytes c2 = cipher;
  c2[7] ^= 0x10;
  refused(c2, aad, t, iv, key);
  Bytes a2 = aad;
  a2[19] ^= 0x01;
  refused(cipher, a2, t, iv, key);
  refused(cipher, Bytes(), t, iv, key);
  auto t2 = t;
  t2[15] ^= 0x80;
  refused(cipher, aad, t2, iv, key);
  Bytes n2 = iv;
  n2[0] ^= 0x01;
  refused(cipher, aad, t, n2, key);
  Bytes k2 = key;
  k2[31] ^= 0x01;
  refused(cipher, aad, t, iv, k2);
  // Sizes that differ.
  Bytes short_out(cipher.size() - 1);
  EXPECT_EQ(AeadOpen(k, n, aad, cipher, t, short_out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AeadSeal(k, n, aad, cipher, short_out, t).code(), StatusCode::kInvalidArgument);
}

// ====================================================================== ECDSA

TEST(Ecdsa, Rfc6979P256Sha256SampleSignsAndVerifies) {
  const EcKeyPair key = Rfc6979P256();
  const Digest digest = Hash(HashAlg::kSha256, Ascii("sample"));
  const Bytes expected = DerSignature(Hex(kP256SampleR), Hex(kP256SampleS));
  EXPECT_EQ(Sign(key, ToBytes(digest)), expected);
  EXPECT_EQ(Verify(key.public_key, ToBytes(digest), expected), HardenedBool::kTrue);
}

TEST(Ecdsa, Rfc6979P256Sha256TestSignsAndVerifies) {
  const EcKeyPair key = Rfc6979P256();
  const Digest digest = Hash(HashAlg::kSha256, Ascii("test"));
  const Bytes expected = DerSignature(Hex(kP256TestR), Hex(kP256TestS));
  EXPECT_EQ(Sign(key, ToBytes(digest)), expected);
  EXPECT_EQ(Verify(key.public_key, ToBytes(digest), expected), HardenedBool::kTrue);
}

TEST(Ecdsa, Rfc6979P384Sha384SampleSignsAndVerifies) {
  const EcKeyPair key = Rfc6979P384();
  const Digest digest = Hash(HashAlg::kSha384, Ascii("sample"));
  const Bytes expected = DerSignature(Hex(kP384SampleR), Hex(kP384SampleS));
  EXPECT_EQ(Sign(key, ToBytes(digest)), expected);
  EXPECT_EQ(Verify(key.public_key, ToBytes(digest), expected), HardenedBool::kTrue);
}

TEST(Ecdsa, ModifiedDigestRejected) {
  struct Case {
    EcKeyPair key;
    HashAlg alg;
    Bytes sig;
  };
  const Case cases[] = {
      {Rfc6979P256(), HashAlg::kSha256, DerSignature(Hex(kP256SampleR), Hex(kP256SampleS))},
      {Rfc6979P384(), HashAlg::kSha384, DerSignature(Hex(kP384SampleR), Hex(kP384SampleS))},
  };
  for (const Case& c : cases) {
    const Bytes digest = ToBytes(Hash(c.alg, Ascii("sample")));
    ASSERT_EQ(Verify(c.key.public_key, digest, c.sig), HardenedBool::kTrue);
    for (size_t i = 0; i < digest.size(); i += 7) {
      Bytes bad = digest;
      bad[i] ^= 0x01;
      EXPECT_EQ(Verify(c.key.public_key, bad, c.sig), HardenedBool::kFalse) << "byte " << i;
    }
    EXPECT_EQ(Verify(c.key.public_key, ToBytes(Hash(c.alg, Ascii("samplf"))), c.sig),
              HardenedBool::kFalse);
    // A digest of a length neither SHA-256 nor SHA-384 produces.
    EXPECT_EQ(Verify(c.key.public_key, Bytes(digest.begin(), digest.end() - 1), c.sig),
              HardenedBool::kFalse);
    EXPECT_EQ(Verify(c.key.public_key, Bytes(), c.sig), HardenedBool::kFalse);
  }
}

TEST(Ecdsa, OutOfRangeScalarsRejected) {
  struct Case {
    EcKeyPair key;
    HashAlg alg;
    Bytes r, s, n;
  };
  const Case cases[] = {
      {Rfc6979P256(), HashAlg::kSha256, Hex(kP256SampleR), Hex(kP256SampleS), Hex(kP256Order)},
      {Rfc6979P384(), HashAlg::kSha384, Hex(kP384SampleR), Hex(kP384SampleS), Hex(kP384Order)},
  };
  for (const Case& c : cases) {
    const Bytes digest = ToBytes(Hash(c.alg, Ascii("sample")));
    const Bytes zero = {0x00};
    const Bytes all_ones(c.n.size(), 0xff);
    Bytes n_plus_r = c.n;  // r + n has the same residue; must still be refused
    {
      unsigned carry = 0;
      for (size_t i = n_plus_r.size(); i-- > 0;) {
        const unsigned sum = n_plus_r[i] + c.r[i] + carry;
        n_plus_r[i] = static_cast<uint8_t>(sum);
        carry = sum >> 8;
      }
      if (carry != 0) n_plus_r.insert(n_plus_r.begin(), 0x01);
    }
    const std::pair<Bytes, Bytes> bad[] = {
        {zero, c.s}, {c.r, zero},     {zero, zero},    {c.n, c.s},
        {c.r, c.n},  {all_ones, c.s}, {c.r, all_ones}, {n_plus_r, c.s},
    };
    for (const auto& [r, s] : bad) {
      EXPECT_EQ(Verify(c.key.public_key, digest, DerSignature(r, s)), HardenedBool::kFalse);
    }
    EXPECT_EQ(Verify(c.key.public_key, digest, DerSignature(c.r, c.s)), HardenedBool::kTrue);
  }
}

// P-256 signatures are verified by p256-m, P-384 ones by Mbed TLS's ECP: a
// key that is not a point of the curve verifies nothing on either, whatever
// path built it (not only SPKI parsing checks it).
TEST(Ecdsa, KeysOffTheCurveVerifyNothing) {
  struct Case {
    EcKeyPair key;
    HashAlg alg;
    Bytes r, s, p;
  };
  const Case cases[] = {
      {Rfc6979P256(), HashAlg::kSha256, Hex(kP256SampleR), Hex(kP256SampleS),
       Hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff")},
      {Rfc6979P384(), HashAlg::kSha384, Hex(kP384SampleR), Hex(kP384SampleS),
       Hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff000000000000000"
           "0"
           "ffffffff")},
  };
  for (const Case& c : cases) {
    const Bytes digest = ToBytes(Hash(c.alg, Ascii("sample")));
    const Bytes sig = DerSignature(c.r, c.s);
    ASSERT_EQ(Verify(c.key.public_key, digest, sig), HardenedBool::kTrue);
    const size_t n = CoordinateSize(c.key.public_key.curve);
    EcPublicKey off = c.key.public_key;
    off.point[2 * n] ^= 0x01;  // y changed: not on the curve
    EXPECT_EQ(Verify(off, digest, sig), HardenedBool::kFalse);
    EcPublicKey infinity = c.key.public_key;  // (0, 0): the usual stand-in for infinity
    std::fill(infinity.point.begin() + 1, infinity.point.begin() + 1 + 2 * n, 0);
    EXPECT_EQ(Verify(infinity, digest, sig), HardenedBool::kFalse);
    EcPublicKey x_too_big = c.key.public_key;  // x = p: not a field element
    std::copy(c.p.begin(), c.p.end(), x_too_big.point.begin() + 1);
    EXPECT_EQ(Verify(x_too_big, digest, sig), HardenedBool::kFalse);
    EcPublicKey compressed = c.key.public_key;  // only uncompressed points
    compressed.point[0] = 0x02;
    EXPECT_EQ(Verify(compressed, digest, sig), HardenedBool::kFalse);
  }
}

TEST(Ecdsa, MalformedDerRejected) {
  const EcKeyPair key = Rfc6979P256();
  const Bytes digest = ToBytes(Hash(HashAlg::kSha256, Ascii("sample")));
  const Bytes good = DerSignature(Hex(kP256SampleR), Hex(kP256SampleS));
  ASSERT_EQ(Verify(key.public_key, digest, good), HardenedBool::kTrue);

  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(
        Verify(key.public_key, digest, Bytes(good.begin(), good.begin() + static_cast<long>(n))),
        HardenedBool::kFalse)
        << "truncated to " << n;
  }
  EXPECT_EQ(Verify(key.public_key, digest, Concat(good, {0x00})), HardenedBool::kFalse);
  // Outer length grown by one to cover the extra byte: a third element.
  Bytes extra_inside = Concat(good, {0x00});
  extra_inside[1] = static_cast<uint8_t>(extra_inside[1] + 1);
  EXPECT_EQ(Verify(key.public_key, digest, extra_inside), HardenedBool::kFalse);
  // Raw r || s (the COSE form) is not DER.
  EXPECT_EQ(Verify(key.public_key, digest, Concat(Hex(kP256SampleR), Hex(kP256SampleS))),
            HardenedBool::kFalse);
  // Wrong outer tag, wrong integer tag.
  Bytes bad_tag = good;
  bad_tag[0] = 0x31;
  EXPECT_EQ(Verify(key.public_key, digest, bad_tag), HardenedBool::kFalse);
  Bytes bad_int = good;
  bad_int[2] = 0x03;
  EXPECT_EQ(Verify(key.public_key, digest, bad_int), HardenedBool::kFalse);
  // Larger than any P-384 signature.
  EXPECT_EQ(Verify(key.public_key, digest, Bytes(kMaxEcdsaDerSigSize + 1, 0x30)),
            HardenedBool::kFalse);
}

TEST(Ecdsa, WrongCurveKeyRejected) {
  const EcKeyPair p256 = Rfc6979P256();
  const EcKeyPair p384 = Rfc6979P384();
  const Bytes d256 = ToBytes(Hash(HashAlg::kSha256, Ascii("sample")));
  const Bytes d384 = ToBytes(Hash(HashAlg::kSha384, Ascii("sample")));
  const Bytes sig256 = DerSignature(Hex(kP256SampleR), Hex(kP256SampleS));
  const Bytes sig384 = DerSignature(Hex(kP384SampleR), Hex(kP384SampleS));

  EXPECT_EQ(Verify(p384.public_key, d256, sig256), HardenedBool::kFalse);
  EXPECT_EQ(Verify(p256.public_key, d384, sig384), HardenedBool::kFalse);
  // A P-256 point labelled P-384, and the reverse.
  EcPublicKey mislabelled = p256.public_key;
  mislabelled.curve = Curve::kP384;
  EXPECT_EQ(Verify(mislabelled, d256, sig256), HardenedBool::kFalse);
  mislabelled = p384.public_key;
  mislabelled.curve = Curve::kP256;
  EXPECT_EQ(Verify(mislabelled, d384, sig384), HardenedBool::kFalse);
  // A point not on the curve, and an empty key.
  EcPublicKey off_curve = p256.public_key;
  off_curve.point[64] ^= 0x01;
  EXPECT_EQ(Verify(off_curve, d256, sig256), HardenedBool::kFalse);
  EXPECT_EQ(Verify(EcPublicKey{}, d256, sig256), HardenedBool::kFalse);
}

TEST(Ecdsa, SignRefusesBadArguments) {
  const EcKeyPair key = Rfc6979P256();
  Bytes out(kMaxEcdsaDerSigSize);
  size_t n = 0;
  EXPECT_EQ(EcdsaSign(key, Bytes(31), out, &n).code(), StatusCode::kInvalidArgument);
  Bytes tiny(8);
  EXPECT_EQ(EcdsaSign(key, Bytes(32, 1), tiny, &n).code(), StatusCode::kResourceExhausted);
  EcKeyPair bad = key;
  bad.public_key.point_size = 0;
  EXPECT_EQ(EcdsaSign(bad, Bytes(32, 1), out, &n).code(), StatusCode::kInvalidArgument);
}

TEST(Ecdsa, GeneratedKeysSignAndVerifyOnBothCurves) {
  Drbg drbg;
  SeededDrbg(&drbg, 0x31);
  for (Curve curve : {Curve::kP256, Curve::kP384}) {
    EcKeyPair key;
    ASSERT_EQ(drbg.GenerateKeyPair(curve, &key).code(), StatusCode::kOk);
    EXPECT_EQ(key.public_key.curve, curve);
    EXPECT_EQ(key.public_key.point_size, 1 + 2 * CoordinateSize(curve));
    const Bytes digest = ToBytes(Hash(CurveHash(curve), Ascii(CurveName(curve))));
    const Bytes sig = Sign(key, digest);
    EXPECT_LE(sig.size(), kMaxEcdsaDerSigSize);
    EXPECT_EQ(Sign(key, digest), sig);  // deterministic
    EXPECT_EQ(Verify(key.public_key, digest, sig), HardenedBool::kTrue);
    Bytes flipped = sig;
    flipped[flipped.size() - 1] ^= 0x40;
    EXPECT_EQ(Verify(key.public_key, digest, flipped), HardenedBool::kFalse);
  }
}

// ============================================================ SPKI and PEM

TEST(Spki, MatchesOpensslEncodingAndRoundTrips) {
  EcPublicKey key;
  ASSERT_EQ(ParsePublicKeySpki(Hex(kOpensslP256SpkiDer), &key).code(), StatusCode::kOk);
  EXPECT_EQ(key.curve, Curve::kP256);
  EXPECT_EQ(Point(key), Hex(kOpensslP256Point));
  EXPECT_EQ(Spki(key), Hex(kOpensslP256SpkiDer));

  Drbg drbg;
  SeededDrbg(&drbg, 0x42);
  for (Curve curve : {Curve::kP256, Curve::kP384}) {
    EcKeyPair pair;
    ASSERT_EQ(drbg.GenerateKeyPair(curve, &pair).code(), StatusCode::kOk);
    const Bytes der = Spki(pair.public_key);
    EXPECT_EQ(der.size(), curve == Curve::kP256 ? 91u : 120u);
    EcPublicKey parsed;
    ASSERT_EQ(ParsePublicKeySpki(der, &parsed).code(), StatusCode::kOk);
    EXPECT_EQ(parsed.curve, curve);
    EXPECT_EQ(Point(parsed), Point(pair.public_key));
  }
}

TEST(Spki, WriteRefusesSmallBufferAndBadKey) {
  const EcKeyPair key = Rfc6979P384();
  Bytes out(kMaxSpkiDerSize - 1);
  size_t n = 0;
  EXPECT_EQ(WritePublicKeySpki(key.public_key, out, &n).code(), StatusCode::kResourceExhausted);
  EcPublicKey bad = key.public_key;
  bad.point_size = 65;
  Bytes big(kMaxSpkiDerSize);
  EXPECT_NE(WritePublicKeySpki(bad, big, &n).code(), StatusCode::kOk);
}

void ExpectSpkiRefused(const Bytes& der, const char* what) {
  EcPublicKey out;
  out.point_size = 7;  // untouched on failure
  EXPECT_EQ(ParsePublicKeySpki(der, &out).code(), StatusCode::kInvalidArgument) << what;
  EXPECT_EQ(out.point_size, 7u) << what;
}

TEST(Spki, RefusesMalformedKeys) {
  const Bytes p256 = Hex(kOpensslP256SpkiDer);
  const Bytes p384 = Spki(Rfc6979P384().public_key);
  for (const Bytes& good : {p256, p384}) {
    ExpectSpkiRefused(Concat(good, {0x00}), "trailing byte");
    for (size_t n = 0; n < good.size(); ++n) {
      ExpectSpkiRefused(Bytes(good.begin(), good.begin() + static_cast<long>(n)), "truncated");
    }
    Bytes off_curve = good;
    off_curve.back() ^= 0x01;
    ExpectSpkiRefused(off_curve, "point not on the curve");
    Bytes unused_bits = good;
    unused_bits[good.size() - (good == p256 ? 66 : 98)] = 0x01;
    ExpectSpkiRefused(unused_bits, "bit string with unused bits");
    Bytes hybrid = good;
    hybrid[good.size() - (good == p256 ? 65 : 97)] = 0x06;
    ExpectSpkiRefused(hybrid, "hybrid point encoding");
  }

  // Compressed point: 0x02 || X, with every length adjusted.
  const Bytes x = Bytes(p256.end() - 64, p256.end() - 32);
  const Bytes compressed =
      Concat(Concat(Hex("3039301306072a8648ce3d020106082a8648ce3d030107032200"), Bytes{0x03}), x);
  ExpectSpkiRefused(compressed, "compressed point");
  Bytes compressed2 = compressed;
  compressed2[26] = 0x02;
  ExpectSpkiRefused(compressed2, "compressed point");

  ExpectSpkiRefused(Hex(kEd25519SpkiDer), "Ed25519");
  ExpectSpkiRefused(Hex(kSecp256k1SpkiDer), "secp256k1");
  const Bytes point = Bytes(p256.end() - 65, p256.end());
  // An rsaEncryption AlgorithmIdentifier (NULL parameters) around a P-256 point.
  ExpectSpkiRefused(Concat(Hex("3053300d06092a864886f70d0101010500034200"), point),
                    "rsaEncryption OID");
  // The P-384 OID around a 65-byte point.
  ExpectSpkiRefused(Concat(Hex("3056301006072a8648ce3d020106052b81040022034200"), point),
                    "P-384 OID, P-256 point");
  // An unknown curve OID (1.2.840.10045.8.1.7).
  Bytes unknown_curve = p256;
  unknown_curve[20] = 0x08;
  ExpectSpkiRefused(unknown_curve, "unknown curve OID");
  // Parameters that are not a named curve (NULL).
  ExpectSpkiRefused(Concat(Hex("3051300b06072a8648ce3d02010500034200"), point), "NULL parameters");
  ExpectSpkiRefused(Bytes{}, "empty");
  ExpectSpkiRefused(Bytes(kMaxSpkiDerSize + 1, 0x30), "too long");
}

// DER allows one encoding per value: a long-form length where the short form
// fits makes a second encoding of the same key, which would hash differently.
TEST(Spki, RefusesNonCanonicalLengths) {
  const Bytes good = Hex(kOpensslP256SpkiDer);
  Bytes long_outer = {0x30, 0x81};
  long_outer.insert(long_outer.end(), good.begin() + 1, good.end());
  ExpectSpkiRefused(long_outer, "long-form outer length");
  Bytes long_alg(good.begin(), good.begin() + 2);
  long_alg[1] = static_cast<uint8_t>(long_alg[1] + 1);
  long_alg.insert(long_alg.end(), {0x30, 0x81});
  long_alg.insert(long_alg.end(), good.begin() + 3, good.end());
  ExpectSpkiRefused(long_alg, "long-form algorithm length");
}

TEST(KeyFile, PrivatePemRoundTrip) {
  Drbg drbg;
  SeededDrbg(&drbg, 0x17);
  for (Curve curve : {Curve::kP256, Curve::kP384}) {
    EcKeyPair key;
    ASSERT_EQ(drbg.GenerateKeyPair(curve, &key).code(), StatusCode::kOk);
    Bytes pem(kMaxPrivateKeyPemSize);
    size_t n = 0;
    ASSERT_EQ(WritePrivateKeyPem(key, pem, &n).code(), StatusCode::kOk);
    ASSERT_LT(n, pem.size());
    pem.resize(n);
    EXPECT_EQ(std::string(pem.begin(), pem.begin() + 10), "-----BEGIN");

    EcPublicKey pub;
    EcKeyPair parsed;
    ASSERT_EQ(ParseKeyFile(pem, &pub, &parsed).code(), StatusCode::kOk);
    EXPECT_EQ(parsed.public_key.curve, curve);
    EXPECT_EQ(Scalar(parsed), Scalar(key));
    EXPECT_EQ(Point(parsed.public_key), Point(key.public_key));
    EXPECT_EQ(Point(pub), Point(key.public_key));
    EXPECT_EQ(pub.curve, curve);
    // Without a private output: public key only, still kOk.
    EcPublicKey pub_only;
    EXPECT_EQ(ParseKeyFile(pem, &pub_only, nullptr).code(), StatusCode::kOk);
    EXPECT_EQ(Point(pub_only), Point(key.public_key));
    // The parsed key signs what the original key verifies.
    const Bytes digest = ToBytes(Hash(CurveHash(curve), Ascii("round trip")));
    EXPECT_EQ(Verify(key.public_key, digest, Sign(parsed, digest)), HardenedBool::kTrue);
  }
}

TEST(KeyFile, PrivatePemRefusesSmallBuffer) {
  const EcKeyPair key = Rfc6979P384();
  Bytes pem(64);
  size_t n = 0;
  EXPECT_EQ(WritePrivateKeyPem(key, pem, &n).code(), StatusCode::kResourceExhausted);
  Bytes pub_pem(64);
  EXPECT_EQ(WritePublicKeyPem(key.public_key, pub_pem, &n).code(), StatusCode::kResourceExhausted);
}

TEST(KeyFile, PublicPemGivesPublicOnly) {
  for (const EcKeyPair& key : {Rfc6979P256(), Rfc6979P384()}) {
    Bytes pem(400);
    size_t n = 0;
    ASSERT_EQ(WritePublicKeyPem(key.public_key, pem, &n).code(), StatusCode::kOk);
    pem.resize(n);
    EXPECT_EQ(std::string(pem.begin(), pem.begin() + 26), "-----BEGIN PUBLIC KEY-----");
    EXPECT_EQ(pem.back(), '\n');

    EcPublicKey pub;
    EcKeyPair priv;
    EXPECT_EQ(ParseKeyFile(pem, &pub, &priv).code(), StatusCode::kNotFound);
    EXPECT_EQ(Point(pub), Point(key.public_key));
    EXPECT_EQ(pub.curve, key.public_key.curve);
    EcPublicKey pub2;
    EXPECT_EQ(ParseKeyFile(pem, &pub2, nullptr).code(), StatusCode::kOk);
    EXPECT_EQ(Point(pub2), Point(key.public_key));
  }
}

TEST(KeyFile, OpensslPkcs8PrivateKeysParse) {
  struct Case {
    std::string_view pem, scalar, point;
    Curve curve;
  };
  const Case cases[] = {
      {kOpensslP256Pkcs8, kOpensslP256Scalar, kOpensslP256Point, Curve::kP256},
      {kOpensslP384Pkcs8, kOpensslP384Scalar, kOpensslP384Point, Curve::kP384},
  };
  for (const Case& c : cases) {
    EcPublicKey pub;
    EcKeyPair priv;
    ASSERT_EQ(ParseKeyFile(Ascii(c.pem), &pub, &priv).code(), StatusCode::kOk);
    EXPECT_EQ(priv.public_key.curve, c.curve);
    EXPECT_EQ(Scalar(priv), Hex(c.scalar));
    EXPECT_EQ(Point(priv.public_key), Hex(c.point));
    EXPECT_EQ(Point(pub), Hex(c.point));
  }
}

TEST(KeyFile, OpensslDerKeysParse) {
  EcPublicKey pub;
  EcKeyPair priv;
  ASSERT_EQ(ParseKeyFile(Hex(kOpensslP256Sec1Der), &pub, &priv).code(), StatusCode::kOk);
  EXPECT_EQ(Scalar(priv), Hex(kOpensslP256Scalar));
  EXPECT_EQ(Point(pub), Hex(kOpensslP256Point));

  EcPublicKey spki_pub;
  EcKeyPair none;
  EXPECT_EQ(ParseKeyFile(Hex(kOpensslP256SpkiDer), &spki_pub, &none).code(), StatusCode::kNotFound);
  EXPECT_EQ(Point(spki_pub), Hex(kOpensslP256Point));
}

// A SEC1 key whose public point belongs to another scalar (here OpenSSL's
// scalar with the RFC 6979 point) is not a key pair: signatures made with it
// would not verify under the public key it reports.
TEST(KeyFile, RefusesMismatchedPublicKey) {
  Bytes der = Hex(kOpensslP256Sec1Der);
  const Bytes other = Concat(Hex(kP256Ux), Hex(kP256Uy));
  std::memcpy(der.data() + der.size() - 64, other.data(), 64);
  EcPublicKey pub;
  EcKeyPair priv;
  EXPECT_EQ(ParseKeyFile(der, &pub, &priv).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKeyFile(der, &pub, nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(KeyFile, RefusesWhatIsNotAP256OrP384Key) {
  const Bytes garbage = Ascii("this is not a key file\n");
  const Bytes pem_garbage =
      Ascii("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
  Bytes truncated_pem = Ascii(kOpensslP256Pkcs8);
  truncated_pem.resize(truncated_pem.size() - 30);
  const Bytes too_big(4096, 'A');
  const std::pair<Bytes, const char*> cases[] = {
      {Bytes{}, "empty"},
      {garbage, "garbage"},
      {Bytes(100, 0x00), "zeros"},
      {pem_garbage, "PEM around garbage"},
      {truncated_pem, "truncated PEM"},
      {Ascii(kOpensslRsaPem), "RSA key"},
      {Ascii(kOpensslSecp256k1Pkcs8), "secp256k1 key"},
      {Hex(kSecp256k1SpkiDer), "secp256k1 public key"},
      {Hex(kEd25519SpkiDer), "Ed25519 public key"},
      {too_big, "4 KiB"},
  };
  for (const auto& [contents, what] : cases) {
    EcPublicKey pub;
    EcKeyPair priv;
    EXPECT_EQ(ParseKeyFile(contents, &pub, &priv).code(), StatusCode::kInvalidArgument) << what;
    EXPECT_EQ(ParseKeyFile(contents, &pub, nullptr).code(), StatusCode::kInvalidArgument) << what;
  }
}

// ======================================================================= DRBG

TEST(Drbg, GenerateBeforeSeedFails) {
  Drbg drbg;
  Bytes out(16);
  EXPECT_EQ(drbg.Generate(out).code(), StatusCode::kFailedPrecondition);
  EcKeyPair key;
  EXPECT_EQ(drbg.GenerateKeyPair(Curve::kP256, &key).code(), StatusCode::kFailedPrecondition);
}

TEST(Drbg, SeedNeeds48Bytes) {
  Drbg drbg;
  EXPECT_EQ(drbg.Seed(Bytes(47, 0x11), {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(drbg.Seed({}, {}).code(), StatusCode::kInvalidArgument);
  Bytes out(16);
  EXPECT_EQ(drbg.Generate(out).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(drbg.Seed(Bytes(48, 0x11), {}).code(), StatusCode::kOk);
  EXPECT_EQ(drbg.Generate(out).code(), StatusCode::kOk);
}

Bytes DrbgOutput(const Bytes& seed, const Bytes& personalization, size_t size) {
  Drbg drbg;
  EXPECT_EQ(drbg.Seed(seed, personalization).code(), StatusCode::kOk);
  Bytes out(size);
  EXPECT_EQ(drbg.Generate(out).code(), StatusCode::kOk);
  return out;
}

TEST(Drbg, SameSeedSameOutputDifferentSeedDifferentOutput) {
  const Bytes seed = Range(0x00, 0x2f);
  const Bytes a = DrbgOutput(seed, {}, 64);
  EXPECT_EQ(DrbgOutput(seed, {}, 64), a);
  EXPECT_NE(a, Bytes(64, 0));
  Bytes other = seed;
  other[0] ^= 0x01;
  EXPECT_NE(DrbgOutput(other, {}, 64), a);
  other = seed;
  other[47] ^= 0x80;  // the nonce part
  EXPECT_NE(DrbgOutput(other, {}, 64), a);
  EXPECT_NE(DrbgOutput(seed, Ascii("bastion"), 64), a);
  // Two requests continue the stream rather than repeat it.
  Drbg drbg;
  ASSERT_EQ(drbg.Seed(seed, {}).code(), StatusCode::kOk);
  Bytes first(32), second(32);
  ASSERT_EQ(drbg.Generate(first).code(), StatusCode::kOk);
  ASSERT_EQ(drbg.Generate(second).code(), StatusCode::kOk);
  EXPECT_NE(first, second);
}

TEST(Drbg, SameSeedSameKeys) {
  Drbg a, b;
  SeededDrbg(&a, 0x99);
  SeededDrbg(&b, 0x99);
  EcKeyPair ka, kb;
  ASSERT_EQ(a.GenerateKeyPair(Curve::kP384, &ka).code(), StatusCode::kOk);
  ASSERT_EQ(b.GenerateKeyPair(Curve::kP384, &kb).code(), StatusCode::kOk);
  EXPECT_EQ(Scalar(ka), Scalar(kb));
  EXPECT_EQ(Point(ka.public_key), Point(kb.public_key));
  EcPublicKey parsed;
  EXPECT_EQ(ParsePublicKeySpki(Spki(ka.public_key), &parsed).code(),
            StatusCode::kOk);  // on the curve
}

TEST(Drbg, LargeRequestsSpanSeveralCalls) {
  Drbg drbg;
  SeededDrbg(&drbg, 0x05);
  Bytes out(5000, 0);
  ASSERT_EQ(drbg.Generate(out).code(), StatusCode::kOk);
  // No 1 KiB chunk repeats another, and the tail is filled.
  for (size_t i = 1024; i + 1024 <= out.size(); i += 1024) {
    EXPECT_NE(Bytes(out.begin(), out.begin() + 1024),
              Bytes(out.begin() + static_cast<long>(i), out.begin() + static_cast<long>(i + 1024)));
  }
  EXPECT_NE(Bytes(out.end() - 32, out.end()), Bytes(32, 0));
}

// Seed() keeps no entropy source, so the DRBG must never try to reseed
// itself: more requests than Mbed TLS's default reseed interval (10000).
TEST(Drbg, NoAutomaticReseed) {
  Drbg drbg;
  SeededDrbg(&drbg, 0x77);
  uint8_t out[4];
  for (int i = 0; i < 10100; ++i) {
    ASSERT_EQ(drbg.Generate(out).code(), StatusCode::kOk) << "request " << i;
  }
}

// ====================================================================== arena

TEST(Arena, PeakWithinCapacity) {
  const EcKeyPair key = Rfc6979P384();
  const Bytes digest = ToBytes(Hash(HashAlg::kSha384, Ascii("sample")));
  EXPECT_EQ(Verify(key.public_key, digest, DerSignature(Hex(kP384SampleR), Hex(kP384SampleS))),
            HardenedBool::kTrue);
  EXPECT_GT(ArenaPeakBytes(), 0u);
  EXPECT_LE(ArenaPeakBytes(), ArenaCapacity());
  ArenaResetPeak();
  const size_t after_reset = ArenaPeakBytes();
  EXPECT_LE(after_reset, ArenaCapacity());
  Bytes pem(kMaxPrivateKeyPemSize);
  size_t n = 0;
  ASSERT_EQ(WritePrivateKeyPem(key, pem, &n).code(), StatusCode::kOk);
  EXPECT_GE(ArenaPeakBytes(), after_reset);
  EXPECT_LE(ArenaPeakBytes(), ArenaCapacity());
}

}  // namespace
}  // namespace bastion::crypto
