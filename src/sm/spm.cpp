#include "sm/spm.h"

namespace bastion::sm {
namespace {

// Connection handles: (generation << 16) | (pool index + 1). Generations stay
// in 14 bits so a connection handle never has the stateless bit (30) set.
constexpr uint32_t kGenerationMask = 0x3FFF;

psa_handle_t ConnectionHandle(size_t index, uint16_t generation) {
  return static_cast<psa_handle_t>((static_cast<uint32_t>(generation) << 16) |
                                   static_cast<uint32_t>(index + 1));
}

// [a, a + a_len) and [b, b + b_len) share a byte (both non-empty, no wrap).
bool Overlap(const Message::Vector& a, const Message::Vector& b) {
  if (a.length == 0 || b.length == 0) return false;
  return a.base < b.base + b.length && b.base < a.base + a.length;
}

}  // namespace

Spm::Spm(std::span<const PartitionDecl> table, std::span<Partition* const> partitions,
         CallerMemory& memory, std::span<ConnectionSlot> connections,
         std::span<PartitionRecord> records)
    : table_(table),
      partitions_(partitions),
      memory_(memory),
      connections_(connections),
      records_(records) {}

Status Spm::Start() {
  if (PartitionTableError(table_) != TableError::kNone) return StatusCode::kInvalidArgument;
  if (partitions_.size() != table_.size() || records_.size() < table_.size()) {
    return StatusCode::kInvalidArgument;
  }
  for (Partition* p : partitions_) {
    if (p == nullptr) return StatusCode::kInvalidArgument;
  }
  for (ConnectionSlot& slot : connections_) slot = ConnectionSlot{};
  for (size_t i = 0; i < table_.size(); ++i) {
    records_[i] = PartitionRecord{};
    partitions_[i]->Restart(table_[i]);
  }
  started_ = true;
  return Status::Ok();
}

uint32_t Spm::FrameworkVersion() const { return PSA_FRAMEWORK_VERSION; }

uint32_t Spm::Version(ClientId client, uint32_t sid) const {
  ServiceRef ref{};
  if (!started_ || !FindService(sid, &ref) || !ref.service->callers.Allows(client)) {
    return PSA_VERSION_NONE;
  }
  return ref.service->version;
}

psa_handle_t Spm::Connect(ClientId client, uint32_t sid, uint32_t version) {
  if (!started_) return PSA_ERROR_BAD_STATE;
  ServiceRef ref{};
  if (!FindService(sid, &ref) || ref.service->model != ServiceModel::kConnectionBased ||
      version == 0 || version > ref.service->version || !ref.service->callers.Allows(client)) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  size_t index = connections_.size();
  for (size_t i = 0; i < connections_.size(); ++i) {
    if (connections_[i].state == ConnectionSlot::State::kFree) {
      index = i;
      break;
    }
  }
  if (index == connections_.size()) return PSA_ERROR_CONNECTION_BUSY;

  Message message(kMessageConnect, client, sid, {}, {});
  psa_status_t status = PSA_SUCCESS;
  if (!Dispatch(ref.partition, *ref.service, message, &status) || status != PSA_SUCCESS) {
    return PSA_ERROR_CONNECTION_REFUSED;
  }
  ConnectionSlot& slot = connections_[index];
  slot.generation = static_cast<uint16_t>(((slot.generation + 1u) & kGenerationMask));
  if (slot.generation == 0) slot.generation = 1;
  slot.state = ConnectionSlot::State::kOpen;
  slot.owner = client;
  slot.partition = ref.partition;
  slot.service = ref.service;
  return ConnectionHandle(index, slot.generation);
}

psa_status_t Spm::Call(ClientId client, psa_handle_t handle, int32_t type, const psa_invec* in_vec,
                       size_t in_len, psa_outvec* out_vec, size_t out_len, bool* answered) {
  if (answered != nullptr) *answered = false;
  if (!started_) return PSA_ERROR_BAD_STATE;
  if (type < 0) return PSA_ERROR_PROGRAMMER_ERROR;

  ServiceRef ref{};
  if (IsStatelessHandle(handle)) {
    // The version the client was built against travels in the handle.
    const uint32_t version = (static_cast<uint32_t>(handle) >> 8) & 0xFF;
    if (!FindStateless(handle, &ref) || version == 0 || version > ref.service->version ||
        !ref.service->callers.Allows(client)) {
      return PSA_ERROR_PROGRAMMER_ERROR;
    }
  } else {
    ConnectionSlot* slot = FindConnection(client, handle);
    if (slot == nullptr) return PSA_ERROR_PROGRAMMER_ERROR;
    if (slot->state == ConnectionSlot::State::kLost) return PSA_ERROR_CONNECTION_REFUSED;
    ref = {slot->partition, slot->service};
  }

  CheckedVectors vectors{};
  const psa_status_t checked = CheckVectors(client, in_vec, in_len, out_vec, out_len, &vectors);
  if (checked != PSA_SUCCESS) return checked;

  Message message(type, client, ref.service->sid, std::span(vectors.in, in_len),
                  std::span(vectors.out, out_len));
  psa_status_t status = PSA_SUCCESS;
  if (!Dispatch(ref.partition, *ref.service, message, &status)) return PSA_ERROR_SERVICE_FAILURE;
  // Only the lengths go back, into the descriptor array checked writable.
  for (size_t i = 0; i < out_len; ++i) out_vec[i].len = message.written(i);
  if (answered != nullptr) *answered = true;
  return status;
}

psa_status_t Spm::Close(ClientId client, psa_handle_t handle) {
  if (handle == PSA_NULL_HANDLE) return PSA_SUCCESS;
  if (!started_) return PSA_ERROR_BAD_STATE;
  ConnectionSlot* slot = FindConnection(client, handle);
  if (slot == nullptr) return PSA_ERROR_PROGRAMMER_ERROR;
  if (slot->state == ConnectionSlot::State::kOpen) {
    Message message(kMessageDisconnect, client, slot->service->sid, {}, {});
    psa_status_t ignored = PSA_SUCCESS;
    (void)Dispatch(slot->partition, *slot->service, message, &ignored);
  }
  slot->state = ConnectionSlot::State::kFree;
  slot->owner = 0;
  slot->service = nullptr;
  return PSA_SUCCESS;
}

uint32_t Spm::FaultCount(PartitionId id) const {
  for (size_t i = 0; i < table_.size() && i < records_.size(); ++i) {
    if (table_[i].id == id) return records_[i].fault_count;
  }
  return 0;
}

void Spm::ReportFault(PartitionId id) {
  if (!started_) return;
  for (size_t i = 0; i < table_.size(); ++i) {
    if (table_[i].id == id) HandleFault(i);
  }
}

size_t Spm::ConnectionsInUse() const {
  size_t n = 0;
  for (const ConnectionSlot& slot : connections_) {
    n += slot.state != ConnectionSlot::State::kFree ? 1 : 0;
  }
  return n;
}

bool Spm::FindService(uint32_t sid, ServiceRef* found) const {
  for (size_t i = 0; i < table_.size(); ++i) {
    for (const ServiceDecl& s : table_[i].services) {
      if (s.sid == sid) {
        *found = {i, &s};
        return true;
      }
    }
  }
  return false;
}

bool Spm::FindStateless(int32_t handle, ServiceRef* found) const {
  // Bits other than the flag, the version and the index must be zero.
  if ((handle & ~(kStatelessHandleFlag | 0xFF1F)) != 0) return false;
  const int32_t wanted = handle & 0x1F;
  int32_t index = 0;
  for (size_t i = 0; i < table_.size(); ++i) {
    for (const ServiceDecl& s : table_[i].services) {
      if (s.model != ServiceModel::kStateless) continue;
      if (index == wanted) {
        *found = {i, &s};
        return true;
      }
      ++index;
    }
  }
  return false;
}

ConnectionSlot* Spm::FindConnection(ClientId client, psa_handle_t handle) {
  if (handle <= 0 || IsStatelessHandle(handle)) return nullptr;
  const uint32_t raw = static_cast<uint32_t>(handle);
  const uint32_t index_plus_one = raw & 0xFFFF;
  const uint32_t generation = raw >> 16;
  if (index_plus_one == 0 || index_plus_one > connections_.size()) return nullptr;
  ConnectionSlot& slot = connections_[index_plus_one - 1];
  if (slot.state == ConnectionSlot::State::kFree || slot.generation != generation ||
      slot.owner != client) {
    return nullptr;
  }
  return &slot;
}

psa_status_t Spm::CheckVectors(ClientId client, const psa_invec* in_vec, size_t in_len,
                               const psa_outvec* out_vec, size_t out_len, CheckedVectors* checked) {
  // Each count alone first, so their sum cannot overflow.
  if (in_len > PSA_MAX_IOVEC || out_len > PSA_MAX_IOVEC || in_len + out_len > PSA_MAX_IOVEC) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  // The descriptor arrays are caller memory too: inputs are read, outputs
  // read and (their lengths) written back.
  if (in_len != 0 &&
      (in_vec == nullptr ||
       !memory_.MayRead(client, reinterpret_cast<uintptr_t>(in_vec), in_len * sizeof(psa_invec)))) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  if (out_len != 0 &&
      (out_vec == nullptr || !memory_.MayWrite(client, reinterpret_cast<uintptr_t>(out_vec),
                                               out_len * sizeof(psa_outvec)))) {
    return PSA_ERROR_PROGRAMMER_ERROR;
  }
  // Copy the descriptors once; every later check and access uses the copies,
  // so a caller changing them meanwhile changes nothing.
  for (size_t i = 0; i < in_len; ++i) {
    checked->in[i] = {reinterpret_cast<uintptr_t>(in_vec[i].base), in_vec[i].len};
  }
  for (size_t i = 0; i < out_len; ++i) {
    checked->out[i] = {reinterpret_cast<uintptr_t>(out_vec[i].base), out_vec[i].len};
  }

  size_t total = 0;
  for (size_t i = 0; i < in_len + out_len; ++i) {
    const bool is_in = i < in_len;
    const Message::Vector& v = is_in ? checked->in[i] : checked->out[i - in_len];
    if (total > SIZE_MAX - v.length) return PSA_ERROR_PROGRAMMER_ERROR;
    total += v.length;
    if (v.length == 0) continue;
    if (v.base == 0 || v.base > UINTPTR_MAX - v.length) return PSA_ERROR_PROGRAMMER_ERROR;
    const bool allowed = is_in ? memory_.MayRead(client, v.base, v.length)
                               : memory_.MayWrite(client, v.base, v.length);
    if (!allowed) return PSA_ERROR_PROGRAMMER_ERROR;
  }
  // An output may not overlap an input or another output (inputs may share).
  for (size_t o = 0; o < out_len; ++o) {
    for (size_t i = 0; i < in_len; ++i) {
      if (Overlap(checked->out[o], checked->in[i])) return PSA_ERROR_PROGRAMMER_ERROR;
    }
    for (size_t p = 0; p < o; ++p) {
      if (Overlap(checked->out[o], checked->out[p])) return PSA_ERROR_PROGRAMMER_ERROR;
    }
  }
  return PSA_SUCCESS;
}

bool Spm::Dispatch(size_t partition, const ServiceDecl& service, Message& message,
                   psa_status_t* status) {
  const Reply reply = partitions_[partition]->Serve(service, message);
  if (reply.faulted() || message.misused() || !partitions_[partition]->InvariantsHold()) {
    HandleFault(partition);
    return false;
  }
  *status = reply.status();
  return true;
}

void Spm::HandleFault(size_t partition) {
  if (records_[partition].fault_count != UINT32_MAX) ++records_[partition].fault_count;
  partitions_[partition]->Restart(table_[partition]);
  // The restarted partition knows none of its connections any more.
  for (ConnectionSlot& slot : connections_) {
    if (slot.state == ConnectionSlot::State::kOpen && slot.partition == partition) {
      slot.state = ConnectionSlot::State::kLost;
    }
  }
}

}  // namespace bastion::sm
