#include "mailbox/mailbox.h"

#include <cstring>

#include "common/crc32.h"

namespace bastion::mailbox {
namespace {

constexpr size_t kComponentCount = 3;  // urot, sm, app (otp::kComponentCount)

size_t Padded(size_t size) { return (size + 3) & ~size_t{3}; }

bool ComponentValid(RequestType type, uint8_t component) {
  if (type == RequestType::kRevoke) return component == kAnyComponent;
  return component < kComponentCount;
}

bool DataValid(RequestType type, size_t size) {
  return type == RequestType::kRevoke ? size > 0 : size == 0;
}

uint32_t MailboxCrc(const MailboxHeader& header, ConstByteSpan payload) {
  MailboxHeader zeroed = header;
  zeroed.crc = 0;
  const uint32_t crc =
      Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&zeroed), sizeof(zeroed)));
  return Crc32(payload, crc);
}

}  // namespace

const char* RequestTypeName(RequestType type) {
  switch (type) {
    case RequestType::kConfirm:
      return "confirm";
    case RequestType::kReject:
      return "reject";
    case RequestType::kRevoke:
      return "revoke";
  }
  return "unknown";
}

const char* MailboxErrorName(MailboxError error) {
  switch (error) {
    case MailboxError::kOk:
      return "ok";
    case MailboxError::kEmpty:
      return "empty";
    case MailboxError::kBadMagic:
      return "bad-magic";
    case MailboxError::kBadVersion:
      return "bad-version";
    case MailboxError::kBadSize:
      return "bad-size";
    case MailboxError::kBadCrc:
      return "bad-crc";
    case MailboxError::kTooManyRequests:
      return "too-many-requests";
    case MailboxError::kBadRequestType:
      return "bad-request-type";
    case MailboxError::kBadComponent:
      return "bad-component";
    case MailboxError::kRequestPastEnd:
      return "request-past-end";
    case MailboxError::kTrailingBytes:
      return "trailing-bytes";
    case MailboxError::kBadPadding:
      return "bad-padding";
    case MailboxError::kUnexpectedData:
      return "unexpected-data";
  }
  return "unknown";
}

MailboxError ParseMailbox(ConstByteSpan bytes, Requests* out) {
  out->count = 0;
  if (bytes.size() < sizeof(MailboxHeader)) return MailboxError::kBadSize;
  bool all_zero = true;
  for (uint8_t b : bytes) all_zero = all_zero && b == 0;
  if (all_zero) return MailboxError::kEmpty;

  MailboxHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  if (header.magic != kMailboxMagic) return MailboxError::kBadMagic;
  if (header.version != kMailboxVersion) return MailboxError::kBadVersion;
  if (header.payload_size > bytes.size() - sizeof(MailboxHeader)) return MailboxError::kBadSize;
  const ConstByteSpan payload = bytes.subspan(sizeof(MailboxHeader), header.payload_size);
  if (header.crc != MailboxCrc(header, payload)) return MailboxError::kBadCrc;
  if (header.reserved != 0) return MailboxError::kBadPadding;
  if (header.request_count > kMaxRequests) return MailboxError::kTooManyRequests;

  Requests parsed;
  size_t offset = 0;
  for (size_t i = 0; i < header.request_count; ++i) {
    if (payload.size() - offset < sizeof(RequestHeader)) return MailboxError::kRequestPastEnd;
    RequestHeader rh;
    std::memcpy(&rh, payload.data() + offset, sizeof(rh));
    offset += sizeof(rh);
    const auto type = static_cast<RequestType>(rh.type);
    if (rh.type < static_cast<uint8_t>(RequestType::kConfirm) ||
        rh.type > static_cast<uint8_t>(RequestType::kRevoke)) {
      return MailboxError::kBadRequestType;
    }
    if (!ComponentValid(type, rh.component)) return MailboxError::kBadComponent;
    if (!DataValid(type, rh.size)) return MailboxError::kUnexpectedData;
    const size_t padded = Padded(rh.size);
    if (padded > payload.size() - offset) return MailboxError::kRequestPastEnd;
    for (size_t j = rh.size; j < padded; ++j) {
      if (payload[offset + j] != 0) return MailboxError::kBadPadding;
    }
    parsed.items[i] = Request{type, rh.component, payload.subspan(offset, rh.size)};
    offset += padded;
  }
  if (offset != payload.size()) return MailboxError::kTrailingBytes;
  parsed.count = header.request_count;
  *out = parsed;
  return MailboxError::kOk;
}

Status BuildMailbox(const Request* requests, size_t count, ByteSpan out) {
  if (count > kMaxRequests) return StatusCode::kInvalidArgument;
  if (out.size() < sizeof(MailboxHeader)) return StatusCode::kResourceExhausted;
  std::memset(out.data(), 0, out.size());
  size_t offset = sizeof(MailboxHeader);
  for (size_t i = 0; i < count; ++i) {
    const Request& r = requests[i];
    if (r.type < RequestType::kConfirm || r.type > RequestType::kRevoke ||
        !ComponentValid(r.type, r.component) || !DataValid(r.type, r.data.size()) ||
        r.data.size() > UINT16_MAX) {
      return StatusCode::kInvalidArgument;
    }
    const size_t need = sizeof(RequestHeader) + Padded(r.data.size());
    if (need > out.size() - offset) return StatusCode::kResourceExhausted;
    const RequestHeader rh{static_cast<uint8_t>(r.type), r.component,
                           static_cast<uint16_t>(r.data.size())};
    std::memcpy(out.data() + offset, &rh, sizeof(rh));
    if (!r.data.empty())
      std::memcpy(out.data() + offset + sizeof(rh), r.data.data(), r.data.size());
    offset += need;
  }
  MailboxHeader header{};
  header.magic = kMailboxMagic;
  header.version = kMailboxVersion;
  header.payload_size = static_cast<uint16_t>(offset - sizeof(MailboxHeader));
  header.request_count = static_cast<uint16_t>(count);
  header.crc = MailboxCrc(header, ConstByteSpan(out.data() + sizeof(header), header.payload_size));
  std::memcpy(out.data(), &header, sizeof(header));
  return StatusCode::kOk;
}

MailboxError TakeRequests(platform::SharedRam& ram, ByteBuffer<kMailboxCapacity>* copy,
                          Requests* out) {
  out->count = 0;
  ByteSpan region;
  if (!ram.Region(platform::RamRegion::kMailbox, &region).ok()) return MailboxError::kEmpty;
  const size_t size = region.size() < kMailboxCapacity ? region.size() : kMailboxCapacity;
  (void)copy->Assign(ConstByteSpan(region.data(), size));
  std::memset(region.data(), 0, region.size());
  return ParseMailbox(copy->view(), out);
}

Status PostRequests(platform::SharedRam& ram, const Request* requests, size_t count) {
  ByteSpan region;
  BASTION_TRY(ram.Region(platform::RamRegion::kMailbox, &region));
  const size_t size = region.size() < kMailboxCapacity ? region.size() : kMailboxCapacity;
  return BuildMailbox(requests, count, region.first(size));
}

}  // namespace bastion::mailbox
