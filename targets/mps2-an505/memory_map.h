// Memory map of the Bastion port to the Arm MPS2+ AN505 (Cortex-M33) as
// QEMU's mps2-an505 machine models it. All addresses are secure aliases.
//
// QEMU models the board's memories as RAM; this port places the boot
// chain's "flash", OTP and HUK in SSRAM1 and preloads them from the files a
// virtual device keeps (scripts/qemu-boot, docs/decisions.md). On silicon
// with real flash/OTP controllers only an505_platform.cpp changes.
#pragma once

#include <cstdint>

namespace bastion::an505 {

constexpr uintptr_t kIrotBase = 0x10000000;   // iROT code (immutable stage)
constexpr uintptr_t kFlashBase = 0x10100000;  // 2 MiB "flash": flash.bin
constexpr uint32_t kFlashSize = 0x200000;
constexpr uint32_t kFlashSectorSize = 0x2000;
constexpr uint32_t kFlashProgramUnit = 16;
constexpr uintptr_t kOtpBase = 0x10300000;  // 2 KiB OTP: otp.bin
constexpr uint32_t kOtpSize = 0x800;
constexpr uintptr_t kHukBase = 0x10300800;       // 32 bytes: huk.bin
constexpr uintptr_t kStageRamBase = 0x38000000;  // each stage's data, bss, stack
constexpr uintptr_t kStageRamEnd = 0x38040000;
constexpr uintptr_t kSharedRamBase = 0x38100000;  // mailbox, boot report, handoffs
constexpr uintptr_t kHdplRegister = 0x38100ff0;   // models the HDPL register

// uROT runs in place from its primary slot, after a 0x200-byte image header
// (default layout: slot at flash offset 0x2000).
constexpr uintptr_t kUrotEntryBase = kFlashBase + 0x2000 + 0x200;

}  // namespace bastion::an505
