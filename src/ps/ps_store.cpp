#include "ps/ps_store.h"

#include <cstring>

#include "bastion/protected_storage_admin.h"
#include "common/hardened.h"
#include "crypto/crypto.h"
#include "platform/flash_ops.h"

namespace bastion::ps {
namespace {

constexpr char kLogKeyInfo[] = "bastion/ps/log/v1";
constexpr char kObjectKeyInfo[] = "bastion/ps/object/v1";
constexpr char kSetDomain[] = "bastion/ps/set/v1";
constexpr uint32_t kHeader = ObjectHeaderLayout::kBytes;

ConstByteSpan Text(const char* s, size_t n) {
  return ConstByteSpan(reinterpret_cast<const uint8_t*>(s), n - 1);  // without the NUL
}

uint64_t LoadLe64(const uint8_t* p) {
  return static_cast<uint64_t>(LoadLe32(p)) | (static_cast<uint64_t>(LoadLe32(p + 4)) << 32);
}
void StoreLe64(uint8_t* p, uint64_t v) {
  StoreLe32(p, static_cast<uint32_t>(v));
  StoreLe32(p + 4, static_cast<uint32_t>(v >> 32));
}

bool Protected(uint32_t flags) { return (flags & PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION) == 0; }

// (owner, uid) order: the order the set digest visits objects in.
bool Before(int32_t owner_a, uint64_t uid_a, int32_t owner_b, uint64_t uid_b) {
  return owner_a < owner_b || (owner_a == owner_b && uid_a < uid_b);
}

// Fills `key` with the log's MAC key and returns it (for the log's constructor).
std::span<const uint8_t, its::kKeySize> DeriveLogKey(std::span<const uint8_t, kRootKeySize> root,
                                                     uint8_t (&key)[its::kKeySize]) {
  if (!crypto::HkdfSha256(ConstByteSpan(), root, Text(kLogKeyInfo, sizeof(kLogKeyInfo)),
                          ByteSpan(key, sizeof(key)))
           .ok()) {
    std::memset(key, 0, sizeof(key));  // never happens (fixed sizes); a zero key verifies nothing
  }
  return std::span<const uint8_t, its::kKeySize>(key, its::kKeySize);
}

Status FromPsa(psa_status_t s) {
  switch (s) {
    case PSA_SUCCESS:
      return StatusCode::kOk;
    case PSA_ERROR_INSUFFICIENT_STORAGE:
      return StatusCode::kResourceExhausted;
    case PSA_ERROR_BAD_STATE:
      return StatusCode::kFailedPrecondition;
    default:
      return StatusCode::kUnavailable;
  }
}

}  // namespace

Store::Store(platform::Flash& external, uint32_t offset, uint32_t size, its::Store& its,
             int32_t its_owner, platform::Rng& rng, std::span<const uint8_t, kRootKeySize> root_key)
    : flash_(external),
      offset_(offset),
      size_(size),
      its_(its),
      its_owner_(its_owner),
      rng_(rng),
      log_(external, offset, size, DeriveLogKey(root_key, log_key_)) {
  std::memcpy(root_key_, root_key.data(), kRootKeySize);
  SecureWipe(log_key_, sizeof(log_key_));  // the log holds its own copy
}

Store::~Store() {
  SecureWipe(root_key_, sizeof(root_key_));
  SecureWipe(scratch_, sizeof(scratch_));
  SecureWipe(&root_, sizeof(root_));
}

// ---- the set digest ----

// SHA-256 over the objects the root binds (those without
// NO_REPLAY_PROTECTION, live or damaged), in (owner, uid) order, each as
// owner | uid | log sequence | flags | size; with `change` applied. At most
// kSlots objects: a selection pass per object, no memory beyond the hasher.
void Store::SetDigest(const Change* change, std::span<uint8_t, kDigestSize> out) const {
  crypto::Hasher hasher(crypto::HashAlg::kSha256);
  hasher.Update(Text(kSetDomain, sizeof(kSetDomain)));
  bool have_last = false;
  int32_t last_owner = 0;
  uint64_t last_uid = 0;
  for (;;) {
    bool found = false;
    its::ObjectInfo next;
    const auto consider = [&](const its::ObjectInfo& o) {
      if (!Protected(o.flags)) return;
      if (have_last && !Before(last_owner, last_uid, o.owner, o.uid)) return;
      if (!found || Before(o.owner, o.uid, next.owner, next.uid)) {
        next = o;
        found = true;
      }
    };
    for (uint32_t slot = 0; slot < its::Store::kSlots; ++slot) {
      its::ObjectInfo o;
      if (!log_.ObjectAt(slot, &o)) continue;
      if (change != nullptr && o.owner == change->owner && o.uid == change->uid) continue;
      consider(o);
    }
    if (change != nullptr && change->present) consider(change->object);
    if (!found) break;
    uint8_t entry[4 + 8 + 4 + 4 + 2];
    StoreLe32(entry, static_cast<uint32_t>(next.owner));
    StoreLe64(entry + 4, next.uid);
    StoreLe32(entry + 12, next.sequence);
    StoreLe32(entry + 16, next.flags);
    StoreLe16(entry + 20, next.size);
    hasher.Update(ConstByteSpan(entry, sizeof(entry)));
    have_last = true;
    last_owner = next.owner;
    last_uid = next.uid;
  }
  crypto::Digest digest;
  hasher.Finish(&digest);
  std::memcpy(out.data(), digest.bytes.data(), kDigestSize);
}

bool Store::DigestIs(const uint8_t* digest, const uint8_t* expected) const {
  return HardenedIsTrue(HardenedEqual(digest, expected, kDigestSize));
}

// ---- the root ----

psa_status_t Store::ReadRoot(Root* root) {
  uint8_t bytes[RootLayout::kBytes + 1];
  size_t n = 0;
  const psa_status_t st = its_.Get(its_owner_, kRootUid, 0, ByteSpan(bytes, sizeof(bytes)), &n);
  if (st != PSA_SUCCESS) return st;
  const uint16_t state = LoadLe16(bytes + RootLayout::kState);
  if (n != RootLayout::kBytes || LoadLe32(bytes + RootLayout::kMagic) != kRootMagic ||
      LoadLe16(bytes + RootLayout::kFormat) != kRootFormat ||
      (state != static_cast<uint16_t>(RootState::kCommitted) &&
       state != static_cast<uint16_t>(RootState::kPending) &&
       state != static_cast<uint16_t>(RootState::kFormatting))) {
    return PSA_ERROR_DATA_CORRUPT;
  }
  root->state = static_cast<RootState>(state);
  root->generation = LoadLe64(bytes + RootLayout::kGeneration);
  std::memcpy(root->salt, bytes + RootLayout::kSalt, kSaltSize);
  std::memcpy(root->committed, bytes + RootLayout::kCommitted, kDigestSize);
  std::memcpy(root->pending, bytes + RootLayout::kPendingSet, kDigestSize);
  SecureWipe(bytes, sizeof(bytes));
  return PSA_SUCCESS;
}

psa_status_t Store::WriteRoot(const Root& root) {
  uint8_t bytes[RootLayout::kBytes] = {};
  StoreLe32(bytes + RootLayout::kMagic, kRootMagic);
  StoreLe16(bytes + RootLayout::kFormat, kRootFormat);
  StoreLe16(bytes + RootLayout::kState, static_cast<uint16_t>(root.state));
  StoreLe64(bytes + RootLayout::kGeneration, root.generation);
  std::memcpy(bytes + RootLayout::kSalt, root.salt, kSaltSize);
  std::memcpy(bytes + RootLayout::kCommitted, root.committed, kDigestSize);
  std::memcpy(bytes + RootLayout::kPendingSet, root.pending, kDigestSize);
  // The PS partition's own ITS objects, plus room for the root: never
  // refused for quota.
  const uint32_t quota = its_.OwnerUsage(its_owner_) + RootLayout::kBytes;
  const psa_status_t st = its_.Set(its_owner_, kRootUid, ConstByteSpan(bytes, sizeof(bytes)),
                                   PSA_STORAGE_FLAG_NONE, quota);
  SecureWipe(bytes, sizeof(bytes));
  return st;
}

// ---- opening, formatting ----

Status Store::Open() {
  open_ = false;
  health_ = Health::kGood;
  completed_writes_ = dropped_writes_ = 0;
  Root root;
  const psa_status_t read = ReadRoot(&root);
  if (read == PSA_ERROR_BAD_STATE) return StatusCode::kFailedPrecondition;
  if (read == PSA_ERROR_STORAGE_FAILURE) return StatusCode::kUnavailable;
  BASTION_TRY(log_.Open());
  if (read == PSA_ERROR_DOES_NOT_EXIST) {
    root_known_ = false;
    // First use: nothing on the external flash counts yet. Objects without a
    // root: ITS lost it, nothing can be vouched for.
    its::ObjectInfo o;
    for (uint32_t slot = 0; slot < its::Store::kSlots; ++slot) {
      if (log_.ObjectAt(slot, &o)) {
        health_ = Health::kRootMissing;
        open_ = true;
        return StatusCode::kOk;
      }
    }
    return Format();
  }
  if (read != PSA_SUCCESS) {  // damaged (the root fails ITS's MAC, or its format)
    root_known_ = false;
    health_ = Health::kRootDamaged;
    open_ = true;
    return StatusCode::kOk;
  }
  root_ = root;
  root_known_ = true;
  if (root_.state == RootState::kFormatting) return FinishFormat();
  BASTION_TRY(Resolve());
  open_ = true;
  return StatusCode::kOk;
}

// Compares the external flash's set with the root. A pending write that
// landed is committed, one that did not is dropped; anything else is a
// rollback (the root is left as it is: restoring the right image heals).
Status Store::Resolve() {
  uint8_t actual[kDigestSize];
  SetDigest(nullptr, actual);
  const bool pending = root_.state == RootState::kPending;
  if (DigestIs(actual, root_.committed)) {
    if (pending) {
      ++dropped_writes_;
    } else {
      return StatusCode::kOk;
    }
  } else if (pending && DigestIs(actual, root_.pending)) {
    ++completed_writes_;
  } else {
    health_ = Health::kRollbackDetected;
    return StatusCode::kOk;
  }
  Root next = root_;
  next.state = RootState::kCommitted;
  std::memcpy(next.committed, actual, kDigestSize);
  std::memset(next.pending, 0, kDigestSize);
  BASTION_TRY(FromPsa(WriteRoot(next)));
  root_ = next;
  return StatusCode::kOk;
}

Status Store::Format() {
  open_ = false;
  Root next;
  next.state = RootState::kFormatting;
  // The generation goes on when known; a new salt makes new object keys
  // either way, so no (key, nonce) pair can come back.
  next.generation = root_known_ ? root_.generation : 0;
  BASTION_TRY(rng_.Fill(ByteSpan(next.salt, kSaltSize)));
  BASTION_TRY(FromPsa(WriteRoot(next)));
  root_ = next;
  root_known_ = true;
  return FinishFormat();
}

// The rest of a format, root already in kFormatting: erase the region, then
// commit the empty set.
Status Store::FinishFormat() {
  const platform::FlashGeometry g = flash_.geometry();
  if (g.sector_size == 0 || offset_ % g.sector_size != 0 || size_ % g.sector_size != 0 ||
      offset_ > g.size || size_ > g.size - offset_) {
    return StatusCode::kInvalidArgument;
  }
  for (uint32_t sector = offset_; sector < offset_ + size_; sector += g.sector_size) {
    bool erased = true;
    uint8_t chunk[256];
    for (uint32_t done = 0; done < g.sector_size && erased; done += sizeof(chunk)) {
      const uint32_t n =
          g.sector_size - done < sizeof(chunk) ? g.sector_size - done : sizeof(chunk);
      BASTION_TRY(flash_.Read(sector + done, ByteSpan(chunk, n)));
      erased = platform::AllErased(ConstByteSpan(chunk, n), g.erased_value);
    }
    if (!erased) BASTION_TRY(flash_.EraseSector(sector));
  }
  BASTION_TRY(log_.Open());
  Root next = root_;
  next.state = RootState::kCommitted;
  SetDigest(nullptr, next.committed);
  std::memset(next.pending, 0, kDigestSize);
  BASTION_TRY(FromPsa(WriteRoot(next)));
  root_ = next;
  health_ = Health::kGood;
  open_ = true;
  return StatusCode::kOk;
}

// ---- objects ----

bool Store::ObjectKey(int32_t owner, uint64_t uid, std::span<uint8_t, 32> key) const {
  uint8_t info[sizeof(kObjectKeyInfo) - 1 + 4 + 8];
  std::memcpy(info, kObjectKeyInfo, sizeof(kObjectKeyInfo) - 1);
  StoreLe32(info + sizeof(kObjectKeyInfo) - 1, static_cast<uint32_t>(owner));
  StoreLe64(info + sizeof(kObjectKeyInfo) - 1 + 4, uid);
  return crypto::HkdfSha256(ConstByteSpan(root_.salt, kSaltSize),
                            ConstByteSpan(root_key_, kRootKeySize),
                            ConstByteSpan(info, sizeof(info)), key)
      .ok();
}

namespace {
void NonceOf(uint64_t generation, uint8_t (&nonce)[crypto::kAeadNonceSize]) {
  std::memset(nonce, 0, sizeof(nonce));
  StoreLe64(nonce, generation);
}
}  // namespace

// Builds the record's data in scratch_: header, body, tag.
psa_status_t Store::Seal(int32_t owner, uint64_t uid, ConstByteSpan data, uint32_t flags,
                         uint64_t generation) {
  const uint32_t size = static_cast<uint32_t>(data.size());
  uint8_t* h = scratch_;
  StoreLe32(h + ObjectHeaderLayout::kMagic, kObjectMagic);
  StoreLe32(h + ObjectHeaderLayout::kOwner, static_cast<uint32_t>(owner));
  StoreLe64(h + ObjectHeaderLayout::kUid, uid);
  StoreLe64(h + ObjectHeaderLayout::kGeneration, generation);
  StoreLe32(h + ObjectHeaderLayout::kFlags, flags);
  StoreLe32(h + ObjectHeaderLayout::kSize, size);
  if (size != 0) std::memcpy(scratch_ + kHeader, data.data(), size);
  uint8_t key[crypto::kAeadKeySize];
  uint8_t nonce[crypto::kAeadNonceSize];
  NonceOf(generation, nonce);
  const std::span<uint8_t, kTagSize> tag(scratch_ + kHeader + size, kTagSize);
  Status sealed = StatusCode::kInternal;
  if (ObjectKey(owner, uid, key)) {
    if ((flags & PSA_STORAGE_FLAG_NO_CONFIDENTIALITY) != 0) {
      sealed = crypto::AeadSeal(key, nonce, ConstByteSpan(scratch_, kHeader + size),
                                ConstByteSpan(), ByteSpan(), tag);
    } else {
      const ByteSpan body(scratch_ + kHeader, size);
      sealed = crypto::AeadSeal(key, nonce, ConstByteSpan(scratch_, kHeader), body, body, tag);
    }
  }
  SecureWipe(key, sizeof(key));
  if (!sealed.ok()) {
    SecureWipe(scratch_, sizeof(scratch_));
    return PSA_ERROR_GENERIC_ERROR;
  }
  return PSA_SUCCESS;
}

// Reads (owner, uid)'s record into scratch_ and authenticates it; on success
// scratch_ + kHeader holds the plain data (to be wiped by the caller).
psa_status_t Store::Load(int32_t owner, uint64_t uid, uint32_t* size, uint32_t* flags) {
  if (health_ == Health::kRootDamaged) return PSA_ERROR_DATA_CORRUPT;
  if (health_ == Health::kRootMissing) return PSA_ERROR_INVALID_SIGNATURE;
  const bool set_trusted = health_ == Health::kGood;
  its::ObjectInfo info;
  const bool exists = log_.Lookup(owner, uid, &info);
  // After a rollback only NO_REPLAY_PROTECTION objects still read; whether
  // any other object exists is not known.
  if (!set_trusted && (!exists || info.corrupt || Protected(info.flags))) {
    return PSA_ERROR_INVALID_SIGNATURE;
  }
  if (!exists) return PSA_ERROR_DOES_NOT_EXIST;
  size_t n = 0;
  const psa_status_t read = log_.Get(owner, uid, 0, ByteSpan(scratch_, sizeof(scratch_)), &n);
  if (read != PSA_SUCCESS) return read;
  // The log's MAC passed: from here on a mismatch is an authentication
  // failure, not damage.
  const uint8_t* h = scratch_;
  const uint32_t body = LoadLe32(h + ObjectHeaderLayout::kSize);
  const uint32_t f = LoadLe32(h + ObjectHeaderLayout::kFlags);
  const uint64_t generation = LoadLe64(h + ObjectHeaderLayout::kGeneration);
  if (n < kObjectOverhead || n - kObjectOverhead != body || body > kMaxObjectSize ||
      LoadLe32(h + ObjectHeaderLayout::kMagic) != kObjectMagic ||
      static_cast<int32_t>(LoadLe32(h + ObjectHeaderLayout::kOwner)) != owner ||
      LoadLe64(h + ObjectHeaderLayout::kUid) != uid || f != info.flags ||
      (f & ~kSupportedFlags) != 0 || generation == 0 || generation > root_.generation ||
      (!set_trusted && Protected(f))) {
    SecureWipe(scratch_, sizeof(scratch_));
    return PSA_ERROR_INVALID_SIGNATURE;
  }
  uint8_t key[crypto::kAeadKeySize];
  uint8_t nonce[crypto::kAeadNonceSize];
  NonceOf(generation, nonce);
  const std::span<const uint8_t, kTagSize> tag(scratch_ + kHeader + body, kTagSize);
  Status opened = StatusCode::kUnauthenticated;
  if (ObjectKey(owner, uid, key)) {
    if ((f & PSA_STORAGE_FLAG_NO_CONFIDENTIALITY) != 0) {
      opened = crypto::AeadOpen(key, nonce, ConstByteSpan(scratch_, kHeader + body),
                                ConstByteSpan(), tag, ByteSpan());
    } else {
      const ByteSpan data(scratch_ + kHeader, body);
      opened = crypto::AeadOpen(key, nonce, ConstByteSpan(scratch_, kHeader), data, tag, data);
    }
  }
  SecureWipe(key, sizeof(key));
  if (!opened.ok()) {
    SecureWipe(scratch_, sizeof(scratch_));
    return opened.code() == StatusCode::kUnauthenticated ? PSA_ERROR_INVALID_SIGNATURE
                                                         : PSA_ERROR_GENERIC_ERROR;
  }
  *size = body;
  *flags = f;
  return PSA_SUCCESS;
}

// After a write that did not go through a commit: the set must still be the
// committed one. If the log lost an object on the way (a compaction met a
// record that no longer verifies), that is reported as a rollback rather
// than bound.
void Store::CheckSet(const uint8_t* expected) {
  uint8_t actual[kDigestSize];
  SetDigest(nullptr, actual);
  if (!DigestIs(actual, expected)) health_ = Health::kRollbackDetected;
}

// Commits the digest the write was to make (never the one the log shows:
// an object the log lost stays bound, and missing).
psa_status_t Store::Commit(const uint8_t* expected) {
  Root next = root_;
  next.state = RootState::kCommitted;
  std::memcpy(next.committed, expected, kDigestSize);
  std::memset(next.pending, 0, kDigestSize);
  const psa_status_t st = WriteRoot(next);
  if (st != PSA_SUCCESS) {
    open_ = false;  // pending in ITS, the record written: Open completes it
    return PSA_ERROR_STORAGE_FAILURE;
  }
  root_ = next;
  CheckSet(expected);
  return PSA_SUCCESS;
}

// The write protocol of Set and Remove.
psa_status_t Store::Write(int32_t owner, uint64_t uid, ConstByteSpan data, uint32_t flags,
                          bool remove) {
  Change change;
  change.owner = owner;
  change.uid = uid;
  change.present = !remove;
  if (!remove) {
    change.object.owner = owner;
    change.object.uid = uid;
    change.object.sequence = log_.stats().next_sequence;  // the sequence the record will get
    change.object.flags = flags;
    change.object.size = static_cast<uint16_t>(data.size() + kObjectOverhead);
  }
  uint8_t expected[kDigestSize];
  SetDigest(&change, expected);
  // Phase 1: reserve the generation (a set) and, when the bound set changes,
  // record the digest the write will make as pending.
  const bool binds = !DigestIs(expected, root_.committed);
  Root next = root_;
  if (!remove) {
    if (root_.generation == UINT64_MAX) return PSA_ERROR_INSUFFICIENT_STORAGE;
    ++next.generation;
  }
  if (binds) {
    next.state = RootState::kPending;
    std::memcpy(next.pending, expected, kDigestSize);
  } else {
    // A pending digest left by a write refused for room is dropped: the set
    // is the committed one (checked after that write).
    next.state = RootState::kCommitted;
    std::memset(next.pending, 0, kDigestSize);
  }
  if (binds || !remove) {
    const psa_status_t st = WriteRoot(next);
    if (st != PSA_SUCCESS) {
      if (st != PSA_ERROR_INSUFFICIENT_STORAGE) open_ = false;
      return st == PSA_ERROR_INSUFFICIENT_STORAGE && !remove ? st : PSA_ERROR_STORAGE_FAILURE;
    }
    root_ = next;
  }
  // Phase 2: the record.
  psa_status_t st;
  if (remove) {
    st = log_.Remove(owner, uid);
  } else {
    st = Seal(owner, uid, data, flags, next.generation);
    if (st != PSA_SUCCESS) return st;
    st = log_.Set(owner, uid, ConstByteSpan(scratch_, data.size() + kObjectOverhead), flags,
                  UINT32_MAX);
    SecureWipe(scratch_, sizeof(scratch_));
  }
  if (st != PSA_SUCCESS) {
    if (st == PSA_ERROR_INSUFFICIENT_STORAGE) {
      // Nothing written (compactions only moved records): still the committed
      // set. psa_ps_remove has no INSUFFICIENT_STORAGE: a storage failure.
      CheckSet(root_.committed);
      return remove ? PSA_ERROR_STORAGE_FAILURE : st;
    }
    open_ = false;  // the log needs a new Open to know where it stands
    return PSA_ERROR_STORAGE_FAILURE;
  }
  // Phase 3: commit.
  if (binds) return Commit(expected);
  CheckSet(root_.committed);
  return PSA_SUCCESS;
}

// ---- the PSA operations ----

psa_status_t Store::Set(int32_t owner, psa_storage_uid_t uid, ConstByteSpan data,
                        psa_storage_create_flags_t flags, uint32_t quota) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0 || (data.data() == nullptr && !data.empty())) return PSA_ERROR_INVALID_ARGUMENT;
  if ((flags & ~kSupportedFlags) != 0) return PSA_ERROR_NOT_SUPPORTED;
  if (health_ != Health::kGood) return PSA_ERROR_STORAGE_FAILURE;
  its::ObjectInfo current;
  const bool live = log_.Lookup(owner, uid, &current) && !current.corrupt;
  if (live && (current.flags & PSA_STORAGE_FLAG_WRITE_ONCE) != 0) return PSA_ERROR_NOT_PERMITTED;
  if (data.size() > kMaxObjectSize) return PSA_ERROR_INSUFFICIENT_STORAGE;
  const uint32_t old_size =
      live && current.size >= kObjectOverhead ? current.size - kObjectOverhead : 0;
  const uint64_t usage = uint64_t{OwnerUsage(owner)} - old_size + data.size();
  if (usage > quota) return PSA_ERROR_INSUFFICIENT_STORAGE;
  if (!live && log_.stats().objects >= its::kMaxObjects) return PSA_ERROR_INSUFFICIENT_STORAGE;
  return Write(owner, uid, data, flags, /*remove=*/false);
}

psa_status_t Store::Get(int32_t owner, psa_storage_uid_t uid, size_t offset, ByteSpan out,
                        size_t* length) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0 || length == nullptr || (out.data() == nullptr && !out.empty())) {
    return PSA_ERROR_INVALID_ARGUMENT;
  }
  uint32_t size = 0;
  uint32_t flags = 0;
  const psa_status_t st = Load(owner, uid, &size, &flags);
  if (st != PSA_SUCCESS) return st;
  psa_status_t result = PSA_ERROR_INVALID_ARGUMENT;
  if (offset <= size) {
    const size_t n = out.size() < size - offset ? out.size() : size - offset;
    if (n != 0) std::memcpy(out.data(), scratch_ + kHeader + offset, n);
    *length = n;
    result = PSA_SUCCESS;
  }
  SecureWipe(scratch_, sizeof(scratch_));
  return result;
}

psa_status_t Store::GetInfo(int32_t owner, psa_storage_uid_t uid, psa_storage_info_t* info) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0 || info == nullptr) return PSA_ERROR_INVALID_ARGUMENT;
  uint32_t size = 0;
  uint32_t flags = 0;
  const psa_status_t st = Load(owner, uid, &size, &flags);
  SecureWipe(scratch_, sizeof(scratch_));
  if (st != PSA_SUCCESS) return st;
  info->capacity = size;
  info->size = size;
  info->flags = flags;
  return PSA_SUCCESS;
}

psa_status_t Store::Remove(int32_t owner, psa_storage_uid_t uid) {
  if (!open_) return PSA_ERROR_BAD_STATE;
  if (uid == 0) return PSA_ERROR_INVALID_ARGUMENT;
  if (health_ != Health::kGood) return PSA_ERROR_STORAGE_FAILURE;
  its::ObjectInfo current;
  if (!log_.Lookup(owner, uid, &current)) return PSA_ERROR_DOES_NOT_EXIST;
  if (!current.corrupt && (current.flags & PSA_STORAGE_FLAG_WRITE_ONCE) != 0) {
    return PSA_ERROR_NOT_PERMITTED;
  }
  return Write(owner, uid, ConstByteSpan(), 0, /*remove=*/true);
}

uint32_t Store::OwnerUsage(int32_t owner) const {
  uint32_t bytes = 0;
  its::ObjectInfo o;
  for (uint32_t slot = 0; slot < its::Store::kSlots; ++slot) {
    if (log_.ObjectAt(slot, &o) && !o.corrupt && o.owner == owner && o.size >= kObjectOverhead) {
      bytes += o.size - kObjectOverhead;
    }
  }
  return bytes;
}

StoreStats Store::stats() const {
  StoreStats st;
  st.log = log_.stats();
  st.health = health_;
  st.generation = root_.generation;
  st.objects = st.log.objects;
  st.completed_writes = completed_writes_;
  st.dropped_writes = dropped_writes_;
  return st;
}

uint32_t Store::health_code() const {
  switch (health_) {
    case Health::kGood:
      return BASTION_PS_HEALTH_GOOD;
    case Health::kRollbackDetected:
      return BASTION_PS_HEALTH_ROLLBACK_DETECTED;
    case Health::kRootMissing:
      return BASTION_PS_HEALTH_ROOT_MISSING;
    case Health::kRootDamaged:
      return BASTION_PS_HEALTH_ROOT_DAMAGED;
  }
  return BASTION_PS_HEALTH_UNAVAILABLE;
}

}  // namespace bastion::ps
