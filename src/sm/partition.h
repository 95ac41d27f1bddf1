// Partition: the runtime side of one declared partition.
//
// A partition keeps all of its volatile state inside its own object (never in
// globals), so the SPM can wipe it: Restart() re-initialises that state from
// the partition's declaration, at start-up and after every fault.
#pragma once

#include "psa/error.h"
#include "sm/message.h"
#include "sm/partition_table.h"

namespace bastion::sm {

// A partition's answer to one message: a PSA status for the client, or a
// fault (the partition knows it cannot go on: the Fault() hook).
class Reply {
 public:
  static constexpr Reply Status(psa_status_t status) { return Reply(status, false); }
  static constexpr Reply Fault() { return Reply(PSA_ERROR_SERVICE_FAILURE, true); }

  constexpr psa_status_t status() const { return status_; }
  constexpr bool faulted() const { return faulted_; }

 private:
  constexpr Reply(psa_status_t status, bool faulted) : status_(status), faulted_(faulted) {}
  psa_status_t status_;
  bool faulted_;
};

class Partition {
 public:
  // Serves one message for `service` (one of this partition's services).
  // For kMessageConnect, any status but PSA_SUCCESS refuses the connection;
  // the status of kMessageDisconnect is ignored.
  virtual Reply Serve(const ServiceDecl& service, Message& message) = 0;

  // Wipes all volatile state and starts again from the declaration.
  virtual void Restart(const PartitionDecl& declaration) = 0;

  // Checked by the SPM after every message: false means a broken invariant,
  // handled as a fault.
  virtual bool InvariantsHold() const { return true; }

 protected:
  ~Partition() = default;
};

}  // namespace bastion::sm
