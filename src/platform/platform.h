// The platform: the small set of interfaces device code runs on.
//
// host/ implements them as the virtual device, targets/ on hardware. Nothing
// above this layer knows which one it runs on. Every access is checked by the
// implementation against the current hide-protection level (HDPL) and the
// owner of the region touched.
#pragma once

#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "common/status.h"

namespace bastion::platform {

// Hide-protection levels: rise only, back to kIrot only at reset.
enum class Hdpl : uint8_t {
  kIrot = 0,           // immutable root of trust
  kUrot = 1,           // updatable root of trust
  kSecureManager = 2,  // secure manager and its partitions
  kApplication = 3,    // nothing secure left readable
};

struct FlashGeometry {
  uint32_t size = 0;          // bytes
  uint32_t sector_size = 0;   // erase unit
  uint32_t program_unit = 0;  // write unit; each unit programmable once per erase
  uint8_t erased_value = 0xff;
};

// The interfaces below are implemented by the port (and by the virtual
// device) and never deleted through a pointer to them: their destructors are
// protected and not virtual, so a port's objects can be static without
// registering destructors that a boot stage would never run.

// NOR flash.
class Flash {
 public:
  virtual FlashGeometry geometry() const = 0;
  // Returns kOk, kOutOfRange, kPermissionDenied.
  virtual Status Read(uint32_t address, ByteSpan out) = 0;
  // Programs whole program units: address and size are multiples of
  // program_unit, and each unit must be erased. Returns kOk, kOutOfRange,
  // kInvalidArgument (misaligned), kFailedPrecondition (unit not erased),
  // kPermissionDenied, kUnavailable (power lost: nothing after this happens).
  virtual Status Program(uint32_t address, ConstByteSpan data) = 0;
  // Erases the sector holding `address` (sector aligned). Same codes.
  virtual Status EraseSector(uint32_t address) = 0;

 protected:
  ~Flash() = default;
};

// One-time-programmable memory: erased bits are 0 and can only be set.
class Otp {
 public:
  virtual uint32_t size() const = 0;
  // Returns kOk, kOutOfRange, kPermissionDenied.
  virtual Status Read(uint32_t offset, ByteSpan out) = 0;
  // ORs `data` into 32-bit words (offset and size multiples of 4). A word
  // whose new value would clear a set bit is refused whole with
  // kFailedPrecondition. Also kOutOfRange, kPermissionDenied, kUnavailable.
  virtual Status Program(uint32_t offset, ConstByteSpan data) = 0;

 protected:
  ~Otp() = default;
};

class HdplControl {
 public:
  virtual Hdpl Current() const = 0;
  // Raises the level to `level`. Returns kOk, or kPermissionDenied when
  // `level` is below the current level (the level never goes down).
  virtual Status Raise(Hdpl level) = 0;

 protected:
  ~HdplControl() = default;
};

// RAM regions that survive a warm reset and are cleared by a power cycle.
enum class RamRegion : uint8_t {
  kMailbox = 0,     // requests from the application to the boot chain; any level
  kBootReport = 1,  // written by uROT, read by later stages; any level
  kHandoff = 2,     // secrets from iROT to uROT; HDPL <= 1
  kSmHandoff = 3,   // secrets from uROT to the Secure Manager; HDPL <= 2
};

class SharedRam {
 public:
  // Gives access to a region. Returns kOk, or kPermissionDenied when the
  // region's owner level is below the current HDPL.
  virtual Status Region(RamRegion region, ByteSpan* out) = 0;

 protected:
  ~SharedRam() = default;
};

// The hardware unique key (32 bytes), readable only at HDPL 0.
class HukAccess {
 public:
  // Returns kOk or kPermissionDenied.
  virtual Status ReadHuk(std::span<uint8_t, 32> out) = 0;

 protected:
  ~HukAccess() = default;
};

class Rng {
 public:
  // Fills `out` with full-entropy bytes. Returns kOk or kUnavailable.
  virtual Status Fill(ByteSpan out) = 0;

 protected:
  ~Rng() = default;
};

// Stopping the device.
class System {
 public:
  // Stops the device in its failure state until the next reset. Never
  // returns (the host's virtual device unwinds to its boot harness).
  [[noreturn]] virtual void Halt() = 0;

 protected:
  ~System() = default;
};

// Everything a boot stage is given.
struct Platform {
  Flash& flash;
  Otp& otp;
  HdplControl& hdpl;
  SharedRam& ram;
  HukAccess& huk;
  Rng& rng;
  System& system;
  // External flash (Protected Storage), on its own bus: an attacker may read,
  // change and restore it. Null when the board has none.
  Flash* external_flash = nullptr;
};

}  // namespace bastion::platform
