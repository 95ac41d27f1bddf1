// Reset handler, vector table and the C++ runtime stubs a freestanding,
// heap-free image needs.
#include <cstddef>
#include <cstdint>
#include <cstring>

extern "C" {
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_limit,
    __stack_top;
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
void Reset_Handler();
void Default_Handler();
}

namespace {
using Handler = void (*)();
}

extern "C" [[gnu::section(".vectors"), gnu::used]] const Handler g_vectors[16] = {
    reinterpret_cast<Handler>(&__stack_top),
    Reset_Handler,
    Default_Handler,  // NMI
    Default_Handler,  // HardFault
    Default_Handler,  // MemManage
    Default_Handler,  // BusFault
    Default_Handler,  // UsageFault
    Default_Handler,  // SecureFault
    nullptr,
    nullptr,
    nullptr,
    Default_Handler,  // SVCall
    Default_Handler,  // DebugMonitor
    nullptr,
    Default_Handler,  // PendSV
    Default_Handler,  // SysTick
};

namespace bastion::an505 {
constexpr uint32_t kStackPaint = 0x5a17c3e9;
}

extern "C" void Reset_Handler() {
  // Paint the unused stack (below this frame) so StackPeakBytes can find the
  // deepest word the stage wrote.
  uint32_t* sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t* w = &__stack_limit; w < sp - 16;) *w++ = bastion::an505::kStackPaint;
  const uint32_t* src = &__data_load;
  for (uint32_t* dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0;
  for (auto* f = __init_array_start; f < __init_array_end; ++f) (*f)();
  (void)main();
  for (;;) {
  }
}

extern "C" void Default_Handler() {
  for (;;) {
  }
}

namespace bastion::an505 {
uint32_t StackPeakBytes() {
  const uint32_t* w = &__stack_limit;
  while (w < &__stack_top && *w == kStackPaint) ++w;
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&__stack_top) -
                               reinterpret_cast<uintptr_t>(w));
}
}  // namespace bastion::an505

// No heap: deleting destructors of classes with virtual destructors still
// reference operator delete, which must never run.
void operator delete(void*) noexcept { __builtin_trap(); }
void operator delete(void*, size_t) noexcept { __builtin_trap(); }
extern "C" void __cxa_pure_virtual() { __builtin_trap(); }

// There is no heap: any C-library allocation fails. The size report checks
// that no allocator is linked into the stages at all.
extern "C" void* _sbrk(ptrdiff_t) { return reinterpret_cast<void*>(-1); }
