// Message: what a partition sees of one request.
//
// The SPM has already checked every vector against the caller's memory and
// copied the descriptors; a partition gets only this object: the request
// type, the client id, the size of each vector, and accessors with the FF-M
// psa_read / psa_skip / psa_write semantics that never go past a vector's
// declared size. There is no way to reach a caller's pointer.
//
// Vectors the request does not have read as empty (size 0), as in FF-M. A
// partition that misuses the message (an index of PSA_MAX_IOVEC or more, a
// write past an output's size) commits what FF-M calls a
// PROGRAMMER ERROR in the partition: the message records it, the accessor
// does nothing, and the SPM treats the partition as faulted when it returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "psa/client.h"
#include "sm/partition_table.h"

namespace bastion::sm {

// Message types besides PSA_IPC_CALL (0) and the service's own (> 0), with
// the values FF-M gives them in psa/service.h.
inline constexpr int32_t kMessageConnect = -1;
inline constexpr int32_t kMessageDisconnect = -2;

class Message {
 public:
  // One vector as the SPM checked it: where it is and how long.
  struct Vector {
    uintptr_t base = 0;
    size_t length = 0;
  };

  Message(int32_t type, ClientId client, uint32_t sid, std::span<const Vector> in,
          std::span<const Vector> out);

  int32_t type() const { return type_; }
  ClientId client_id() const { return client_; }
  uint32_t sid() const { return sid_; }

  // Declared size of input / output vector `index`; 0 for a vector the
  // request does not have (like FF-M's psa_msg_t in_size[] / out_size[]).
  size_t in_size(size_t index) const;
  size_t out_size(size_t index) const;

  // psa_read: copies up to dest.size() bytes from where the previous reads
  // and skips of input `index` stopped; returns the number copied (0 at the
  // end of the vector). An index >= PSA_MAX_IOVEC is a partition error.
  size_t Read(size_t index, std::span<uint8_t> dest);

  // psa_skip: advances input `index` by up to `count` bytes; returns how many.
  size_t Skip(size_t index, size_t count);

  // psa_write: appends `data` to output `index` after what was written
  // before. Writing more than the output has left is a partition error:
  // nothing is written and false is returned.
  bool Write(size_t index, std::span<const uint8_t> data);

  // Bytes written to output `index` so far (the length the client sees).
  size_t written(size_t index) const;

  // True once the partition has misused this message.
  bool misused() const { return misused_; }

 private:
  int32_t type_;
  ClientId client_;
  uint32_t sid_;
  Vector in_[PSA_MAX_IOVEC] = {};
  Vector out_[PSA_MAX_IOVEC] = {};
  size_t in_offset_[PSA_MAX_IOVEC] = {};
  size_t out_offset_[PSA_MAX_IOVEC] = {};
  bool misused_ = false;
};

}  // namespace bastion::sm
