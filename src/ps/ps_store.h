// Protected Storage: the storage engine (the PS partition serves
// psa/protected_storage.h over it).
//
// Where: a region of an EXTERNAL flash (platform().external_flash), which an
// attacker may read, change and restore at will. Objects are keyed by
// (owner, uid) as in its::Store: the owner is the client id the SPM vouches
// for, so another client's uid simply does not exist.
//
// Scheme (docs/storage.md, "Protected Storage"):
//   - The external region is an its::Store log (the same engine as ITS:
//     power-fail safe, HMAC-authenticated records, compaction), configured
//     for records of kLogObjectSize bytes, under a MAC key derived from the
//     PS root key.
//   - Each record's data is ObjectHeader | body | 16-byte GCM tag. The body
//     is the object AES-256-GCM encrypted under a key derived (HKDF) from the
//     root key, the root's salt and (owner, uid); the AAD is the header
//     (magic, owner, uid, generation, flags, size). With
//     PSA_STORAGE_FLAG_NO_CONFIDENTIALITY the body is the plain data, and
//     header and data are both AAD: authenticated, not encrypted.
//   - The nonce is a generation: a 64-bit counter kept in the root, in ITS,
//     reserved there before any record uses it; never read from the external
//     flash.
//   - The root (an ITS object of the PS partition, uid kRootUid) holds the
//     generation, the key salt and the SHA-256 digest of the set of current
//     objects: (owner, uid, log sequence, flags, size) of every object
//     without PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION. Open recomputes the
//     digest from the external flash; a different set (an old copy restored,
//     a record deleted or replayed) is a detected rollback.
//   - A write is two-phase: the root takes the digest the write will produce
//     as "pending", then the record is written, then the root commits it. A
//     power cut anywhere leaves the external flash at the committed digest or
//     at the pending one, and Open completes or drops the write accordingly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "its/its_store.h"
#include "platform/platform.h"
#include "psa/error.h"
#include "psa/storage_common.h"

namespace bastion::ps {

// Largest object, in bytes.
constexpr uint32_t kMaxObjectSize = 1024;
constexpr size_t kRootKeySize = 32;
// Creation flags the store accepts (all three honoured, see docs/storage.md).
constexpr psa_storage_create_flags_t kSupportedFlags = PSA_STORAGE_FLAG_WRITE_ONCE |
                                                       PSA_STORAGE_FLAG_NO_CONFIDENTIALITY |
                                                       PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION;

// ---- The record in the log: ObjectHeader | body (size bytes) | tag ----
constexpr uint32_t kObjectMagic = 0x9d3e61b7;
// Little-endian, explicit offsets (the header is serialised field by field).
struct ObjectHeaderLayout {
  static constexpr uint32_t kMagic = 0;        // u32 kObjectMagic
  static constexpr uint32_t kOwner = 4;        // i32 client id
  static constexpr uint32_t kUid = 8;          // u64
  static constexpr uint32_t kGeneration = 16;  // u64 the nonce
  static constexpr uint32_t kFlags = 24;       // u32 PSA creation flags
  static constexpr uint32_t kSize = 28;        // u32 data bytes
  static constexpr uint32_t kBytes = 32;
};
constexpr uint32_t kTagSize = 16;
// Bytes a record's data holds beyond the object itself.
constexpr uint32_t kObjectOverhead = ObjectHeaderLayout::kBytes + kTagSize;
// The limit the log (an its::Store) is configured with.
constexpr uint32_t kLogObjectSize = kMaxObjectSize + kObjectOverhead;
static_assert(kObjectOverhead == 48 && kLogObjectSize == 1072);

// ---- The root: an ITS object of the PS partition ----
// Reserved uid of the root among the PS partition's ITS objects ("PSroot").
constexpr psa_storage_uid_t kRootUid = 0x50'53'72'6f'6f'74'00'01ull;
constexpr uint32_t kRootMagic = 0x4be1c207;
constexpr uint16_t kRootFormat = 1;
constexpr size_t kSaltSize = 16;
constexpr size_t kDigestSize = 32;
// What the root vouches for. Values far apart in Hamming distance.
enum class RootState : uint16_t {
  kCommitted = 0x3ca5,   // the external flash holds `committed`
  kPending = 0xc35a,     // a write is under way: `committed` or `pending`
  kFormatting = 0x5a6c,  // Format() erases the region (Open finishes it)
};
struct RootLayout {
  static constexpr uint32_t kMagic = 0;        // u32 kRootMagic
  static constexpr uint32_t kFormat = 4;       // u16 kRootFormat
  static constexpr uint32_t kState = 6;        // u16 RootState
  static constexpr uint32_t kGeneration = 8;   // u64 highest generation reserved
  static constexpr uint32_t kSalt = 16;        // 16 bytes: the object keys' HKDF salt
  static constexpr uint32_t kCommitted = 32;   // SHA-256 of the committed set
  static constexpr uint32_t kPendingSet = 64;  // SHA-256 of the set a write makes
  static constexpr uint32_t kBytes = 96;
};

// Whether the store can vouch for what it holds. Values at least four bits
// apart: no single flipped bit turns a refusal into kGood.
enum class Health : uint8_t {
  kGood = 0x3c,
  // The set of objects on the external flash is not the one the root binds:
  // an old copy restored, a record deleted or replayed (or damage compaction
  // met). Objects without NO_REPLAY_PROTECTION read INVALID_SIGNATURE; writes
  // fail until Format().
  kRollbackDetected = 0xc3,
  // ITS holds no root but the external flash holds objects (ITS was erased):
  // nothing can be vouched for. Reads INVALID_SIGNATURE; writes fail until
  // Format().
  kRootMissing = 0x5a,
  // The root in ITS is damaged. Reads DATA_CORRUPT; writes fail until Format().
  kRootDamaged = 0xa5,
};

struct StoreStats {
  its::StoreStats log;  // the external log
  Health health = Health::kGood;
  uint64_t generation = 0;        // nonces reserved so far (the root's)
  uint32_t objects = 0;           // live objects (all owners)
  uint32_t completed_writes = 0;  // interrupted writes Open found done (since Open)
  uint32_t dropped_writes = 0;    // interrupted writes Open found not done
};

// The store over `external`'s region [offset, offset + size), bound to a root
// in `its` under the owner id `its_owner` (the PS partition's id; the root is
// not counted in any client's quota). Not thread safe; one object per region.
// Holds no heap memory (about 7.5 KiB inline, most of it the log's index).
class Store {
 public:
  // `root_key`: 32 bytes the SM derives from its storage seed; wiped by the
  // destructor. `rng` gives the root's salt when a root is made (Format).
  // `its` must be opened before Open().
  Store(platform::Flash& external, uint32_t offset, uint32_t size, its::Store& its,
        int32_t its_owner, platform::Rng& rng, std::span<const uint8_t, kRootKeySize> root_key);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Opens the log, reads the root and checks the external flash against it;
  // completes or drops a write a power cut interrupted (an ITS write). With no
  // root and no object on the external flash (first use), formats. Returns
  // kOk (see health(): a detected rollback or a missing or damaged root still
  // opens, so that reads can say so); kFailedPrecondition (`its` not open);
  // kInvalidArgument (the region or geometry cannot hold the log, see
  // its::Store::Open); kUnavailable (a flash or ITS write failed, power lost);
  // other flash errors.
  [[nodiscard]] Status Open();

  // Erases every object of every owner and makes a new root (new salt, so
  // new object keys; the generation goes on). The recovery after a detected
  // rollback or a lost root; Open calls it on first use. Power-fail safe:
  // cut, the next Open finishes it. Returns kOk; kUnavailable (the RNG, ITS
  // or the flash failed); flash errors.
  [[nodiscard]] Status Format();

  // psa_ps_set for `owner`, with `quota` bytes for all of `owner`'s data.
  // PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (uid 0, or data with a null
  // pointer); PSA_ERROR_NOT_SUPPORTED (flags outside kSupportedFlags);
  // PSA_ERROR_NOT_PERMITTED (exists with WRITE_ONCE);
  // PSA_ERROR_INSUFFICIENT_STORAGE (above kMaxObjectSize, the quota, the
  // object count, the external flash or ITS); PSA_ERROR_STORAGE_FAILURE (a
  // flash or ITS write failed or power was lost: the object is then the old
  // or the new one and the store must be opened again; or health() is not
  // kGood); PSA_ERROR_GENERIC_ERROR (the crypto failed); PSA_ERROR_BAD_STATE
  // (not opened).
  psa_status_t Set(int32_t owner, psa_storage_uid_t uid, ConstByteSpan data,
                   psa_storage_create_flags_t flags, uint32_t quota);

  // psa_ps_get: copies min(out.size(), size - offset) bytes from `offset`
  // into `out`, sets *length; bytes of `out` past it are untouched.
  // PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (uid 0, offset past the size, a
  // null pointer); PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_DATA_CORRUPT (the
  // record fails the log's MAC: damaged or changed; or the root is damaged);
  // PSA_ERROR_INVALID_SIGNATURE (the record passed the log's MAC but not its
  // own authentication, or the store detected a rollback and the object is
  // not NO_REPLAY_PROTECTION, or there is no root); PSA_ERROR_STORAGE_FAILURE;
  // PSA_ERROR_BAD_STATE (not opened). Every call reads and authenticates the
  // record again.
  psa_status_t Get(int32_t owner, psa_storage_uid_t uid, size_t offset, ByteSpan out,
                   size_t* length);

  // psa_ps_get_info (the object is authenticated as by Get). Codes of Get,
  // less the offset case.
  psa_status_t GetInfo(int32_t owner, psa_storage_uid_t uid, psa_storage_info_t* info);

  // psa_ps_remove. PSA_SUCCESS; PSA_ERROR_INVALID_ARGUMENT (uid 0);
  // PSA_ERROR_DOES_NOT_EXIST; PSA_ERROR_NOT_PERMITTED (WRITE_ONCE);
  // PSA_ERROR_STORAGE_FAILURE (as for Set, and when not even a tombstone
  // fits: the spec has no INSUFFICIENT_STORAGE here; nothing changed then);
  // PSA_ERROR_BAD_STATE. A damaged object can be removed.
  psa_status_t Remove(int32_t owner, psa_storage_uid_t uid);

  // Data bytes `owner`'s live objects hold (what the quota is checked against).
  uint32_t OwnerUsage(int32_t owner) const;
  Health health() const { return health_; }
  // health() as the number clients see (BASTION_PS_HEALTH_* of
  // bastion/protected_storage_admin.h).
  uint32_t health_code() const;
  StoreStats stats() const;

 private:
  // A change to the set of objects, to compute the digest a write will make.
  struct Change {
    int32_t owner = 0;
    uint64_t uid = 0;
    bool present = false;  // false: the object is removed
    its::ObjectInfo object;
  };
  struct Root {
    RootState state = RootState::kCommitted;
    uint64_t generation = 0;
    uint8_t salt[kSaltSize] = {};
    uint8_t committed[kDigestSize] = {};
    uint8_t pending[kDigestSize] = {};
  };

  void SetDigest(const Change* change, std::span<uint8_t, kDigestSize> out) const;
  bool DigestIs(const uint8_t* digest, const uint8_t* expected) const;
  psa_status_t ReadRoot(Root* root);
  psa_status_t WriteRoot(const Root& root);
  Status FinishFormat();
  Status Resolve();
  psa_status_t Write(int32_t owner, uint64_t uid, ConstByteSpan data, uint32_t flags, bool remove);
  psa_status_t Commit(const uint8_t* expected);
  void CheckSet(const uint8_t* expected);
  psa_status_t Load(int32_t owner, uint64_t uid, uint32_t* size, uint32_t* flags);
  bool ObjectKey(int32_t owner, uint64_t uid, std::span<uint8_t, 32> key) const;
  psa_status_t Seal(int32_t owner, uint64_t uid, ConstByteSpan data, uint32_t flags,
                    uint64_t generation);

  platform::Flash& flash_;
  uint32_t offset_;
  uint32_t size_;
  its::Store& its_;
  int32_t its_owner_;
  platform::Rng& rng_;
  uint8_t root_key_[kRootKeySize];
  uint8_t log_key_[its::kKeySize];  // wiped once the log holds its copy
  its::StoreBuffer<kLogObjectSize> log_;
  Root root_;
  bool root_known_ = false;
  bool open_ = false;
  Health health_ = Health::kGood;
  uint32_t completed_writes_ = 0;
  uint32_t dropped_writes_ = 0;
  uint8_t scratch_[kLogObjectSize];  // one record's data: header, body, tag
};

}  // namespace bastion::ps
