// Internal Trusted Storage: the storage engine (the ITS partition serves
// psa/internal_trusted_storage.h over it).
//
// Where: the Secure Manager's region of internal flash (FlashLayout::storage,
// HDPL <= 2), N >= 2 sectors. Objects are keyed by (owner, uid): the owner is
// the client id the SPM vouches for, so another client's uid simply does not
// exist.
//
// Format (docs/storage.md): a log of records. A sector in use starts with a
// SectorHeader (one program span, CRC-32) carrying the sector's sequence;
// records follow, each at a program-unit boundary:
//
//   RecordHeader (32 bytes) | data (size bytes, padded to units) | MAC (32
//   bytes, padded to units)
//
// The MAC is HMAC-SHA-256, under the store key, of the header and the data.
// It is programmed last, in its own operation, so it is also the record's
// commit: a record cut by a power loss never verifies. Each record carries a
// store-wide sequence number; the record with the highest sequence for a
// (owner, uid) is its current version (a tombstone record: removed). One
// sector is always kept erased: compaction copies the live records of the
// oldest sector into it, verbatim, then erases the oldest one, which becomes
// the spare. Both copies are identical while both exist, so compaction can be
// cut anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "platform/flash_ops.h"
#include "platform/platform.h"
#include "psa/error.h"
#include "psa/storage_common.h"

namespace bastion::its {

constexpr uint32_t kSectorMagic = 0x5be07a93;
constexpr uint32_t kRecordMagic = 0xa4c61f2d;
// Largest object of the Internal Trusted Storage (ItsStore below), in bytes.
// A store built on the engine for another use (Protected Storage's log) is
// configured with its own limit (StoreBuffer).
constexpr uint32_t kMaxObjectSize = 1024;
// The largest limit a store can be configured with (the size field is 16 bits).
constexpr uint32_t kMaxConfigurableObjectSize = 0xffff;
// Most objects the store holds (all owners together).
constexpr uint32_t kMaxObjects = 64;
// Index entries: live objects plus the tombstones still needed.
constexpr uint32_t kIndexEntries = 2 * kMaxObjects;
// Creation flags the store accepts (all three are honoured: ITS is integrity
// and confidentiality protected by where it lives).
constexpr psa_storage_create_flags_t kSupportedFlags = PSA_STORAGE_FLAG_WRITE_ONCE |
                                                       PSA_STORAGE_FLAG_NO_CONFIDENTIALITY |
                                                       PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION;
// Flag bit of a RecordHeader that marks a tombstone (never a PSA flag).
constexpr uint32_t kTombstoneFlag = 1u << 31;
constexpr size_t kKeySize = 32;
constexpr size_t kMacSize = 32;

struct SectorHeader {
  uint32_t magic;         // kSectorMagic
  uint32_t sequence;      // larger: newer (records are written to the newest)
  uint32_t store_offset;  // flash address of the store: a copied sector is not valid
  uint32_t crc;           // CRC-32 of the 12 bytes above
};
static_assert(sizeof(SectorHeader) == 16);

struct RecordHeader {
  uint32_t magic;      // kRecordMagic
  uint32_t sequence;   // store-wide, +1 per record written
  int32_t owner;       // client id
  uint32_t flags;      // psa_storage_create_flags_t | kTombstoneFlag
  uint64_t uid;        // never 0
  uint32_t gap_start;  // offset in the sector where the previous valid record ends:
                       // anything between it and this record is a torn write
  uint16_t size;       // data bytes (<= kMaxObjectSize)
  uint16_t crc;        // low 16 bits of CRC-32 of the 30 bytes above (finds records)
};
static_assert(sizeof(RecordHeader) == 32);
static_assert(offsetof(RecordHeader, uid) == 16 && offsetof(RecordHeader, gap_start) == 24 &&
              offsetof(RecordHeader, size) == 28 && offsetof(RecordHeader, crc) == 30);

// Bytes of scratch memory a store of objects up to `max_object_size` bytes
// needs: one record image at the largest program unit.
constexpr uint32_t RecordBufferSize(uint32_t max_object_size) {
  constexpr uint32_t span = platform::kMaxProgramSpan;
  return (static_cast<uint32_t>(sizeof(RecordHeader)) + max_object_size + span - 1) / span * span +
         span;
}
static_assert(RecordBufferSize(kMaxObjectSize) == 1536);

// What the index knows of one object (live or corrupt), for a layer built on
// the store (Protected Storage binds the set of its objects to a root). For a
// corrupt object the fields come from a header that passed its CRC but whose
// record failed its MAC.
struct ObjectInfo {
  int32_t owner = 0;
  uint64_t uid = 0;
  uint32_t sequence = 0;  // the record's store-wide sequence
  uint32_t flags = 0;     // PSA creation flags
  uint16_t size = 0;      // data bytes
  bool corrupt = false;   // the current record failed its MAC (reads DATA_CORRUPT)
};

// Counters of what the store found and did, for the platform service.
struct StoreStats {
  uint32_t sectors = 0;          // sectors of the region
  uint32_t sectors_in_use = 0;   // holding a valid header
  uint32_t objects = 0;          // live objects
  uint32_t corrupt_records = 0;  // records that failed their MAC (not torn writes)
  uint32_t torn_records = 0;     // records left by an interrupted write
  uint32_t compactions = 0;      // since Open
  uint32_t next_sequence = 0;
};

// The store over `flash`'s region [offset, offset + size). Not thread safe;
// one object per region. Holds no heap memory: its one record of scratch
// memory is given by the owner (StoreBuffer below holds it inline).
class Store {
 public:
  // `key`: the record MAC key (derived from the storage seed by the SM).
  // Wiped by the destructor, with `scratch`. `max_object_size`: the largest
  // object this store takes (at most kMaxConfigurableObjectSize); `scratch`:
  // at least RecordBufferSize(max_object_size) bytes, owned by the caller for
  // the store's lifetime (Open refuses a smaller one).
  Store(platform::Flash& flash, uint32_t offset, uint32_t size,
        std::span<const uint8_t, kKeySize> key, uint32_t max_object_size, ByteSpan scratch);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Reads the region and builds the index. Must succeed before any other
  // call. Returns kOk; kInvalidArgument (the region or the geometry cannot
  // hold a store: fewer than two sectors, a maximum-size record does not fit
  // in a sector or in the scratch memory, a program unit above 256 or not
  // dividing 256); flash errors.
  // Sectors without a valid header are spare; records that fail their MAC
  // are counted in stats() (torn or corrupt) and never returned. Finishes a
  // compaction a power cut interrupted (erasing its target and leaving the
  // compaction to the next write when leftovers of cut copies fill it).
  [[nodiscard]] Status Open();

  // psa_its_set for `owner`, with `quota` bytes for all of `owner`'s data.
  // PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (uid 0, or data with a null
  // pointer); PSA_ERROR_NOT_SUPPORTED (flags outside kSupportedFlags);
  // PSA_ERROR_NOT_PERMITTED (exists with WRITE_ONCE);
  // PSA_ERROR_INSUFFICIENT_STORAGE (above max_object_size(), the quota, the
  // object count or the flash); PSA_ERROR_STORAGE_FAILURE (flash error or
  // power lost: the object is then the old or the new one); PSA_ERROR_BAD_STATE
  // (not opened).
  psa_status_t Set(int32_t owner, psa_storage_uid_t uid, ConstByteSpan data,
                   psa_storage_create_flags_t flags, uint32_t quota);

  // psa_its_get: copies min(out.size(), size - offset) bytes from `offset`
  // into `out`, sets *length. PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (uid
  // 0, offset past the size); PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_DATA_CORRUPT
  // (the current record fails its MAC, now or at Open);
  // PSA_ERROR_STORAGE_FAILURE; PSA_ERROR_BAD_STATE.
  psa_status_t Get(int32_t owner, psa_storage_uid_t uid, size_t offset, ByteSpan out,
                   size_t* length);

  // psa_its_get_info. Codes of Get, less the offset case.
  psa_status_t GetInfo(int32_t owner, psa_storage_uid_t uid, psa_storage_info_t* info);

  // psa_its_remove. PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (uid 0);
  // PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_NOT_PERMITTED (WRITE_ONCE);
  // PSA_ERROR_INSUFFICIENT_STORAGE (no room left even for a tombstone);
  // PSA_ERROR_STORAGE_FAILURE; PSA_ERROR_BAD_STATE. A corrupt object can be
  // removed.
  psa_status_t Remove(int32_t owner, psa_storage_uid_t uid);

  // Data bytes `owner`'s live objects hold (what the quota is checked against).
  uint32_t OwnerUsage(int32_t owner) const;
  StoreStats stats() const;
  uint32_t max_object_size() const { return max_object_size_; }

  // The objects of the index, for a layer built on the store. Slots run from
  // 0 to kSlots - 1; ObjectAt returns false for a slot that holds no object
  // (free, or a removed object's tombstone). Valid until the next Set,
  // Remove or Open.
  static constexpr uint32_t kSlots = kIndexEntries;
  bool ObjectAt(uint32_t slot, ObjectInfo* out) const;
  // The object (owner, uid), live or corrupt: false when there is none.
  bool Lookup(int32_t owner, uint64_t uid, ObjectInfo* out) const;

 private:
  enum class EntryState : uint8_t { kFree = 0, kLive, kRemoved, kCorrupt };
  struct Entry {
    uint64_t uid = 0;
    int32_t owner = 0;
    uint32_t sequence = 0;
    uint32_t address = 0;  // flash address of the record
    uint32_t flags = 0;
    uint16_t size = 0;
    EntryState state = EntryState::kFree;
  };
  struct SectorInfo {
    bool in_use = false;
    bool erased = false;  // reads fully erased (a spare ready to take a header)
    uint32_t sequence = 0;
  };
  static constexpr uint32_t kMaxSectors = 64;

  uint32_t SectorAddress(uint32_t s) const { return offset_ + s * geometry_.sector_size; }
  int SectorOf(uint32_t address) const;
  uint32_t Span(uint32_t bytes) const;
  uint32_t RecordSpan(uint32_t size) const;
  uint32_t RecordsStart() const;
  Status ScanSector(uint32_t s, uint32_t* last_valid_end, uint32_t* last_used_end);
  bool HeaderAt(uint32_t address, uint32_t limit, RecordHeader* header);
  bool RecordAt(uint32_t address, uint32_t limit, RecordHeader* header, bool* mac_ok);
  void Note(const RecordHeader& h, uint32_t address, bool valid);
  Entry* Find(int32_t owner, uint64_t uid);
  const Entry* Find(int32_t owner, uint64_t uid) const;
  static bool ToInfo(const Entry& e, ObjectInfo* out);
  Entry* FreeEntry();
  uint32_t LiveCount() const;
  Status WriteImage(uint32_t address, uint32_t size);
  Status AppendToHead(const RecordHeader& header, ConstByteSpan data, uint32_t* address);
  Status Append(const RecordHeader& header, ConstByteSpan data, uint32_t* address);
  Status OpenSector(uint32_t s);
  Status Compact();
  bool OlderOutside(uint32_t victim, const RecordHeader& h);
  bool OnlyCopies();
  Status Scan(bool may_restart);
  int NewestSector() const;
  int OldestSector() const;
  uint32_t FreeSectors() const;
  void Mac(ConstByteSpan bytes, std::span<uint8_t, kMacSize> out) const;
  psa_status_t Write(int32_t owner, uint64_t uid, ConstByteSpan data, uint32_t flags);

  platform::Flash& flash_;
  platform::FlashGeometry geometry_;
  uint32_t offset_;
  uint32_t size_;
  uint32_t max_object_size_;
  uint8_t* scratch_;  // one record image (the owner's memory)
  uint32_t scratch_size_;
  uint8_t key_[kKeySize];
  bool open_ = false;
  uint32_t sectors_ = 0;
  SectorInfo sector_[kMaxSectors];
  int head_sector_ = -1;    // where records are appended (-1: none yet)
  uint32_t head_ = 0;       // flash address of the next record
  uint32_t gap_start_ = 0;  // end of the last valid record in the head sector
  uint32_t next_sequence_ = 1;
  uint32_t next_sector_sequence_ = 1;
  Entry index_[kIndexEntries];
  StoreStats stats_;
};

// A store with its scratch memory inline, for objects of up to
// `kMaxObject` bytes: the only template, it supplies storage only.
template <uint32_t kMaxObject = kMaxObjectSize>
class StoreBuffer final : public Store {
 public:
  static_assert(kMaxObject <= kMaxConfigurableObjectSize);
  StoreBuffer(platform::Flash& flash, uint32_t offset, uint32_t size,
              std::span<const uint8_t, kKeySize> key)
      : Store(flash, offset, size, key, kMaxObject, ByteSpan(buffer_, sizeof(buffer_))) {}

 private:
  uint8_t buffer_[RecordBufferSize(kMaxObject)];
};

// The Internal Trusted Storage store: objects of up to kMaxObjectSize bytes.
using ItsStore = StoreBuffer<kMaxObjectSize>;

}  // namespace bastion::its
