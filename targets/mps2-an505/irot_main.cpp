// iROT on the AN505: the immutable first stage. Verifies uROT, then jumps to
// it (uROT runs in place from its primary slot).
#include <cstdint>

#include "an505_platform.h"
#include "boot/boot_stages.h"
#include "memory_map.h"
#include "semihosting.h"

namespace {

[[noreturn]] void JumpTo(uintptr_t vector_table) {
  const auto* vectors = reinterpret_cast<const uint32_t*>(vector_table);
  volatile uint32_t* vtor = reinterpret_cast<volatile uint32_t*>(0xE000ED08);
  *vtor = static_cast<uint32_t>(vector_table);
  asm volatile(
      "msr msp, %0\n"
      "dsb\n"
      "isb\n"
      "bx %1\n"
      :
      : "r"(vectors[0]), "r"(vectors[1])
      : "memory");
  __builtin_unreachable();
}

}  // namespace

// uROT is linked to run at kUrotEntryBase. Jump only when that is exactly
// where the image iROT verified starts, and when its initial stack pointer
// and reset vector stay inside RAM and inside the verified payload.
bastion::HardenedBool EntryMatches(const bastion::boot::VerifiedEntry& e, uintptr_t* entry) {
  using namespace bastion;
  const uintptr_t payload = an505::kFlashBase + e.slot.offset + e.header_size;
  const auto* vectors = reinterpret_cast<const uint32_t*>(payload);
  const uint32_t sp = vectors[0];
  const uint32_t pc = vectors[1] & ~1u;
  const bool ok = payload == an505::kUrotEntryBase && e.header_size <= e.slot.size &&
                  e.image_size >= 8 && e.image_size <= e.slot.size - e.header_size &&
                  (vectors[1] & 1u) == 1u && pc >= payload + 8 && pc < payload + e.image_size &&
                  sp > an505::kStageRamBase && sp <= an505::kStageRamEnd && sp % 8 == 0;
  *entry = payload;
  return ToHardened(ok);
}

int main() {
  using namespace bastion;
  *reinterpret_cast<volatile uint32_t*>(an505::kHdplRegister) = 0;  // reset value
  platform::Platform& p = an505::GetPlatform();
  an505::SemihostWrite("iROT: verifying uROT\n");
  const boot::VerifiedEntry verified = boot::RunIrot(p);
  uintptr_t entry = 0;
  const HardenedBool matches = EntryMatches(verified, &entry);
  if (!HardenedIsTrue(matches) || !HardenedIsTrue(Launder(verified.verified))) {
    boot::FailBoot(p, boot::BootReason::kEntryPointInvalid, otp::Component::kUrot,
                   image::ImageError::kOk);
  }
  an505::SemihostWrite("iROT: uROT verified, HDPL raised to 1, stack peak ");
  an505::SemihostNumber(an505::StackPeakBytes());
  an505::SemihostWrite(" bytes, jumping to uROT\n");
  if (!HardenedIsTrue(Launder(matches))) {
    boot::FailBoot(p, boot::BootReason::kFaultDetected, otp::Component::kUrot,
                   image::ImageError::kOk);
  }
  JumpTo(entry);
}
