// NorArray: the bytes of one NOR flash array and the NOR rules over them
// (each program unit programmable once per erase, erase by sector), with
// what an interrupted operation leaves behind. The virtual device keeps one
// for its internal flash and one for its external flash; the access rules
// (HDPL, owners) and the power model stay in the device.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "platform/platform.h"

namespace bastion::host {

class NorArray {
 public:
  // Blank (erased) array of `geometry`. The geometry must be valid
  // (GeometryValid()).
  void Init(const platform::FlashGeometry& geometry);
  static bool GeometryValid(const platform::FlashGeometry& geometry);

  const platform::FlashGeometry& geometry() const { return geometry_; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

  // Range and alignment checks of platform::Flash (kOutOfRange,
  // kInvalidArgument, kFailedPrecondition for a unit not erased); kOk when
  // the operation may go ahead.
  Status CheckRead(uint32_t address, size_t size) const;
  Status CheckProgram(uint32_t address, ConstByteSpan data) const;
  Status CheckErase(uint32_t address) const;

  // The operations themselves, after their check passed.
  void Read(uint32_t address, ByteSpan out) const;
  void Program(uint32_t address, ConstByteSpan data);
  void Erase(uint32_t address);
  // What an operation cut by a power loss leaves (see
  // VirtualDevice::PowerLossMode::kTorn); `operation` picks the cut point.
  void TearProgram(uint32_t address, ConstByteSpan data, uint64_t operation);
  void TearErase(uint32_t address, uint64_t operation);

  // Factory write: sector-aligned bytes written over erased sectors, with no
  // program-once rule. False when outside the array or misaligned.
  bool FactoryWrite(uint32_t address, const std::vector<uint8_t>& bytes);

  // The program map as a bitmap (one bit per unit) for saving, and back.
  std::vector<uint8_t> ProgramMap() const;
  bool SetProgramMap(const std::vector<uint8_t>& map);
  // Replaces the bytes (same size) as loaded from a file.
  bool SetBytes(std::vector<uint8_t> bytes);

 private:
  platform::FlashGeometry geometry_{};
  std::vector<uint8_t> bytes_;
  std::vector<bool> programmed_;  // per program unit since its last erase
};

}  // namespace bastion::host
