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

// Walks one item starting at *offset (tags included) without recursion,
// checking every head. `budget` is how many arrays/maps may be open at once.
CborError WalkItem(ConstByteSpan in, size_t* offset, uint8_t budget, bool check_map_order) {
  struct WalkFrame {
    size_t remaining = 0;
    bool map = false;
    bool has_previous_key = false;
    size_t key_start = 0;
    ConstByteSpan previous_key;
  };
  std::array<WalkFrame, kMaxDepthLimit + 1> stack{};
  size_t open = 1;  // stack[0] is the virtual frame holding the one item
  stack[0].remaining = 1;
  size_t off = *offset;
  while (true) {
    while (open > 0 && stack[open - 1].remaining == 0) --open;
    if (open == 0) break;
    WalkFrame& frame = stack[open - 1];
    if (check_map_order && frame.map) {
      if (frame.remaining % 2 == 0) {
        frame.key_start = off;  // a key starts here
      } else {                  // the key just ended; a value starts here
        const ConstByteSpan key = in.subspan(frame.key_start, off - frame.key_start);
        if (frame.has_previous_key) {
          const int order = CompareKeys(frame.previous_key, key);
          if (order == 0) return CborError::kDuplicateKey;
          if (order > 0) return CborError::kKeyOrder;
        }
        frame.previous_key = key;
        frame.has_previous_key = true;
      }
    }
    --frame.remaining;
    Head head;
    do {
      const CborError error = ParseHead(in, off, &head);
      if (error != CborError::kOk) return error;
      off += head.size;
    } while (head.major == MajorType::kTag);
    switch (head.major) {
      case MajorType::kBytes:
      case MajorType::kText:
        off += static_cast<size_t>(head.argument);  // ParseHead checked it fits
        break;
      case MajorType::kArray:
      case MajorType::kMap: {
        if (open - 1 >= budget) return CborError::kTooDeep;
        WalkFrame& next = stack[open++];
        next = WalkFrame{};
        next.map = head.major == MajorType::kMap;
        next.remaining = static_cast<size_t>(head.argument) * (next.map ? 2 : 1);
        break;
      }
      default:
        break;
    }
  }
  *offset = off;
  return CborError::kOk;
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
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t c = text[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    uint32_t minimum;
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      code_point = c & 0x1fu;
      minimum = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code_point = c & 0x0fu;
      minimum = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code_point = c & 0x07u;
      minimum = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const uint8_t b = text[i + k];
      if ((b & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (b & 0x3fu);
    }
    if (code_point < minimum || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool Equals(ConstByteSpan value, std::string_view literal) {
  return value.size() == literal.size() &&
         (value.empty() || std::memcmp(value.data(), literal.data(), value.size()) == 0);
}

CborError ParseHead(ConstByteSpan in, size_t offset, Head* head) {
  if (offset >= in.size()) return CborError::kTruncated;
  const uint8_t initial = in[offset];
  const auto major = static_cast<MajorType>(initial >> 5);
  const uint8_t info = initial & 0x1f;
  if (info == kInfoIndefinite) return CborError::kIndefiniteLength;
  if (info > kInfoEightBytes) return CborError::kReservedInfo;
  if (major == MajorType::kSimple) {
    if (info > kInfoOneByte) return CborError::kFloat;
    if (info != kSimpleFalse && info != kSimpleTrue && info != kSimpleNull) {
      return CborError::kUnsupportedSimple;
    }
  }
  uint64_t argument = info;
  size_t size = 1;
  if (info >= kInfoOneByte) {
    const size_t extra = size_t{1} << (info - kInfoOneByte);  // 1, 2, 4, 8
    if (in.size() - offset - 1 < extra) return CborError::kTruncated;
    argument = 0;
    for (size_t i = 0; i < extra; ++i) argument = (argument << 8) | in[offset + 1 + i];
    // The shortest form: the value must not fit the next smaller one.
    const uint64_t smaller_max = extra == 1   ? 23
                                 : extra == 2 ? 0xff
                                 : extra == 4 ? 0xffff
                                              : 0xffffffffu;
    if (argument <= smaller_max) return CborError::kNonShortestHead;
    size = 1 + extra;
  }
  const size_t left = in.size() - offset - size;
  switch (major) {
    case MajorType::kBytes:
    case MajorType::kText:
      if (argument > left) return CborError::kTruncated;
      if (major == MajorType::kText &&
          !IsValidUtf8(in.subspan(offset + size, static_cast<size_t>(argument)))) {
        return CborError::kInvalidUtf8;
      }
      break;
    case MajorType::kArray:
      if (argument > left) return CborError::kTruncated;  // each item takes a byte
      break;
    case MajorType::kMap:
      if (argument > left / 2) return CborError::kTruncated;
      break;
    default:
      break;
  }
  head->major = major;
  head->info = info;
  head->argument = argument;
  head->size = size;
  return CborError::kOk;
}

size_t EncodeHead(MajorType major, uint64_t argument, std::span<uint8_t, kMaxHeadSize> out) {
  const auto type_bits = static_cast<uint8_t>(static_cast<uint8_t>(major) << 5);
  if (argument < 24) {
    out[0] = static_cast<uint8_t>(type_bits | argument);
    return 1;
  }
  size_t extra;
  uint8_t info;
  if (argument <= 0xff) {
    extra = 1;
    info = 24;
  } else if (argument <= 0xffff) {
    extra = 2;
    info = 25;
  } else if (argument <= 0xffffffffu) {
    extra = 4;
    info = 26;
  } else {
    extra = 8;
    info = 27;
  }
  out[0] = static_cast<uint8_t>(type_bits | info);
  for (size_t i = 0; i < extra; ++i) {
    out[1 + i] = static_cast<uint8_t>(argument >> (8 * (extra - 1 - i)));
  }
  return 1 + extra;
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
      WalkItem(input_, &scan, static_cast<uint8_t>(max_depth_ - depth_), /*check_map_order=*/true);
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
      WalkItem(input_, &end, static_cast<uint8_t>(max_depth_ - depth_), check_map_order);
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
  Decoder decoder(input, max_depth);
  Status status = decoder.Skip(check_map_order);
  if (status.ok()) status = decoder.Finish();
  if (error != nullptr) *error = decoder.error();
  return status;
}

}  // namespace bastion::cbor
