#include "its/its_store.h"

#include <cstring>

#include "common/crc32.h"
#include "common/hardened.h"
#include "crypto/crypto.h"
#include "platform/flash_ops.h"

namespace bastion::its {
namespace {

constexpr uint32_t kHeaderBytes = sizeof(RecordHeader);
// A record starts with its magic, which has no erased byte (0x00 or 0xff):
// ScanSector skips erased bytes without looking for records in them.
constexpr bool NoErasedByte(uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    const uint32_t b = (v >> (8 * i)) & 0xffu;
    if (b == 0 || b == 0xffu) return false;
  }
  return true;
}
static_assert(NoErasedByte(kRecordMagic));
constexpr uint32_t kPendingMax = 8;  // invalid records remembered until classified

uint32_t SectorCrc(const SectorHeader& h) {
  return Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(SectorHeader, crc)));
}

uint16_t HeaderCrc(const RecordHeader& h) {
  return static_cast<uint16_t>(
      Crc32(ConstByteSpan(reinterpret_cast<const uint8_t*>(&h), offsetof(RecordHeader, crc))));
}

bool IsTombstone(const RecordHeader& h) { return (h.flags & kTombstoneFlag) != 0; }

psa_status_t FromStatus(Status s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return PSA_SUCCESS;
    case StatusCode::kResourceExhausted:
      return PSA_ERROR_INSUFFICIENT_STORAGE;
    default:
      return PSA_ERROR_STORAGE_FAILURE;
  }
}

}  // namespace

Store::Store(platform::Flash& flash, uint32_t offset, uint32_t size,
             std::span<const uint8_t, kKeySize> key, uint32_t max_object_size, ByteSpan scratch)
    : flash_(flash),
      geometry_(flash.geometry()),
      offset_(offset),
      size_(size),
      max_object_size_(max_object_size),
      scratch_(scratch.data()),
      scratch_size_(static_cast<uint32_t>(scratch.size())) {
  std::memcpy(key_, key.data(), kKeySize);
}

Store::~Store() {
  SecureWipe(key_, kKeySize);
  SecureWipe(scratch_, scratch_size_);
}

uint32_t Store::Span(uint32_t bytes) const {
  const uint32_t unit = geometry_.program_unit;
  return (bytes + unit - 1) / unit * unit;
}
uint32_t Store::RecordSpan(uint32_t size) const {
  return Span(kHeaderBytes + size) + Span(kMacSize);
}
uint32_t Store::RecordsStart() const { return Span(sizeof(SectorHeader)); }

void Store::Mac(ConstByteSpan bytes, std::span<uint8_t, kMacSize> out) const {
  if (!crypto::HmacSha256(ConstByteSpan(key_, kKeySize), bytes, out).ok()) {
    std::memset(out.data(), 0, out.size());  // never matches a stored MAC by chance
    out[0] = 1;
  }
}

// ---- reading ----

bool Store::HeaderAt(uint32_t address, uint32_t limit, RecordHeader* h) {
  if (limit - address < kHeaderBytes) return false;
  if (!flash_.Read(address, ByteSpan(reinterpret_cast<uint8_t*>(h), sizeof(*h))).ok()) {
    return false;
  }
  return h->magic == kRecordMagic && h->crc == HeaderCrc(*h) && h->uid != 0 &&
         h->size <= max_object_size_ && RecordSpan(h->size) <= limit - address;
}

bool Store::RecordAt(uint32_t address, uint32_t limit, RecordHeader* h, bool* mac_ok) {
  *mac_ok = false;
  if (!HeaderAt(address, limit, h)) return false;
  const uint32_t span = RecordSpan(h->size);
  if (!flash_.Read(address, ByteSpan(scratch_, span)).ok()) return true;
  // The header is read again with the record: what the MAC covers is what
  // the caller gets.
  std::memcpy(h, scratch_, sizeof(*h));
  uint8_t mac[kMacSize];
  Mac(ConstByteSpan(scratch_, kHeaderBytes + h->size), mac);
  *mac_ok = HardenedIsTrue(HardenedEqual(mac, scratch_ + Span(kHeaderBytes + h->size), kMacSize)) &&
            h->magic == kRecordMagic && h->crc == HeaderCrc(*h);
  return true;
}

int Store::SectorOf(uint32_t address) const {
  if (address < offset_ || address - offset_ >= size_) return -1;
  return static_cast<int>((address - offset_) / geometry_.sector_size);
}

void Store::Note(const RecordHeader& h, uint32_t address, bool valid) {
  Entry* e = Find(h.owner, h.uid);
  if (e != nullptr) {
    if (h.sequence < e->sequence) return;
    if (h.sequence == e->sequence) {
      // Two copies of one record (a compaction): keep a valid one, the one
      // in the newer sector.
      if (!valid) return;
      const int was = SectorOf(e->address);
      const int now = SectorOf(address);
      if (e->state != EntryState::kCorrupt && was >= 0 && now >= 0 &&
          sector_[was].sequence >= sector_[now].sequence) {
        return;
      }
    }
  } else {
    e = FreeEntry();
    if (e == nullptr) return;  // more keys than the index holds: a hostile region
  }
  e->owner = h.owner;
  e->uid = h.uid;
  e->sequence = h.sequence;
  e->address = address;
  e->flags = h.flags & ~kTombstoneFlag;
  e->size = h.size;
  e->state =
      !valid ? EntryState::kCorrupt : (IsTombstone(h) ? EntryState::kRemoved : EntryState::kLive);
}

Status Store::ScanSector(uint32_t s, uint32_t* last_valid_end, uint32_t* last_used_end) {
  const uint32_t base = SectorAddress(s);
  const uint32_t limit = base + geometry_.sector_size;
  const uint32_t unit = geometry_.program_unit;
  struct Pending {
    RecordHeader header;
    uint32_t address;
  };
  Pending pending[kPendingMax];
  uint32_t pending_count = 0;
  uint32_t pending_overflow = 0;
  *last_valid_end = base + RecordsStart();
  *last_used_end = base + RecordsStart();
  uint32_t pos = base + RecordsStart();
  while (pos < limit) {
    RecordHeader h;
    bool mac_ok = false;
    if (!RecordAt(pos, limit, &h, &mac_ok)) {
      uint8_t first[kHeaderBytes];
      const uint32_t n = limit - pos < kHeaderBytes ? limit - pos : kHeaderBytes;
      BASTION_TRY(flash_.Read(pos, ByteSpan(first, n)));
      bool erased = true;
      for (uint32_t u = 0; u < n; u += unit) {
        if (!platform::AllErased(ConstByteSpan(first + u, unit < n - u ? unit : n - u),
                                 geometry_.erased_value)) {
          *last_used_end = pos + u + unit;
          erased = false;
        }
      }
      if (erased && unit < n) {
        // No record starts inside erased bytes (no byte of the magic is 0x00
        // or 0xff): skip them, and whole erased spans after them. What
        // matters with small program units (1 byte on an SPI NOR).
        pos += n / unit * unit;
        uint8_t span[platform::kMaxProgramSpan];
        while (limit - pos >= sizeof(span)) {
          BASTION_TRY(flash_.Read(pos, ByteSpan(span, sizeof(span))));
          const bool more =
              platform::AllErased(ConstByteSpan(span, sizeof(span)), geometry_.erased_value);
          if (!more) break;
          pos += sizeof(span);
        }
        continue;
      }
      pos += unit;
      continue;
    }
    if (!mac_ok) {
      if (pending_count < kPendingMax) {
        pending[pending_count++] = {h, pos};
      } else {
        ++pending_overflow;
      }
      *last_used_end = pos + unit;  // at least its header unit is written
      pos += unit;
      continue;
    }
    // A valid record: the invalid ones before it are torn writes when they
    // lie in the gap it vouches for, damage otherwise.
    for (uint32_t i = 0; i < pending_count; ++i) {
      if (pending[i].address - base < h.gap_start) {
        ++stats_.corrupt_records;
        Note(pending[i].header, pending[i].address, /*valid=*/false);
      } else {
        ++stats_.torn_records;
      }
    }
    stats_.torn_records += pending_overflow;
    pending_count = pending_overflow = 0;
    Note(h, pos, /*valid=*/true);
    if (h.sequence >= next_sequence_) next_sequence_ = h.sequence + 1;
    pos += RecordSpan(h.size);
    *last_valid_end = *last_used_end = pos;
  }
  stats_.torn_records += pending_count + pending_overflow;
  return StatusCode::kOk;
}

Status Store::Open() { return Scan(/*may_restart=*/true); }

Status Store::Scan(bool may_restart) {
  open_ = false;
  const platform::FlashGeometry& g = geometry_;
  const uint32_t unit = g.program_unit;
  if (unit == 0 || unit > platform::kMaxProgramSpan || platform::kMaxProgramSpan % unit != 0 ||
      g.sector_size == 0 || g.sector_size % unit != 0 || offset_ % g.sector_size != 0 ||
      size_ % g.sector_size != 0 || offset_ > g.size || size_ > g.size - offset_) {
    return StatusCode::kInvalidArgument;
  }
  sectors_ = size_ / g.sector_size;
  if (sectors_ < 2 || sectors_ > kMaxSectors || max_object_size_ > kMaxConfigurableObjectSize ||
      scratch_ == nullptr || RecordSpan(max_object_size_) > scratch_size_ ||
      RecordsStart() + RecordSpan(max_object_size_) > g.sector_size) {
    return StatusCode::kInvalidArgument;
  }
  for (Entry& e : index_) e = Entry{};
  stats_ = StoreStats{};
  next_sequence_ = 1;
  next_sector_sequence_ = 1;
  head_sector_ = -1;
  for (uint32_t s = 0; s < sectors_; ++s) {
    SectorInfo& info = sector_[s];
    info = SectorInfo{};
    SectorHeader h;
    BASTION_TRY(flash_.Read(SectorAddress(s), ByteSpan(reinterpret_cast<uint8_t*>(&h), sizeof(h))));
    if (h.magic == kSectorMagic && h.crc == SectorCrc(h) && h.store_offset == offset_) {
      info.in_use = true;
      info.sequence = h.sequence;
      if (h.sequence >= next_sector_sequence_) next_sector_sequence_ = h.sequence + 1;
      continue;
    }
    info.erased = true;
    uint8_t chunk[256];
    for (uint32_t done = 0; done < g.sector_size && info.erased; done += sizeof(chunk)) {
      const uint32_t n =
          g.sector_size - done < sizeof(chunk) ? g.sector_size - done : sizeof(chunk);
      BASTION_TRY(flash_.Read(SectorAddress(s) + done, ByteSpan(chunk, n)));
      info.erased = platform::AllErased(ConstByteSpan(chunk, n), g.erased_value);
    }
  }
  head_sector_ = NewestSector();
  for (uint32_t s = 0; s < sectors_; ++s) {
    if (!sector_[s].in_use) continue;
    uint32_t valid_end = 0;
    uint32_t used_end = 0;
    BASTION_TRY(ScanSector(s, &valid_end, &used_end));
    if (static_cast<int>(s) == head_sector_) {
      gap_start_ = valid_end;
      head_ = used_end > valid_end ? used_end : valid_end;
    }
  }
  open_ = true;
  // A compaction cut after its target took its header leaves no spare:
  // finish it (into the newest sector, which holds only the copies so far).
  if (FreeSectors() == 0) {
    const Status s = Compact();
    if (s.code() == StatusCode::kResourceExhausted && may_restart && OnlyCopies()) {
      // Leftovers of cut copies took the room the rest of the copies need:
      // without this, no compaction could ever finish. Erase the target
      // (every record it holds is still in the victim) and scan again: it
      // is the spare, and the next write compacts from the start.
      BASTION_TRY(flash_.EraseSector(SectorAddress(static_cast<uint32_t>(NewestSector()))));
      return Scan(/*may_restart=*/false);
    }
    if (!s.ok()) {
      open_ = s.code() == StatusCode::kResourceExhausted;  // readable, not writable
      if (!open_) return s;
    }
  }
  return StatusCode::kOk;
}

// ---- index ----

Store::Entry* Store::Find(int32_t owner, uint64_t uid) {
  for (Entry& e : index_) {
    if (e.state != EntryState::kFree && e.owner == owner && e.uid == uid) return &e;
  }
  return nullptr;
}

const Store::Entry* Store::Find(int32_t owner, uint64_t uid) const {
  for (const Entry& e : index_) {
    if (e.state != EntryState::kFree && e.owner == owner && e.uid == uid) return &e;
  }
  return nullptr;
}

bool Store::ToInfo(const Entry& e, ObjectInfo* out) {
  if (e.state != EntryState::kLive && e.state != EntryState::kCorrupt) return false;
  out->owner = e.owner;
  out->uid = e.uid;
  out->sequence = e.sequence;
  out->flags = e.flags;
  out->size = e.size;
  out->corrupt = e.state == EntryState::kCorrupt;
  return true;
}

bool Store::ObjectAt(uint32_t slot, ObjectInfo* out) const {
  return open_ && slot < kSlots && ToInfo(index_[slot], out);
}

bool Store::Lookup(int32_t owner, uint64_t uid, ObjectInfo* out) const {
  const Entry* e = open_ ? Find(owner, uid) : nullptr;
  return e != nullptr && ToInfo(*e, out);
}

Store::Entry* Store::FreeEntry() {
  for (Entry& e : index_) {
    if (e.state == EntryState::kFree) return &e;
  }
  return nullptr;
}

uint32_t Store::LiveCount() const {
  uint32_t n = 0;
  for (const Entry& e : index_) n += e.state == EntryState::kLive ? 1 : 0;
  return n;
}

uint32_t Store::OwnerUsage(int32_t owner) const {
  uint32_t bytes = 0;
  for (const Entry& e : index_) {
    if (e.state == EntryState::kLive && e.owner == owner) bytes += e.size;
  }
  return bytes;
}

StoreStats Store::stats() const {
  StoreStats st = stats_;
  st.sectors = sectors_;
  st.sectors_in_use = sectors_ - FreeSectors();
  st.objects = LiveCount();
  st.next_sequence = next_sequence_;
  return st;
}

// ---- sectors ----

int Store::NewestSector() const {
  int best = -1;
  for (uint32_t s = 0; s < sectors_; ++s) {
    if (sector_[s].in_use && (best < 0 || sector_[s].sequence > sector_[best].sequence)) {
      best = static_cast<int>(s);
    }
  }
  return best;
}

int Store::OldestSector() const {
  int best = -1;
  for (uint32_t s = 0; s < sectors_; ++s) {
    if (sector_[s].in_use && (best < 0 || sector_[s].sequence < sector_[best].sequence)) {
      best = static_cast<int>(s);
    }
  }
  return best;
}

uint32_t Store::FreeSectors() const {
  uint32_t n = 0;
  for (uint32_t s = 0; s < sectors_; ++s) n += sector_[s].in_use ? 0 : 1;
  return n;
}

Status Store::OpenSector(uint32_t s) {
  const uint32_t base = SectorAddress(s);
  SectorHeader h{kSectorMagic, next_sector_sequence_, offset_, 0};
  h.crc = SectorCrc(h);
  const ConstByteSpan bytes(reinterpret_cast<const uint8_t*>(&h), sizeof(h));
  if (!sector_[s].erased) BASTION_TRY(flash_.EraseSector(base));
  Status written = platform::ProgramPadded(flash_, base, bytes, RecordsStart());
  if (written.code() == StatusCode::kFailedPrecondition) {
    // Looked erased, but a cut program left it marked written.
    BASTION_TRY(flash_.EraseSector(base));
    written = platform::ProgramPadded(flash_, base, bytes, RecordsStart());
  }
  BASTION_TRY(written);
  sector_[s] = SectorInfo{true, false, next_sector_sequence_++};
  head_sector_ = static_cast<int>(s);
  head_ = gap_start_ = base + RecordsStart();
  return StatusCode::kOk;
}

// ---- writing ----

// Programs the record image in scratch_ at `address`: the header and data,
// then the MAC in its own operation (the commit).
Status Store::WriteImage(uint32_t address, uint32_t size) {
  const uint32_t body = Span(kHeaderBytes + size);
  for (uint32_t done = 0; done < body; done += platform::kMaxProgramSpan) {
    const uint32_t n =
        body - done < platform::kMaxProgramSpan ? body - done : platform::kMaxProgramSpan;
    BASTION_TRY(flash_.Program(address + done, ConstByteSpan(scratch_ + done, n)));
  }
  return flash_.Program(address + body, ConstByteSpan(scratch_ + body, Span(kMacSize)));
}

Status Store::AppendToHead(const RecordHeader& header, ConstByteSpan data, uint32_t* address) {
  if (head_sector_ < 0) return StatusCode::kResourceExhausted;
  const uint32_t base = SectorAddress(static_cast<uint32_t>(head_sector_));
  const uint32_t limit = base + geometry_.sector_size;
  const uint32_t span = RecordSpan(static_cast<uint32_t>(data.size()));
  // The image: header, data, erased padding, MAC, erased padding.
  RecordHeader h = header;
  h.size = static_cast<uint16_t>(data.size());
  h.gap_start = gap_start_ - base;
  h.crc = HeaderCrc(h);
  if (data.data() != scratch_ + kHeaderBytes && !data.empty()) {
    std::memmove(scratch_ + kHeaderBytes, data.data(), data.size());
  }
  std::memcpy(scratch_, &h, sizeof(h));
  const uint32_t body = Span(kHeaderBytes + h.size);
  std::memset(scratch_ + kHeaderBytes + h.size, geometry_.erased_value,
              span - kHeaderBytes - h.size);
  Mac(ConstByteSpan(scratch_, kHeaderBytes + h.size),
      std::span<uint8_t, kMacSize>(scratch_ + body, kMacSize));
  while (limit - head_ >= span) {
    const Status s = WriteImage(head_, h.size);
    if (s.ok()) {
      *address = head_;
      head_ += span;
      gap_start_ = head_;
      return s;
    }
    // A unit that reads erased but refuses programming (left by a cut
    // program): the record goes one unit further on.
    if (s.code() != StatusCode::kFailedPrecondition) return s;
    head_ += geometry_.program_unit;
  }
  return StatusCode::kResourceExhausted;
}

Status Store::Append(const RecordHeader& header, ConstByteSpan data, uint32_t* address) {
  for (uint32_t attempt = 0; attempt < 2 * sectors_ + 2; ++attempt) {
    const Status s = AppendToHead(header, data, address);
    if (s.code() != StatusCode::kResourceExhausted) return s;
    if (FreeSectors() >= 2) {
      for (uint32_t f = 0; f < sectors_; ++f) {
        if (!sector_[f].in_use) {
          BASTION_TRY(OpenSector(f));
          break;
        }
      }
    } else {
      BASTION_TRY(Compact());
    }
  }
  return StatusCode::kResourceExhausted;
}

// True when every valid record of the newest sector has a valid twin (same
// owner, uid, sequence and size) in the oldest one: the newest sector is a
// compaction target whose victim was not erased yet, holding copies only.
bool Store::OnlyCopies() {
  const int newest = NewestSector();
  const int oldest = OldestSector();
  if (newest < 0 || oldest < 0 || newest == oldest) return false;
  const uint32_t unit = geometry_.program_unit;
  const uint32_t limit = SectorAddress(static_cast<uint32_t>(newest)) + geometry_.sector_size;
  const uint32_t old_base = SectorAddress(static_cast<uint32_t>(oldest));
  const uint32_t old_limit = old_base + geometry_.sector_size;
  for (uint32_t pos = SectorAddress(static_cast<uint32_t>(newest)) + RecordsStart(); pos < limit;) {
    RecordHeader copy;
    bool mac_ok = false;
    if (!RecordAt(pos, limit, &copy, &mac_ok) || !mac_ok) {
      pos += unit;
      continue;
    }
    bool twin = false;
    for (uint32_t at = old_base + RecordsStart(); at < old_limit && !twin;) {
      RecordHeader h;
      bool ok = false;
      if (HeaderAt(at, old_limit, &h) && h.owner == copy.owner && h.uid == copy.uid &&
          h.sequence == copy.sequence && h.size == copy.size && RecordAt(at, old_limit, &h, &ok)) {
        twin = ok;
      }
      at += unit;
    }
    if (!twin) return false;
    pos += RecordSpan(copy.size);
  }
  return true;
}

bool Store::OlderOutside(uint32_t victim, const RecordHeader& h) {
  for (uint32_t s = 0; s < sectors_; ++s) {
    if (s == victim || !sector_[s].in_use) continue;
    const uint32_t limit = SectorAddress(s) + geometry_.sector_size;
    for (uint32_t pos = SectorAddress(s) + RecordsStart(); pos < limit;) {
      RecordHeader other;
      if (!HeaderAt(pos, limit, &other)) {
        pos += geometry_.program_unit;
        continue;
      }
      if (other.owner == h.owner && other.uid == h.uid && other.sequence < h.sequence) return true;
      pos += geometry_.program_unit;  // headers only: step by units, never trust the size
    }
  }
  return false;
}

Status Store::Compact() {
  const int oldest = OldestSector();
  if (oldest < 0) return StatusCode::kResourceExhausted;
  const uint32_t victim = static_cast<uint32_t>(oldest);
  int target = -1;
  for (uint32_t s = 0; s < sectors_ && target < 0; ++s) {
    if (!sector_[s].in_use) target = static_cast<int>(s);
  }
  if (target >= 0) {
    BASTION_TRY(OpenSector(static_cast<uint32_t>(target)));
  } else if (head_sector_ < 0 || head_sector_ == oldest) {
    return StatusCode::kResourceExhausted;
  }
  // Copy the victim's current records (and the tombstones still hiding an
  // older record elsewhere) to the head, in order.
  const uint32_t base = SectorAddress(victim);
  const uint32_t limit = base + geometry_.sector_size;
  for (uint32_t pos = base + RecordsStart(); pos < limit;) {
    RecordHeader h;
    bool mac_ok = false;
    if (!RecordAt(pos, limit, &h, &mac_ok) || !mac_ok) {
      pos += geometry_.program_unit;
      continue;
    }
    const uint32_t span = RecordSpan(h.size);
    Entry* e = Find(h.owner, h.uid);
    const bool current = e != nullptr && e->address == pos && e->state != EntryState::kCorrupt;
    if (current && (!IsTombstone(h) || OlderOutside(victim, h))) {
      uint32_t address = 0;
      BASTION_TRY(AppendToHead(h, ConstByteSpan(scratch_ + kHeaderBytes, h.size), &address));
      e->address = address;
    }
    pos += span;
  }
  BASTION_TRY(flash_.EraseSector(base));
  sector_[victim] = SectorInfo{false, true, 0};
  // Whatever still points into the victim was not needed: dropped.
  for (Entry& e : index_) {
    if (e.state != EntryState::kFree && SectorOf(e.address) == oldest) e = Entry{};
  }
  ++stats_.compactions;
  return StatusCode::kOk;
}

psa_status_t Store::Write(int32_t owner, uint64_t uid, ConstByteSpan data, uint32_t flags) {
  RecordHeader h{};
  h.magic = kRecordMagic;
  h.sequence = next_sequence_;
  h.owner = owner;
  h.flags = flags;
  h.uid = uid;
  uint32_t address = 0;
  const Status s = Append(h, data, &address);
  if (!s.ok()) {
    // Out of room leaves the store as it was (compactions only moved
    // records); any other failure needs a new Open to know where it stands.
    if (s.code() != StatusCode::kResourceExhausted) open_ = false;
    return FromStatus(s);
  }
  ++next_sequence_;
  Entry* e = Find(owner, uid);
  if (e == nullptr) e = FreeEntry();
  if (e == nullptr) {  // checked by the callers before writing
    open_ = false;
    return PSA_ERROR_STORAGE_FAILURE;
  }
  e->owner = owner;
  e->uid = uid;
  e->sequence = h.sequence;
  e->address = address;
  e->flags = flags & ~kTombstoneFlag;
  e->size = static_cast<uint16_t>(data.size());
  e->state = (flags & kTombstoneFlag) != 0 ? EntryState::kRemoved : EntryState::kLive;
  return PSA_SUCCESS;
}

// ---- the PSA operations ----

psa_status_t Store::Set(int32_t owner, psa_storage_uid_t uid, ConstByteSpan data,
                        psa_storage_create_flags_t flags, uint32_t quota) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0 || (data.data() == nullptr && !data.empty())) return PSA_ERROR_INVALID_ARGUMENT;
  if ((flags & ~kSupportedFlags) != 0) return PSA_ERROR_NOT_SUPPORTED;
  Entry* e = Find(owner, uid);
  const bool live = e != nullptr && e->state == EntryState::kLive;
  if (live && (e->flags & PSA_STORAGE_FLAG_WRITE_ONCE) != 0) return PSA_ERROR_NOT_PERMITTED;
  if (data.size() > max_object_size_) return PSA_ERROR_INSUFFICIENT_STORAGE;
  const uint64_t usage = OwnerUsage(owner) - (live ? e->size : 0u) + data.size();
  if (usage > quota) return PSA_ERROR_INSUFFICIENT_STORAGE;
  if (!live && LiveCount() >= kMaxObjects) return PSA_ERROR_INSUFFICIENT_STORAGE;
  if (e == nullptr) {
    // The index may be full of tombstones: compactions drop those no longer needed.
    for (uint32_t i = 0; i < sectors_ && FreeEntry() == nullptr; ++i) {
      const Status s = Compact();
      if (!s.ok()) {
        if (s.code() != StatusCode::kResourceExhausted) open_ = false;
        return FromStatus(s);
      }
    }
    if (FreeEntry() == nullptr) return PSA_ERROR_INSUFFICIENT_STORAGE;
  }
  return Write(owner, uid, data, flags);
}

psa_status_t Store::Get(int32_t owner, psa_storage_uid_t uid, size_t offset, ByteSpan out,
                        size_t* length) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0 || length == nullptr || (out.data() == nullptr && !out.empty())) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  psa_storage_info_t info{};
  const psa_status_t found = GetInfo(owner, uid, &info);
  if (found != PSA_SUCCESS) return found;
  if (offset > info.size) return PSA_ERROR_INVALID_ARGUMENT;
  // GetInfo left the verified record in scratch_.
  const size_t n = out.size() < info.size - offset ? out.size() : info.size - offset;
  if (n != 0) std::memcpy(out.data(), scratch_ + kHeaderBytes + offset, n);
  *length = n;
  return PSA_SUCCESS;
}

psa_status_t Store::GetInfo(int32_t owner, psa_storage_uid_t uid, psa_storage_info_t* info) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0 || info == nullptr) return PSA_ERROR_INVALID_ARGUMENT;
  const Entry* e = Find(owner, uid);
  if (e == nullptr || e->state == EntryState::kRemoved) return PSA_ERROR_DOES_NOT_EXIST;
  if (e->state == EntryState::kCorrupt) return PSA_ERROR_DATA_CORRUPT;
  // Read and authenticate the record again: flash may have changed since Open.
  const int s = SectorOf(e->address);
  RecordHeader h;
  bool mac_ok = false;
  if (s < 0 ||
      !RecordAt(e->address, SectorAddress(static_cast<uint32_t>(s)) + geometry_.sector_size, &h,
                &mac_ok) ||
      !mac_ok || h.owner != owner || h.uid != uid || h.sequence != e->sequence || IsTombstone(h)) {
    return PSA_ERROR_DATA_CORRUPT;
  }
  info->capacity = h.size;
  info->size = h.size;
  info->flags = h.flags;
  return PSA_SUCCESS;
}

psa_status_t Store::Remove(int32_t owner, psa_storage_uid_t uid) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0) return PSA_ERROR_INVALID_ARGUMENT;
  const Entry* e = Find(owner, uid);
  if (e == nullptr || e->state == EntryState::kRemoved) return PSA_ERROR_DOES_NOT_EXIST;
  if (e->state == EntryState::kLive && (e->flags & PSA_STORAGE_FLAG_WRITE_ONCE) != 0) {
    return PSA_ERROR_NOT_PERMITTED;
  }
  return Write(owner, uid, ConstByteSpan(), kTombstoneFlag);
}

}  // namespace bastion::its
