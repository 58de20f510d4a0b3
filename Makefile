# A thin front for Meson and the lab. The two commands a new machine needs:
#   make demo    install what is missing, build, crash a real kernel, show the dump
#   make check   install what is missing, build, run every test (plain and ASan/UBSan)
PYTHON  := /usr/bin/python3
LAB     := $(PYTHON) tests/lab/lab.py
BUILD   := build
ASAN    := build-asan

.PHONY: all build asan-build deps deps-arm64 demo check test asan lab lab-x86 bench clean

all: build

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

asan-build: $(ASAN)/build.ninja
	ninja -C $(ASAN)

$(ASAN)/build.ninja:
	meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug

deps:
	scripts/install-deps build test lab

deps-arm64:
	scripts/install-deps build test lab lab-arm64

# The x86_64 lab: every scenario, both capture methods, reference outputs.
lab-x86: deps
	$(LAB) ensure --arch x86_64

lab: deps-arm64
	$(LAB) ensure --arch x86_64
	$(LAB) ensure --arch arm64

test: build
	tests/run $(BUILD)

asan: deps asan-build
	tests/run $(ASAN)

check: deps-arm64
	$(MAKE) build asan-build
	-$(LAB) ensure --arch x86_64
	-$(LAB) ensure --arch arm64
	tests/run $(BUILD) $(ASAN)

demo: deps build
	scripts/demo

bench: deps build
	bench/run

clean:
	rm -rf $(BUILD) $(ASAN)
