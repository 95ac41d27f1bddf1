#include "cbor/cbor.h"

#include <cstring>

namespace bastion::cbor {
namespace {

constexpr uint8_t kInfoOneByte = 24;
constexpr uint8_t kInfoEightBytes = 27;
constexpr uint8_t kInfoIndefinite = 31;
constexpr uint8_t kSimpleFalse = 20;
constexpr uint8_t kSimpleTrue = 21;
constexpr uint8_t kSimpleNull = 22;

// Bytewise lexicographic order of encoded keys (RFC 8949 §4.2.1): a shorter
// key that is a prefix of a longer one sorts first.
int CompareKeys(ConstByteSpan a, ConstByteSpan b) {
  const size_t common = a.size() < b.size() ? a.size() : b.size();
  const int c = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  if (c != 0) return c;
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace

const char* CborErrorName(CborError error) {
  switch (error) {
    case CborError::kOk:
      return "ok";
    case CborError::kTruncated:
      return "truncated";
    case CborError::kIndefiniteLength:
      return "indefinite-length";
    case CborError::kNonShortestHead:
      return "non-shortest-head";
    case CborError::kReservedInfo:
      return "reserved-additional-info";
    case CborError::kUnsupportedSimple:
      return "unsupported-simple-value";
    case CborError::kFloat:
      return "float";
    case CborError::kInvalidUtf8:
      return "invalid-utf8";
    case CborError::kTooDeep:
      return "too-deep";
    case CborError::kTrailingBytes:
      return "trailing-bytes";
    case CborError::kTypeMismatch:
      return "type-mismatch";
    case CborError::kIntegerOverflow:
      return "integer-overflow";
    case CborError::kEndOfContainer:
      return "end-of-container";
    case CborError::kItemsRemaining:
      return "items-remaining";
    case CborError::kDuplicateKey:
      return "duplicate-key";
    case CborError::kKeyOrder:
      return "key-order";
    case CborError::kNotInContainer:
      return "not-in-container";
  }
  return "unknown";
}

Status CborErrorStatus(CborError error) {
  switch (error) {
    case CborError::kOk:
      return StatusCode::kOk;
    case CborError::kTruncated:
    case CborError::kEndOfContainer:
      return StatusCode::kOutOfRange;
    case CborError::kTooDeep:
      return StatusCode::kResourceExhausted;
    case CborError::kTypeMismatch:
    case CborError::kItemsRemaining:
    case CborError::kNotInContainer:
      return StatusCode::kFailedPrecondition;
    case CborError::kIntegerOverflow:
    case CborError::kTrailingBytes:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kDataLoss;
  }
}

bool IsValidUtf8(ConstByteSpan text) {
  // The smallest code point each sequence length may encode (no overlong forms).
  static constexpr uint32_t kMinimum[3] = {0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t c = text[i++];
    if (c < 0x80) continue;
    // The lead byte's leading one bits: 2, 3 or 4 for a 2-, 3- or 4-byte
    // sequence (1 is a continuation byte, 5 and more are never valid).
    const auto ones = static_cast<size_t>(__builtin_clz(~(uint32_t{c} << 24)));
    if (ones < 2 || ones > 4) return false;
    const size_t continuation = ones - 1;
    if (text.size() - i < continuation) return false;
    uint32_t code_point = c & (0x7fu >> ones);
    for (size_t k = 0; k < continuation; ++k) {
      const uint8_t b = text[i++];
      if ((b & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (b & 0x3fu);
    }
    if (code_point < kMinimum[continuation - 1] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
  }
  return true;
}

bool Equals(ConstByteSpan value, std::string_view literal) {
  return value.size() == literal.size() &&
         (value.empty() || std::memcmp(value.data(), literal.data(), value.size()) == 0);
}

CborError ParseHead(ConstByteSpan in, size_t offset, Head* head) {
  if (offset >= in.size()) return CborError::kTruncated;
  const uint8_t* const start = in.data() + offset;
  const uint8_t* p = start + 1;          // past the initial byte
  size_t left = in.size() - offset - 1;  // bytes after p
  const auto major = static_cast<MajorType>(*start >> 5);
  const uint8_t info = *start & 0x1f;
  if (info > kInfoEightBytes) {
    return info == kInfoIndefinite ? CborError::kIndefiniteLength : CborError::kReservedInfo;
  }
  if (major == MajorType::kSimple && (info < kSimpleFalse || info > kSimpleNull)) {
    return info > kInfoOneByte ? CborError::kFloat : CborError::kUnsupportedSimple;
  }
  uint64_t argument = info;
  if (info >= kInfoOneByte) {
    const size_t extra = size_t{1} << (info - kInfoOneByte);  // 1, 2, 4, 8
    if (left < extra) return CborError::kTruncated;
    left -= extra;
    argument = 0;
    uint32_t upper_half = 0;  // the first extra / 2 bytes, ORed
    for (size_t i = 0; i < extra; ++i) {
      argument = (argument << 8) | p[i];
      if (i < extra / 2) upper_half |= p[i];
    }
    p += extra;
    // The shortest form: the value must not fit the next smaller one (for
    // 2, 4 or 8 bytes: its upper half is not all zero).
    if (extra == 1 ? argument < kInfoOneByte : upper_half == 0) return CborError::kNonShortestHead;
  }
  if (major >= MajorType::kBytes && major <= MajorType::kMap) {
    // A string's content must fit; so must a container's items, at least a
    // byte each (two for a map pair).
    if (argument > (major == MajorType::kMap ? left / 2 : left)) return CborError::kTruncated;
    if (major == MajorType::kText && !IsValidUtf8({p, static_cast<size_t>(argument)})) {
      return CborError::kInvalidUtf8;
    }
  }
  head->major = major;
  head->info = info;
  head->argument = argument;
  head->size = static_cast<size_t>(p - start);
  return CborError::kOk;
}

CborError CheckItem(ConstByteSpan in, size_t* offset, uint8_t max_depth, bool check_map_order) {
  struct Frame {
    size_t remaining;      // items left (a map counts its keys and values)
    bool strict;           // a map whose keys are checked
    size_t key_start;      // strict: where the current key starts
    size_t previous;       // strict: where the previous key starts
    size_t previous_size;  // strict: its size (0: no key yet; a key is never empty)
  };
  const uint8_t budget = max_depth > kMaxDepthLimit ? kMaxDepthLimit : max_depth;
  std::array<Frame, kMaxDepthLimit + 1> stack;  // written as containers open
  Frame* const base = stack.data();             // holds the one item
  Frame* top = base;                            // the innermost open container
  *top = Frame{1, false, 0, 0, 0};
  size_t off = *offset;
  while (true) {
    while (top->remaining == 0 && top != base) --top;
    if (top->remaining == 0) break;  // the item and everything in it read
    if (top->strict) {
      if (top->remaining % 2 == 0) {
        top->key_start = off;  // a key starts here
      } else {                 // the key just ended; a value starts here
        const size_t key_size = off - top->key_start;
        if (top->previous_size != 0) {
          const int order = CompareKeys({in.data() + top->previous, top->previous_size},
                                        {in.data() + top->key_start, key_size});
          if (order == 0) return CborError::kDuplicateKey;
          if (order > 0) return CborError::kKeyOrder;
        }
        top->previous = top->key_start;
        top->previous_size = key_size;
      }
    }
    --top->remaining;
    Head head;
    do {
      const CborError error = ParseHead(in, off, &head);
      if (error != CborError::kOk) return error;
      off += head.size;
    } while (head.major == MajorType::kTag);
    if (head.major == MajorType::kBytes || head.major == MajorType::kText) {
      off += static_cast<size_t>(head.argument);  // ParseHead checked it fits
    } else if (head.major == MajorType::kArray || head.major == MajorType::kMap) {
      if (top - base >= budget) return CborError::kTooDeep;
      const bool map = head.major == MajorType::kMap;
      // ParseHead checked the count fits the input: no overflow.
      *++top = Frame{static_cast<size_t>(head.argument) * (map ? 2 : 1), map && check_map_order, 0,
                     0, 0};
    }
  }
  *offset = off;
  return CborError::kOk;
}

// Not inlined: the boot stages check a COSE message and each of its
// protected headers with it.
[[gnu::noinline]] CborError CheckItem(ConstByteSpan input, uint8_t max_depth,
                                      bool check_map_order) {
  size_t end = 0;
  const CborError error = CheckItem(input, &end, max_depth, check_map_order);
  if (error != CborError::kOk) return error;
  return end == input.size() ? CborError::kOk : CborError::kTrailingBytes;
}

size_t EncodeHead(MajorType major, uint64_t argument, std::span<uint8_t, kMaxHeadSize> out) {
  const size_t size = HeadSize(argument);
  // Below 24 the argument is the additional info; otherwise 24..27 say
  // that 1, 2, 4 or 8 bytes follow, most significant first.
  const auto info = static_cast<uint8_t>(
      size == 1 ? argument : kInfoOneByte + __builtin_ctz(static_cast<unsigned>(size - 1)));
  out[0] = static_cast<uint8_t>(static_cast<uint8_t>(major) << 5 | info);
  // In 32-bit halves: a size_t argument leaves the upper one 0 on 32-bit targets.
  auto low = static_cast<uint32_t>(argument);
  auto high = static_cast<uint32_t>(argument >> 32);
  for (size_t i = size - 1; i > 0; --i) {
    out[i] = static_cast<uint8_t>(low);
    low = low >> 8 | high << 24;
    high >>= 8;
  }
  return size;
}

// ---------------------------------------------------------------- Reader

MajorType Reader::Next() {
  Head head;
  if (ParseHead(input_, offset_, &head) != CborError::kOk) return kMalformed;
  offset_ += head.size;
  content_start_ = offset_;
  argument_ = head.argument;
  argument32_ = head.argument > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(head.argument);
  if (head.major == MajorType::kBytes || head.major == MajorType::kText) {
    offset_ += static_cast<size_t>(head.argument);  // ParseHead checked the content fits
  }
  return head.major;
}

ConstByteSpan Reader::Skip() {
  const size_t start = offset_;
  // The input was checked with its own depth limit; any limit will do here.
  if (CheckItem(input_, &offset_, kMaxDepthLimit, /*check_map_order=*/false) != CborError::kOk) {
    return {};
  }
  return ConstByteSpan(input_.data() + start, offset_ - start);
}

// ---------------------------------------------------------------- Encoder

void Encoder::WriteRaw(ConstByteSpan bytes) {
  if (!Fits(bytes.size())) return;
  if (!bytes.empty()) std::memcpy(out_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

void Encoder::WriteHead(MajorType major, uint64_t argument) {
  std::array<uint8_t, kMaxHeadSize> head;
  const size_t n = EncodeHead(major, argument, head);
  WriteRaw(ConstByteSpan(head.data(), n));
}

void Encoder::WriteUnsigned(uint64_t value) { WriteHead(MajorType::kUnsigned, value); }

void Encoder::WriteInt(int64_t value) {
  if (value >= 0) {
    WriteHead(MajorType::kUnsigned, static_cast<uint64_t>(value));
  } else {
    WriteHead(MajorType::kNegative, static_cast<uint64_t>(-(value + 1)));
  }
}

bool Encoder::Fits(size_t bytes) {
  if (!status_.ok()) return false;
  if (out_.size() - size_ < bytes) {
    status_ = StatusCode::kResourceExhausted;
    return false;
  }
  return true;
}

void Encoder::WriteString(MajorType major, ConstByteSpan value) {
  // All or nothing: a string whose content does not fit leaves no head behind.
  if (!Fits(HeadSize(value.size()) + value.size())) return;
  WriteHead(major, value.size());
  WriteRaw(value);
}

void Encoder::WriteBytes(ConstByteSpan value) { WriteString(MajorType::kBytes, value); }

void Encoder::WriteText(std::string_view value) {
  WriteTextBytes(ConstByteSpan(reinterpret_cast<const uint8_t*>(value.data()), value.size()));
}

void Encoder::WriteTextBytes(ConstByteSpan value) { WriteString(MajorType::kText, value); }

void Encoder::BeginArray(uint64_t count) { WriteHead(MajorType::kArray, count); }
void Encoder::BeginMap(uint64_t pairs) { WriteHead(MajorType::kMap, pairs); }
void Encoder::WriteTag(uint64_t tag) { WriteHead(MajorType::kTag, tag); }
void Encoder::WriteBool(bool value) {
  WriteHead(MajorType::kSimple, value ? kSimpleTrue : kSimpleFalse);
}
void Encoder::WriteNull() { WriteHead(MajorType::kSimple, kSimpleNull); }
void Encoder::BeginBytes(uint64_t length) { WriteHead(MajorType::kBytes, length); }

// ---------------------------------------------------------------- Decoder

Decoder::Decoder(ConstByteSpan input, uint8_t max_depth)
    : input_(input), max_depth_(max_depth > kMaxDepthLimit ? kMaxDepthLimit : max_depth) {
  frames_[0].remaining = 1;
}

Status Decoder::Fail(CborError error) {
  if (error_ == CborError::kOk) error_ = error;
  return CborErrorStatus(error_);
}

Result<MajorType> Decoder::PeekType() {
  if (error_ != CborError::kOk) return CborErrorStatus(error_);
  if (frames_[depth_].remaining == 0) return Fail(CborError::kEndOfContainer);
  Head head;
  const CborError error = ParseHead(input_, offset_, &head);
  if (error != CborError::kOk) return Fail(error);
  return head.major;
}

Status Decoder::BeginItem(MajorType want, Head* head) {
  if (error_ != CborError::kOk) return CborErrorStatus(error_);
  if (frames_[depth_].remaining == 0) return Fail(CborError::kEndOfContainer);
  const CborError error = ParseHead(input_, offset_, head);
  if (error != CborError::kOk) return Fail(error);
  if (head->major != want) return Fail(CborError::kTypeMismatch);
  offset_ += head->size;
  // A tag is not an item of its own: the tagged item that follows is.
  if (want != MajorType::kTag) --frames_[depth_].remaining;
  return StatusCode::kOk;
}

Status Decoder::ReadUnsigned(uint64_t* value) {
  Head head;
  BASTION_TRY(BeginItem(MajorType::kUnsigned, &head));
  *value = head.argument;
  return StatusCode::kOk;
}

Status Decoder::ReadInt(int64_t* value) {
  BASTION_TRY_ASSIGN(const MajorType major, PeekType());
  if (major != MajorType::kUnsigned && major != MajorType::kNegative) {
    return Fail(CborError::kTypeMismatch);
  }
  Head head;
  const CborError error = ParseHead(input_, offset_, &head);
  if (error != CborError::kOk) return Fail(error);  // unreachable: PeekType checked
  if (head.argument > static_cast<uint64_t>(INT64_MAX)) return Fail(CborError::kIntegerOverflow);
  BASTION_TRY(BeginItem(major, &head));
  const auto magnitude = static_cast<int64_t>(head.argument);
  *value = major == MajorType::kUnsigned ? magnitude : -1 - magnitude;
  return StatusCode::kOk;
}

Status Decoder::ReadString(MajorType want, ConstByteSpan* value) {
  Head head;
  BASTION_TRY(BeginItem(want, &head));
  const auto length = static_cast<size_t>(head.argument);
  *value = input_.subspan(offset_, length);  // text: UTF-8 checked by ParseHead
  offset_ += length;
  return StatusCode::kOk;
}

Status Decoder::ReadBytes(ConstByteSpan* value) { return ReadString(MajorType::kBytes, value); }

Status Decoder::ReadText(ConstByteSpan* value) { return ReadString(MajorType::kText, value); }

Status Decoder::ReadBool(bool* value) {
  BASTION_TRY_ASSIGN(const MajorType major, PeekType());
  if (major != MajorType::kSimple || (input_[offset_] & 0x1f) == kSimpleNull) {
    return Fail(CborError::kTypeMismatch);
  }
  Head head;
  BASTION_TRY(BeginItem(MajorType::kSimple, &head));
  *value = head.info == kSimpleTrue;
  return StatusCode::kOk;
}

Status Decoder::ReadNull() {
  BASTION_TRY_ASSIGN(const MajorType major, PeekType());
  if (major != MajorType::kSimple || (input_[offset_] & 0x1f) != kSimpleNull) {
    return Fail(CborError::kTypeMismatch);
  }
  Head head;
  return BeginItem(MajorType::kSimple, &head);
}

Status Decoder::ReadTag(uint64_t* tag) {
  Head head;
  BASTION_TRY(BeginItem(MajorType::kTag, &head));
  *tag = head.argument;
  return StatusCode::kOk;
}

Status Decoder::EnterContainer(MajorType want, size_t* count) {
  if (error_ != CborError::kOk) return CborErrorStatus(error_);
  // Check the type before the depth, so a wrong type reads as such.
  BASTION_TRY_ASSIGN(const MajorType major, PeekType());
  if (major != want) return Fail(CborError::kTypeMismatch);
  if (depth_ >= max_depth_) return Fail(CborError::kTooDeep);
  Head head;
  BASTION_TRY(BeginItem(want, &head));
  const auto n = static_cast<size_t>(head.argument);
  ++depth_;
  frames_[depth_].remaining = want == MajorType::kMap ? 2 * n : n;
  *count = n;
  return StatusCode::kOk;
}

Status Decoder::EnterArray(size_t* count) { return EnterContainer(MajorType::kArray, count); }
Status Decoder::EnterMap(size_t* pairs) { return EnterContainer(MajorType::kMap, pairs); }

Status Decoder::EnterMapStrict(size_t* pairs) {
  BASTION_TRY_ASSIGN(const MajorType major, PeekType());
  if (major != MajorType::kMap) return Fail(CborError::kTypeMismatch);
  size_t scan = offset_;
  const CborError error =
      CheckItem(input_, &scan, static_cast<uint8_t>(max_depth_ - depth_), /*check_map_order=*/true);
  if (error != CborError::kOk) return Fail(error);
  return EnterContainer(MajorType::kMap, pairs);
}

Status Decoder::Exit() {
  if (error_ != CborError::kOk) return CborErrorStatus(error_);
  if (depth_ == 0) return Fail(CborError::kNotInContainer);
  if (frames_[depth_].remaining != 0) return Fail(CborError::kItemsRemaining);
  --depth_;
  return StatusCode::kOk;
}

Status Decoder::Skip(bool check_map_order) {
  ConstByteSpan ignored;
  return SkipCapture(&ignored, check_map_order);
}

Status Decoder::SkipCapture(ConstByteSpan* encoded, bool check_map_order) {
  if (error_ != CborError::kOk) return CborErrorStatus(error_);
  if (frames_[depth_].remaining == 0) return Fail(CborError::kEndOfContainer);
  const size_t start = offset_;
  size_t end = offset_;
  const CborError error =
      CheckItem(input_, &end, static_cast<uint8_t>(max_depth_ - depth_), check_map_order);
  if (error != CborError::kOk) return Fail(error);
  offset_ = end;
  --frames_[depth_].remaining;
  *encoded = input_.subspan(start, end - start);
  return StatusCode::kOk;
}

Status Decoder::Finish() {
  if (error_ != CborError::kOk) return CborErrorStatus(error_);
  if (depth_ != 0 || frames_[0].remaining != 0) return Fail(CborError::kItemsRemaining);
  if (offset_ != input_.size()) return Fail(CborError::kTrailingBytes);
  return StatusCode::kOk;
}

Status Validate(ConstByteSpan input, bool check_map_order, uint8_t max_depth, CborError* error) {
  const CborError result = CheckItem(input, max_depth, check_map_order);
  if (error != nullptr) *error = result;
  return CborErrorStatus(result);
}

}  // namespace bastion::cbor
