# Bastion: the two commands of the quick start, and a few more.
#   make demo   set up, build, and run the end-to-end demo on the virtual device
#   make test   set up, build (ASan+UBSan) and run every test, a short fuzz run,
#               and the Cortex-M33 firmware on QEMU
#   make campaign  the power-fail campaigns in full (host build, no sanitizers)
.PHONY: all setup build demo test test-asan fuzz fuzz-long firmware size qemu bench campaign clean

FUZZ_SECONDS ?= 20

all: build

setup:
	@scripts/setup

build: setup
	cmake --preset host >/dev/null
	cmake --build --preset host

demo: build
	scripts/demo build/host/bastion

test: test-asan fuzz qemu

test-asan: setup
	cmake --preset host-asan >/dev/null
	cmake --build --preset host-asan
	ctest --preset host-asan -j2

fuzz: setup
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz --target $$(scripts/fuzz --list)
	scripts/fuzz $(FUZZ_SECONDS)

fuzz-long: FUZZ_SECONDS = 600
fuzz-long: fuzz

firmware: setup
	cmake --preset cortex-m33 >/dev/null
	cmake --build --preset cortex-m33

size: firmware
	scripts/size-report

qemu: test-asan firmware
	BASTION=build/host-asan/bastion scripts/qemu-test

# Every interruption point of the slot swap and of the boot-level update
# engine, three flash geometries (docs/update-swap.md), and of the storage
# (ITS and PS, docs/storage.md); `make test` runs a bounded part of each.
campaign: setup
	cmake --preset host >/dev/null
	cmake --build --preset host --target swap_campaign boot_campaign storage_campaign
	build/host/tests/swap_campaign --full
	build/host/tests/boot_campaign --full
	build/host/tests/storage_campaign --full

bench: build
	build/host/bench/verify_bench
	build/host/bench/storage_bench
	build/host/bench/gateway_bench
	build/host/bench/attestation_bench
	build/host/bench/crypto_bench
	scripts/bench-instructions

clean:
	rm -rf build
