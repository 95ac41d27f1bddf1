// libFuzzer: hostile request frames into the gateway's decoder and a real
// Spm with the test partitions (tests/sm/test_partitions.h).
//
// The input is a byte stream from the application, cut into frames as the
// host server loop cuts it (RequestFrameLength), so one input can open a
// connection and then call on it. Every frame must get a well-formed
// response that repeats its operation and sequence; a frame the gateway
// refuses must get PSA_ERROR_PROGRAMMER_ERROR and leave the Spm and its
// partitions exactly as they were; no call window may stay open.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gateway/gateway.h"
#include "sm/test_partitions.h"

namespace {

using namespace bastion;
using namespace bastion::sm;

struct Rig {
  test::EchoPartition echo;
  test::FaultyPartition faulty;
  test::VaultPartition vault;
  std::array<Partition*, 3> partitions = {&echo, &faulty, &vault};
  gateway::GatewayMemory memory;
  SpmBuffer<3, 4> spm{test::kTestPartitions, partitions, memory};
  gateway::Gateway gateway{spm, memory};
};

struct Snapshot {
  uint32_t echo_calls, faulty_served, faulty_restarts;
  int32_t faulty_connections;
  size_t connections;
  uint32_t faults[3];
  bool operator==(const Snapshot&) const = default;
};

Snapshot Take(const Rig& rig) {
  return {rig.echo.calls(),
          rig.faulty.served(),
          rig.faulty.restarts(),
          rig.faulty.connections(),
          rig.spm.ConnectionsInUse(),
          {rig.spm.FaultCount(1), rig.spm.FaultCount(2), rig.spm.FaultCount(3)}};
}

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// Runs one frame and checks its response; false when the stream must stop.
bool RunFrame(Rig& rig, ConstByteSpan frame, std::vector<uint8_t>& response) {
  const Snapshot before = Take(rig);
  const Result<gateway::Execution> result = rig.gateway.Execute(test::kApp, frame, response);
  Check(result.ok());
  Check(!rig.memory.window_open());
  const size_t length = result->response_length;
  Check(length >= gateway::kHeaderSize + 4 && length <= gateway::kMaxFrameSize);
  const uint8_t* r = response.data();
  Check(LoadLe32(r + BASTION_GW_OFFSET_MAGIC) == BASTION_GW_RESPONSE_MAGIC);
  Check(LoadLe16(r + BASTION_GW_OFFSET_VERSION) == BASTION_GW_PROTOCOL_VERSION);
  Check(LoadLe32(r + BASTION_GW_OFFSET_LENGTH) == length);
  if (frame.size() >= gateway::kHeaderSize) {
    Check(LoadLe16(r + BASTION_GW_OFFSET_OPERATION) ==
          LoadLe16(frame.data() + BASTION_GW_OFFSET_OPERATION));
    Check(LoadLe32(r + BASTION_GW_OFFSET_SEQUENCE) ==
          LoadLe32(frame.data() + BASTION_GW_OFFSET_SEQUENCE));
  }
  if (result->disposition != gateway::Disposition::kExecuted) {
    Check(length == gateway::kHeaderSize + 4);
    Check(LoadLe32(r + gateway::kHeaderSize) == static_cast<uint32_t>(PSA_ERROR_PROGRAMMER_ERROR));
    Check(Take(rig) == before);
    return result->disposition == gateway::Disposition::kRefused;
  }
  // An executed CALL with outputs: a count and that many whole outputs, nothing after.
  if (length > gateway::kHeaderSize + 4) {
    Check(LoadLe16(frame.data() + BASTION_GW_OFFSET_OPERATION) == BASTION_GW_OP_CALL);
    size_t pos = gateway::kHeaderSize + 8;
    Check(length >= pos);
    const uint32_t count = LoadLe32(r + gateway::kHeaderSize + 4);
    Check(count <= gateway::kMaxVectors);
    for (uint32_t i = 0; i < count; ++i) {
      Check(length - pos >= 4);
      const uint32_t written = LoadLe32(r + pos);
      Check(written <= gateway::kMaxVectorSize && written <= length - pos - 4);
      pos += 4 + written;
    }
    Check(pos == length);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::vector<uint8_t> response(gateway::kMaxFrameSize);
  Rig rig;
  Check(rig.spm.Start().ok());
  ConstByteSpan stream(data, size);
  while (!stream.empty()) {
    // As the server loop does: the header says how long the frame is; an
    // unusable header is answered alone; a short stream is a cut frame.
    size_t take = stream.size();
    const Result<size_t> length = gateway::RequestFrameLength(stream);
    if (length.ok()) {
      take = length.value() < stream.size() ? length.value() : stream.size();
    } else if (stream.size() >= gateway::kHeaderSize) {
      take = gateway::kHeaderSize;
    }
    if (!RunFrame(rig, stream.first(take), response)) break;
    stream = stream.subspan(take);
  }
  return 0;
}
