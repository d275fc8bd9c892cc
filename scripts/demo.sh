#!/usr/bin/env bash
# make demo: boot the Bochs test host (VMX + EPT), load ringvm.ko, and launch
# Debian's own vmlinuz with `ringvm run --accel ringvm`, showing the host's
# output and the guest's console on this terminal.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=/dev/null
. <(sed 's/ := /=/' "$top/build/kernels.mk")
extra=$top/build/testhost-extra/demo
bash "$top/selftests/e2e/make-extra.sh" "$extra" "$top/build/userspace/ringvm" \
	"$top/build/kernels/$KABI_61/boot/vmlinuz-$KABI_61"
echo "ringvm demo: booting the Bochs test host (kernel $KABI_61), then a Linux guest on"
echo "ringvm.ko inside it; expect about 5 minutes. Guest console lines start with '# guest:'."
exec bash "$top/selftests/runner/testhost.sh" --host bochs --abi "$KABI_61" \
	--plan "$top/selftests/runner/plans/demo.plan" --name demo --extra "$extra" --follow \
	--timeout 2400
