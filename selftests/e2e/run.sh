#!/usr/bin/env bash
# Boots the Bochs host once and runs the e2e suites of bochs-e2e.plan with
# the CLI, Debian's vmlinuz and the guest initramfs copied in.
#
#   run.sh [RINGVM_BINARY]      (default build/userspace/ringvm)
# Honours RINGVM_KMOD_ROOT / RINGVM_SELFTEST_DIR like testhost.sh; the
# verdict and logs are testhost.sh's (build/testhost/bochs-e2e/).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=/dev/null
. <(sed 's/ := /=/' "$top/build/kernels.mk")
cli=${1:-$top/build/userspace/ringvm}
extra=$top/build/e2e-root
bash "$top/selftests/e2e/make-extra.sh" "$extra" "$cli" \
	"$top/build/kernels/$KABI_61/boot/vmlinuz-$KABI_61" "$top/build/selftests/e2e/old_bzimage.bin"
exec bash "$top/selftests/runner/testhost.sh" --host bochs --abi "$KABI_61" \
	--plan "$top/selftests/e2e/bochs-e2e.plan" --name bochs-e2e --extra "$extra" \
	--timeout 2400
