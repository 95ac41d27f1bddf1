# Bastion: the two commands of the quick start, and a few more.
#   make demo   set up, build, and run the end-to-end demo on the virtual device
#   make test   set up, build (ASan+UBSan) and run every test, plus a short fuzz run
.PHONY: all setup build demo test test-asan fuzz fuzz-long firmware size bench clean

FUZZ_SECONDS ?= 20

all: build

setup:
	@scripts/setup

build: setup
	cmake --preset host >/dev/null
	cmake --build --preset host

demo: build
	scripts/demo build/host/bastion

test: test-asan fuzz

test-asan: setup
	cmake --preset host-asan >/dev/null
	cmake --build --preset host-asan
	ctest --preset host-asan -j2

fuzz: setup
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz --target image_parser_fuzzer
	scripts/fuzz $(FUZZ_SECONDS)

fuzz-long: FUZZ_SECONDS = 600
fuzz-long: fuzz

firmware: setup
	cmake --preset cortex-m33 >/dev/null
	cmake --build --preset cortex-m33

size: firmware
	scripts/size-report

bench: build
	build/host/bench/verify_bench

clean:
	rm -rf build
