#!/usr/bin/env bash
# make demo: boot the Bochs test host (VMX + EPT), load the modules, and run
# the CLI there, with the host's output on this terminal.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. <(sed 's/ := /=/' "$top/build/kernels.mk")
extra=$top/build/demo-root
rm -rf "$extra"
mkdir -p "$extra/usr/bin"
cp "$top/build/userspace/ringvm" "$extra/usr/bin/"
echo "ringvm demo: booting the Bochs test host (kernel $KABI_61; takes about 2 minutes)"
exec bash "$top/selftests/runner/testhost.sh" --host bochs --abi "$KABI_61" \
	--plan "$top/selftests/runner/plans/demo.plan" --name demo --extra "$extra" --follow
