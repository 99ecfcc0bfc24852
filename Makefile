# DAX pages with normal reference counts: build, boot and test a patched
# Linux 6.12 on emulated persistent memory. 'make help' lists targets.

LINUX_PKG_VERSION ?= 6.12.117-1~deb12u1
BASELINE ?= 0
DEB_CONFIG ?= lean
TESTS ?=
EACH ?= 0

PARTS ?=

export LINUX_PKG_VERSION TESTS EACH EACH_FROM BENCH_RUNS BENCH_ITEMS

SH := /bin/sh
S := scripts
B := build

ifeq ($(filter $(BASELINE),0 1),)
$(error BASELINE must be 0 or 1, not '$(BASELINE)')
endif
ifeq ($(filter $(EACH),0 1),)
$(error EACH must be 0 or 1, not '$(EACH)')
endif
ifeq ($(filter $(DEB_CONFIG),lean debian),)
$(error DEB_CONFIG must be lean or debian, not '$(DEB_CONFIG)')
endif
ifneq ($(JOBS),)
ifneq ($(shell echo '$(JOBS)' | grep -E '^[1-9][0-9]*$$'),$(JOBS))
$(error JOBS must be a positive number, not '$(JOBS)')
endif
export JOBS
endif

FLAVOUR := $(if $(filter 1,$(BASELINE)),baseline,patched)
KERNEL := $(B)/out/$(FLAVOUR)-check/arch/x86/boot/bzImage

.DEFAULT_GOAL := all
.PHONY: all help deps tree kernel tests tools run check deb export check-patches \
	checkpatch compile-touched cross deps-cross bench parts clean distclean

help:
	@echo 'Targets:'
	@echo '  all (default)  install deps, prepare build/linux, build the patched kernel'
	@echo '  run            boot the kernel on emulated pmem and show a short DAX demo'
	@echo '  check          build kernel and tests, boot, run the DAX suite'
	@echo '  deb            build installable Debian packages of the patched kernel'
	@echo '  bench          baseline vs patched kernel under QEMU -icount: table,'
	@echo '                 ratios and repeatability in bench/results/'
	@echo '  deps           install missing Debian packages (apt-get; idempotent)'
	@echo '  deps-cross     also install cross gcc for arm64, ppc64le, riscv64, s390x'
	@echo '  tree           make build/linux: pinned base + patches/ (git am)'
	@echo '  kernel         build the kernel only (no dependency install)'
	@echo '  tests          build the test programs into build/tests'
	@echo '  tools          build tools/ (the demo'"'"'s mapper) into build/tools'
	@echo '  export         write build/linux commits on top of base to patches/'
	@echo '  check-patches  prove patches/ applies cleanly to a fresh base'
	@echo '  checkpatch     run the tree'"'"'s checkpatch.pl on every patch'
	@echo '  parts          build and boot the test kernel at the head of each part'
	@echo '                 of the series (patches/parts) and run the suite there'
	@echo '  compile-touched  compile the C files the series touches (allmodconfig;'
	@echo '                 COMPILE_ARCH=arm64|powerpc|riscv|s390: defconfig + DAX)'
	@echo '  cross          compile-touched for arm64, powerpc, riscv and s390, and'
	@echo '                 build their mm/ and arch/*/mm/ whole'
	@echo '  clean          remove build outputs, keep build/linux'
	@echo '  distclean      remove build/ entirely (export your work first)'
	@echo 'Variables:'
	@echo '  BASELINE=1     use the unpatched base (check, run, all)'
	@echo '  TESTS="a b"    run only these test programs (check, parts)'
	@echo '  PARTS="a b"    check only these parts (parts; default: all)'
	@echo '  JOBS=N         parallel build jobs (default: nproc)'
	@echo '  DEB_CONFIG=    lean (default: the tested config) or debian (distro config + DAX)'
	@echo '  COMPILE_ARCH=  architecture for compile-touched (default x86_64)'
	@echo '  EACH=1         compile-touched at every commit of the series'
	@echo '  EACH_FROM=N    with EACH=1: start at the Nth commit'
	@echo '  BENCH_RUNS=N   boots per kernel for bench (default 2)'
	@echo '  BENCH_ITEMS="a b"  run only the bench items with these prefixes'
	@echo '  LINUX_PKG_VERSION=$(LINUX_PKG_VERSION)  the pinned source; when apt no'
	@echo '                 longer offers it, deps uses the newest 6.12 and says so'

all: deps tree
	@$(SH) $(S)/build-kernel.sh $(FLAVOUR) check

deps:
	@$(SH) $(S)/deps.sh

deps-cross:
	@$(SH) $(S)/deps.sh cross

tree:
	@$(SH) $(S)/prepare-tree.sh

kernel:
	@$(SH) $(S)/build-kernel.sh $(FLAVOUR) check

tests: tree
	@$(MAKE) -s -C tests OUT=$(CURDIR)/$(B)/tests \
		KSFT=$(CURDIR)/$(B)/linux/tools/testing/selftests

# The demo's mapper comes from tools/; 'all' builds only the kernel.
tools: tree
	@$(MAKE) -s -C tests tools OUT=$(CURDIR)/$(B)/tests \
		KSFT=$(CURDIR)/$(B)/linux/tools/testing/selftests

run: all tools
	@$(SH) $(S)/qemu-run.sh -t 600 $(KERNEL) $(B)/run-$(FLAVOUR) \
		$(CURDIR)/$(S)/guest-demo.sh

check: all tests
	@BASELINE=$(BASELINE) $(SH) $(S)/run-suite.sh $(KERNEL) $(B)/check-$(FLAVOUR)

parts: all tests
	@$(SH) $(S)/check-parts.sh $(PARTS)

bench: tree
	@$(SH) $(S)/deps.sh bench
	@$(SH) $(S)/bench.sh

deb: deps tree
	@$(SH) $(S)/build-deb.sh $(DEB_CONFIG)

export:
	@$(SH) $(S)/export-patches.sh

check-patches: tree
	@$(SH) $(S)/check-patches.sh

checkpatch: tree
	@$(SH) $(S)/checkpatch.sh

compile-touched: tree $(if $(filter-out x86_64,$(or $(COMPILE_ARCH),x86_64)),deps-cross,deps)
	@$(SH) $(S)/compile-touched.sh $(or $(COMPILE_ARCH),x86_64)

CROSS_ARCHES := arm64 powerpc riscv s390

cross: tree deps-cross
	@for arch in $(CROSS_ARCHES); do \
		$(SH) $(S)/compile-touched.sh $$arch || exit 1; \
	done

clean:
	rm -rf $(B)/out $(B)/tests $(B)/check-* $(B)/run-* $(B)/logs

distclean:
	rm -rf $(B)

.DEFAULT:
	@echo "make: unknown target '$@'; 'make help' lists the targets" >&2
	@exit 2
