// OperationTable: a fixed table of one kind of multi-part operation (hash,
// MAC, cipher, AEAD, key derivation), each entry owned by one client.
//
// Handle (u32, never 0): kind (bits 31..28, 1..15) | generation (bits
// 27..12) | entry index (bits 11..0). The generation of an entry moves on
// every time it is released, and is kept across a partition restart, so a
// handle stays unique to one operation: an unknown, stale (finished,
// aborted, from before a restart) or foreign handle finds nothing.
//
// Only the storage is generic: the operation type is the PSA core's, and
// `Abort` its abort function (psa_hash_abort, ...).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sm/partition_table.h"

namespace bastion::crypto_service {

template <typename Op, size_t kEntries, int32_t (*Abort)(Op*)>
class OperationTable {
 public:
  static_assert(kEntries > 0 && kEntries <= 0xFFF, "entry index is 12 bits");

  struct Entry {
    Op op;
    sm::ClientId owner = 0;  // 0: free
    uint16_t generation = 0;
  };

  explicit OperationTable(uint32_t kind) : kind_(kind & 0xF) {}

  // A free entry for `client`, its operation in the initial state; null when
  // the table is full or `client` already holds `per_client` entries.
  Entry* Allocate(sm::ClientId client, size_t per_client) {
    if (client == 0 || CountOf(client) >= per_client) return nullptr;
    for (Entry& e : entries_) {
      if (e.owner == 0) {
        e.op = Op{};
        e.owner = client;
        return &e;
      }
    }
    return nullptr;
  }

  uint32_t HandleOf(const Entry* e) const {
    const uint32_t index = static_cast<uint32_t>(e - entries_);
    return (kind_ << 28) | (uint32_t{e->generation} << 12) | index;
  }

  // The entry `handle` names, if `client` owns it.
  Entry* Find(sm::ClientId client, uint32_t handle) {
    const uint32_t index = handle & 0xFFF;
    if ((handle >> 28) != kind_ || index >= kEntries) return nullptr;
    Entry& e = entries_[index];
    if (e.owner == 0 || e.owner != client || e.generation != ((handle >> 12) & 0xFFFF)) {
      return nullptr;
    }
    return &e;
  }

  // Frees the entry (its operation already finished or aborted).
  void Release(Entry* e) {
    e->op = Op{};
    e->owner = 0;
    ++e->generation;
  }

  void AbortClient(sm::ClientId client) {
    for (Entry& e : entries_) {
      if (e.owner != 0 && e.owner == client) {
        (void)Abort(&e.op);
        Release(&e);
      }
    }
  }

  void AbortAll() {
    for (Entry& e : entries_) {
      if (e.owner != 0) {
        (void)Abort(&e.op);
        Release(&e);
      }
    }
  }

  size_t CountOf(sm::ClientId client) const {
    size_t n = 0;
    for (const Entry& e : entries_) n += e.owner != 0 && e.owner == client ? 1 : 0;
    return n;
  }

 private:
  uint32_t kind_;
  Entry entries_[kEntries] = {};
};

}  // namespace bastion::crypto_service
