// GatewayMemory: the caller memory of a client served through the gateway.
//
// A non-secure client on the host has no memory the Secure Manager can see:
// the gateway copies each request into a frame and builds the response in a
// buffer of its own. While one call runs, the client may touch exactly those
// buffers — its input vectors and input descriptors (read), its output
// vectors and output descriptors (read and write) — and nothing at any other
// time. The Spm consults this object for every buffer it is handed
// (sm::CallerMemory), so the Spm must be built with the GatewayMemory the
// Gateway is given.
//
// Every other client (the secure partitions calling each other) is answered
// by the CallerMemory given at construction, or refused when there is none.
//
// Not thread-safe: one Gateway, one call at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bastion/gateway_frame.h"
#include "psa/client.h"
#include "sm/caller_memory.h"
#include "sm/partition_table.h"

namespace bastion::gateway {

class GatewayMemory final : public sm::CallerMemory {
 public:
  // `others` answers for every client outside an open call window (may be
  // null: nobody else may touch anything).
  explicit GatewayMemory(const sm::CallerMemory* others = nullptr) : others_(others) {}
  GatewayMemory(const GatewayMemory&) = delete;
  GatewayMemory& operator=(const GatewayMemory&) = delete;

  bool MayRead(sm::ClientId client, uintptr_t address, size_t length) const override;
  bool MayWrite(sm::ClientId client, uintptr_t address, size_t length) const override;

  // Opens `client`'s window on one call's buffers: `in` and `out` are the
  // descriptor arrays the Spm is handed, and their vectors. Closes any
  // window still open. Only the gateway calls this.
  void OpenWindow(sm::ClientId client, const psa_invec* in, size_t in_len, const psa_outvec* out,
                  size_t out_len);
  // Closes the window: the client may touch nothing.
  void CloseWindow();

  // True while a window is open (for tests).
  bool window_open() const { return window_client_ != 0; }

 private:
  struct Range {
    uintptr_t base = 0;
    size_t length = 0;
    bool writable = false;
  };
  static constexpr size_t kMaxRanges = 2 + BASTION_GW_MAX_IOVEC;

  void Add(const void* base, size_t length, bool writable);
  bool Covered(uintptr_t address, size_t length, bool write) const;

  const sm::CallerMemory* others_;
  sm::ClientId window_client_ = 0;  // 0: no window
  Range ranges_[kMaxRanges] = {};
  size_t range_count_ = 0;
};

}  // namespace bastion::gateway
