# ringvm: top-level build.
#
#   make              install what is missing, build modules, userspace, selftests
#   make check        every test suite; last line "N passed, N failed"
#   make check-unit   userspace GoogleTest suite, checkpatch, runner self-tests
#   make check-qemu   QEMU/TCG host suites on the 6.1 and 6.12 kernels
#   make check-bochs  Bochs (VMX + EPT) host suites on the 6.1 kernel
#   make check-debug  both hosts' suites on a KASAN/lockdep/UBSAN 6.1 kernel
#                     (built once into build/debug-kernel/, ~1 h; not in check)
#   make demo         boot the Bochs host and a Linux guest on ringvm.ko inside it
#   make bench        Bochs: VM-exit costs of ringvm.ko beside kvm-intel
#   make coverage     userspace line coverage (gcov) under the unit tests
#   make KDIR=/lib/modules/$(uname -r)/build modules   build for a real host
#   make install [DESTDIR=...] [PREFIX=/usr/local]  the CLI, man pages, udev rules,
#                     completion; and the modules when KDIR (default: the running
#                     kernel's headers) is there
#   make dkms-build   build the modules through DKMS (kmod/dkms.conf) for 6.12
#
# RINGVM_INJECT=fail|warn|hang makes the test hosts misbehave on purpose, to
# show that the runner catches it (see Documentation/testing.rst).

BUILD := build
MAKEFLAGS += --no-print-directory
TOP := $(CURDIR)

# Goals that never need the test hosts: for them the test-host setup that
# resolving build/kernels.mk does (scripts/deps.sh) is not run.
HOST_ONLY_GOALS := clean distclean deps-build userspace install
ifeq ($(origin KDIR),command line)
HOST_ONLY_GOALS += modules
endif
ifneq ($(filter-out $(HOST_ONLY_GOALS),$(or $(MAKECMDGOALS),all)),)
-include $(BUILD)/kernels.mk
endif

# The test-host kernels (Debian 12's 6.1 and 6.12), resolved by scripts/deps.sh.
KDIR ?= /lib/modules/$(KABI_61)/build
KNAME = $(notdir $(patsubst %/,%,$(dir $(KDIR))))

CMAKE_BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps modules modules-all userspace selftests check check-unit \
	check-qemu check-bochs check-debug demo bench checkpatch coverage clean distclean \
	deps-build install dkms-build

all: modules userspace selftests

$(BUILD)/kernels.mk: scripts/deps.sh
	bash scripts/deps.sh

deps: $(BUILD)/kernels.mk
	@bash scripts/deps.sh

# What building the userspace needs, without the test hosts.
deps-build:
	@bash scripts/deps.sh build

# Building for a real host (KDIR on the command line) needs only its headers;
# otherwise the modules are for the test hosts' kernel, which deps resolves.
ifeq ($(origin KDIR),command line)
MODULES_DEPS :=
else
MODULES_DEPS := deps
endif

# Modules for KDIR; copies of the .ko files land in kmod/*/ for insmod.
modules: $(MODULES_DEPS)
	@bash scripts/build-kmod.sh $(KDIR) $(TOP)/$(BUILD)/kmod/$(KNAME)
	@cp $(BUILD)/kmod/$(KNAME)/vmx/ringvm.ko kmod/vmx/
	@cp $(BUILD)/kmod/$(KNAME)/vhost/ringvm_vhost.ko kmod/vhost/
	@cp $(BUILD)/kmod/$(KNAME)/vfio/ringvm_vfio.ko kmod/vfio/

# Both Debian kernels, -Werror on each: API drift breaks the build the day it lands.
modules-all: deps modules
	@bash scripts/build-kmod.sh /lib/modules/$(KABI_612)/build $(TOP)/$(BUILD)/kmod/$(KABI_612)

userspace: deps-build
	@cmake -S . -B $(BUILD)/userspace -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE) \
		-DRINGVM_WERROR=ON >/dev/null
	@cmake --build $(BUILD)/userspace -j $(JOBS)

selftests: deps
	@$(MAKE) -s -C selftests OUT=$(TOP)/$(BUILD)/selftests \
		KSFT_INC=$(TOP)/$(BUILD)/linux-tools/tools/testing/selftests

check: modules-all userspace selftests
	@bash scripts/check.sh all

check-unit: userspace
	@bash scripts/check.sh unit

check-qemu: modules-all userspace selftests
	@bash scripts/check.sh qemu

check-bochs: modules userspace selftests
	@bash scripts/check.sh bochs

# Our own 6.1 build with the kernel's bug detectors, cached by its config;
# the modules are built against it by check.sh.
check-debug: deps userspace selftests
	@bash scripts/debug-kernel.sh
	@bash scripts/check.sh debug

# A separate instrumented build, so the normal one stays optimised.
coverage: deps
	@cmake -S . -B $(BUILD)/coverage -DCMAKE_BUILD_TYPE=Debug -DRINGVM_COVERAGE=ON \
		-DRINGVM_WERROR=ON >/dev/null
	@cmake --build $(BUILD)/coverage -j $(JOBS) --target ringvm_unit_tests ringvm
	@find $(BUILD)/coverage -name '*.gcda' -delete
	@cd $(BUILD)/coverage && ctest -j $(JOBS) -R '^(unit|cli)\.' >/dev/null || \
		{ echo "coverage: unit tests failed (run make check-unit)"; exit 1; }
	@gcovr -r . --object-directory $(BUILD)/coverage --filter 'userspace/' \
		--exclude 'userspace/tests/' --print-summary -o $(BUILD)/coverage/summary.txt
	@sed -n '/^File/,$$p' $(BUILD)/coverage/summary.txt | sed -n '1,2p;/^userspace/p' | \
		sort -k4 -n | head -n 12
	@tail -n 4 $(BUILD)/coverage/summary.txt

# Fails on any ERROR, as make check does; warnings (the version checks in
# the compat headers) are shown.
checkpatch: deps
	@rc=0; for f in $$(git ls-files 'kmod/*.[ch]'); do \
		out=$$(bash scripts/checkpatch-file.sh $(BUILD)/linux-tools/scripts/checkpatch.pl \
			$$f) || rc=1; \
		printf '%s\n' "$$out" | grep -v '^total:' || true; \
	done; exit $$rc

demo: all
	@bash scripts/demo.sh

# One Bochs boot: the same guest loops on ringvm.ko and on kvm-intel.ko, as a table.
bench: all
	@bash bench/run.sh

PREFIX ?= /usr/local
INSTALL_KDIR = $(if $(filter command line,$(origin KDIR)),$(KDIR),/lib/modules/$(shell uname -r)/build)

# cmake --install for the userspace side, modules_install for the modules
# (into $(DESTDIR)/lib/modules/<kernel>/updates/); DKMS is the way to keep
# them built across kernel updates (Documentation/install.rst).
install: userspace
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)/userspace --prefix $(PREFIX)
	@if [ -d "$(INSTALL_KDIR)" ]; then \
		bash scripts/build-kmod.sh $(INSTALL_KDIR) $(TOP)/$(BUILD)/kmod-install && \
		$(MAKE) -C $(INSTALL_KDIR) M=$(TOP)/$(BUILD)/kmod-install \
			INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates modules_install; \
	else \
		echo "ringvm: no kernel headers at $(INSTALL_KDIR): modules not installed" \
			"(install linux-headers-$$(uname -r), give KDIR=, or use DKMS)"; \
	fi

dkms-build: deps
	@bash scripts/dkms-build.sh $(KABI_612)

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/userspace $(BUILD)/selftests $(BUILD)/testhost \
		$(BUILD)/results $(BUILD)/inject-*
	rm -f kmod/*/*.ko

distclean:
	rm -rf $(BUILD)
	rm -f kmod/*/*.ko
