#include "crypto/ecdsa_der.h"

#include <cstring>

namespace bastion::crypto {
namespace {

constexpr uint8_t kDerSequence = 0x30;
constexpr uint8_t kDerInteger = 0x02;

// The DER INTEGER content for an unsigned big-endian value: leading zeros
// stripped (one kept for zero), a 0x00 prepended when the high bit is set.
struct IntegerView {
  ConstByteSpan digits;  // without leading zeros (at least one byte)
  bool pad = false;      // needs a 0x00 in front
  size_t content_size() const { return digits.size() + (pad ? 1 : 0); }
};

IntegerView MinimalInteger(ConstByteSpan value) {
  size_t first = 0;
  while (first + 1 < value.size() && value[first] == 0) ++first;
  IntegerView view;
  view.digits = value.subspan(first);
  view.pad = (view.digits[0] & 0x80) != 0;
  return view;
}

// Reads one canonical DER INTEGER at *p, writes it right-aligned into `out`.
bool ReadInteger(ConstByteSpan der, size_t* p, ByteSpan out) {
  if (der.size() - *p < 2 || der[*p] != kDerInteger) return false;
  const size_t length = der[*p + 1];
  *p += 2;
  if (length == 0 || length >= 0x80 || der.size() - *p < length) return false;
  const ConstByteSpan content = der.subspan(*p, length);
  if ((content[0] & 0x80) != 0) return false;                                   // negative
  if (length > 1 && content[0] == 0 && (content[1] & 0x80) == 0) return false;  // not minimal
  ConstByteSpan digits = content;
  if (length > 1 && content[0] == 0) digits = content.subspan(1);
  if (digits.size() > out.size()) return false;
  std::memset(out.data(), 0, out.size() - digits.size());
  std::memcpy(out.data() + out.size() - digits.size(), digits.data(), digits.size());
  *p += length;
  return true;
}

}  // namespace

Status EcdsaRawToDer(ConstByteSpan raw, ByteSpan out, size_t* written) {
  if (raw.size() != 64 && raw.size() != 96) return StatusCode::kInvalidArgument;
  const size_t half = raw.size() / 2;
  const IntegerView r = MinimalInteger(raw.first(half));
  const IntegerView s = MinimalInteger(raw.subspan(half));
  const size_t body = 2 + r.content_size() + 2 + s.content_size();  // < 128
  const size_t total = 2 + body;
  if (out.size() < total) return StatusCode::kResourceExhausted;
  size_t p = 0;
  out[p++] = kDerSequence;
  out[p++] = static_cast<uint8_t>(body);
  for (const IntegerView* v : {&r, &s}) {
    out[p++] = kDerInteger;
    out[p++] = static_cast<uint8_t>(v->content_size());
    if (v->pad) out[p++] = 0;
    std::memcpy(out.data() + p, v->digits.data(), v->digits.size());
    p += v->digits.size();
  }
  *written = total;
  return StatusCode::kOk;
}

Status EcdsaDerToRaw(ConstByteSpan der, size_t coordinate_size, ByteSpan out) {
  if (coordinate_size != 32 && coordinate_size != 48) return StatusCode::kInvalidArgument;
  if (out.size() < 2 * coordinate_size) return StatusCode::kResourceExhausted;
  if (der.size() < 2 || der[0] != kDerSequence || der[1] >= 0x80 ||
      static_cast<size_t>(der[1]) + 2 != der.size()) {
    return StatusCode::kInvalidArgument;
  }
  size_t p = 2;
  if (!ReadInteger(der, &p, out.first(coordinate_size)) ||
      !ReadInteger(der, &p, out.subspan(coordinate_size, coordinate_size)) || p != der.size()) {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kOk;
}

Status CheckEcdsaRawSignature(Curve curve, ConstByteSpan raw) {
  // Group orders (SEC 2 / FIPS 186-4), big-endian.
  static constexpr uint8_t kOrderP256[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
                                             0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  static constexpr uint8_t kOrderP384[48] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2,
      0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73};
  const size_t size = CoordinateSize(curve);
  if (raw.size() != 2 * size) return StatusCode::kInvalidArgument;
  const uint8_t* order = curve == Curve::kP256 ? kOrderP256 : kOrderP384;
  for (const uint8_t* v : {raw.data(), raw.data() + size}) {
    bool zero = true;
    for (size_t i = 0; i < size; ++i) zero = zero && v[i] == 0;
    if (zero || std::memcmp(v, order, size) >= 0) return StatusCode::kOutOfRange;
  }
  return StatusCode::kOk;
}

Status CheckEcdsaDerSignature(Curve curve, ConstByteSpan der) {
  const size_t size = CoordinateSize(curve);
  uint8_t raw[kMaxRawSignatureSize];
  BASTION_TRY(EcdsaDerToRaw(der, size, raw));
  return CheckEcdsaRawSignature(curve, ConstByteSpan(raw, 2 * size));
}

}  // namespace bastion::crypto
