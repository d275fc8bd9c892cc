#!/usr/bin/env bash
# On a machine without the modules, `ringvm version` must say which module to
# load and exit non-zero.
set -u
cli=$1
out=$("$cli" version 2>&1)
status=$?
echo "$out"
[ "$status" != 0 ] || { echo "FAIL: exit status 0 without modules"; exit 1; }
grep -q '^ringvm: cannot open /dev/ringvm: module not loaded (insmod kmod/vmx/ringvm.ko)$' <<<"$out" ||
	{ echo "FAIL: no actionable message for /dev/ringvm"; exit 1; }
grep -q '^ringvm_vhost: cannot open /dev/ringvm-vhost: module not loaded' <<<"$out" ||
	{ echo "FAIL: no actionable message for /dev/ringvm-vhost"; exit 1; }
