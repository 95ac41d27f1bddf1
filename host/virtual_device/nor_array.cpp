#include "virtual_device/nor_array.h"

#include <algorithm>
#include <cstring>

namespace bastion::host {
namespace {

// A deterministic cut point in [0, size) from the operation number.
size_t CutPoint(uint64_t operation, size_t size) {
  uint64_t x = operation * 0x9e3779b97f4a7c15ull;
  x ^= x >> 29;
  return size == 0 ? 0 : static_cast<size_t>(x % size);
}

}  // namespace

bool NorArray::GeometryValid(const platform::FlashGeometry& g) {
  auto pow2 = [](uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  return pow2(g.sector_size) && pow2(g.program_unit) && g.program_unit <= 256 &&
         g.sector_size % g.program_unit == 0 && g.size != 0 && g.size % g.sector_size == 0 &&
         g.size <= 64u * 1024 * 1024;
}

void NorArray::Init(const platform::FlashGeometry& geometry) {
  geometry_ = geometry;
  bytes_.assign(geometry.size, geometry.erased_value);
  programmed_.assign(geometry.size / geometry.program_unit, false);
}

Status NorArray::CheckRead(uint32_t address, size_t size) const {
  if (address > bytes_.size() || size > bytes_.size() - address) return StatusCode::kOutOfRange;
  return StatusCode::kOk;
}

Status NorArray::CheckProgram(uint32_t address, ConstByteSpan data) const {
  if (address > bytes_.size() || data.size() > bytes_.size() - address)
    return StatusCode::kOutOfRange;
  const uint32_t unit = geometry_.program_unit;
  if (address % unit != 0 || data.size() % unit != 0) return StatusCode::kInvalidArgument;
  for (size_t i = 0; i < data.size(); i += unit) {
    if (programmed_[(address + i) / unit]) return StatusCode::kFailedPrecondition;
  }
  return StatusCode::kOk;
}

Status NorArray::CheckErase(uint32_t address) const {
  if (address >= bytes_.size()) return StatusCode::kOutOfRange;
  if (address % geometry_.sector_size != 0) return StatusCode::kInvalidArgument;
  return StatusCode::kOk;
}

void NorArray::Read(uint32_t address, ByteSpan out) const {
  std::memcpy(out.data(), bytes_.data() + address, out.size());
}

void NorArray::Program(uint32_t address, ConstByteSpan data) {
  const uint32_t unit = geometry_.program_unit;
  std::memcpy(bytes_.data() + address, data.data(), data.size());
  for (size_t i = 0; i < data.size(); i += unit) programmed_[(address + i) / unit] = true;
}

void NorArray::Erase(uint32_t address) {
  std::fill_n(bytes_.begin() + address, geometry_.sector_size, geometry_.erased_value);
  const uint32_t unit = geometry_.program_unit;
  for (uint32_t i = 0; i < geometry_.sector_size; i += unit)
    programmed_[(address + i) / unit] = false;
}

void NorArray::TearProgram(uint32_t address, ConstByteSpan data, uint64_t operation) {
  const uint32_t unit = geometry_.program_unit;
  const size_t cut = CutPoint(operation, data.size());
  std::memcpy(bytes_.data() + address, data.data(), cut);
  // Every unit fully written, and the unit holding the cut, are programmed.
  for (size_t i = 0; i <= cut && i < data.size(); i += unit) {
    programmed_[(address + i) / unit] = true;
  }
}

void NorArray::TearErase(uint32_t address, uint64_t operation) {
  const uint32_t unit = geometry_.program_unit;
  const size_t cut = CutPoint(operation, geometry_.sector_size) / unit * unit;
  std::fill_n(bytes_.begin() + address, cut, geometry_.erased_value);
  for (size_t i = 0; i < cut; i += unit) programmed_[(address + i) / unit] = false;
  if (cut < geometry_.sector_size) {
    for (size_t i = 0; i < unit; ++i) {
      bytes_[address + cut + i] = static_cast<uint8_t>((operation + i) * 0x5b ^ 0xa7);
    }
    programmed_[(address + cut) / unit] = true;
  }
}

bool NorArray::FactoryWrite(uint32_t address, const std::vector<uint8_t>& bytes) {
  const uint32_t sector = geometry_.sector_size;
  if (address % sector != 0 || address > bytes_.size() || bytes.size() > bytes_.size() - address) {
    return false;
  }
  const size_t span =
      std::min<size_t>((bytes.size() + sector - 1) / sector * sector, bytes_.size() - address);
  std::fill_n(bytes_.begin() + address, span, geometry_.erased_value);
  std::copy(bytes.begin(), bytes.end(), bytes_.begin() + address);
  const uint32_t unit = geometry_.program_unit;
  for (size_t i = 0; i < span; i += unit) {
    const size_t end = std::min(i + unit, bytes.size());
    bool programmed = false;
    for (size_t j = i; j < end; ++j) programmed = programmed || bytes[j] != geometry_.erased_value;
    programmed_[(address + i) / unit] = i < bytes.size() && programmed;
  }
  return true;
}

std::vector<uint8_t> NorArray::ProgramMap() const {
  std::vector<uint8_t> map((programmed_.size() + 7) / 8, 0);
  for (size_t i = 0; i < programmed_.size(); ++i) {
    if (programmed_[i]) map[i / 8] = static_cast<uint8_t>(map[i / 8] | (1u << (i % 8)));
  }
  return map;
}

bool NorArray::SetProgramMap(const std::vector<uint8_t>& map) {
  if (map.size() != (programmed_.size() + 7) / 8) return false;
  for (size_t i = 0; i < programmed_.size(); ++i) programmed_[i] = (map[i / 8] >> (i % 8)) & 1;
  return true;
}

bool NorArray::SetBytes(std::vector<uint8_t> bytes) {
  if (bytes.size() != bytes_.size()) return false;
  bytes_ = std::move(bytes);
  return true;
}

}  // namespace bastion::host
