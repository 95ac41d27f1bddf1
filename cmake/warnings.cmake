# Warnings are errors for Bastion's own code (not for Mbed TLS).
set(BASTION_WARNINGS -Wall -Wextra -Werror -Wshadow -Wconversion -Wno-sign-conversion
    -Wcast-align -Wnon-virtual-dtor -Wold-style-cast -Wformat=2 -Wundef)
# Device code: freestanding C++ (no heap, no exceptions, no RTTI).
set(BASTION_DEVICE_FLAGS -fno-exceptions -fno-rtti -fno-threadsafe-statics
    -ffunction-sections -fdata-sections)

function(bastion_device_target target)
  target_compile_options(${target} PRIVATE ${BASTION_WARNINGS}
    $<$<COMPILE_LANGUAGE:CXX>:${BASTION_DEVICE_FLAGS}>)
endfunction()

function(bastion_host_target target)
  target_compile_options(${target} PRIVATE ${BASTION_WARNINGS})
endfunction()
