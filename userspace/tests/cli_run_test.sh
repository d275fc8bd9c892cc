#!/usr/bin/env bash
# `ringvm run` as a user runs it, on a machine without /dev/kvm or /dev/ringvm:
# every mistake gets an actionable message and a non-zero status, and image
# errors come before any device is opened.  The build machine may have a
# /dev/kvm of its own (nested SVM): the backend checks run with an empty /dev
# in a private mount namespace, so they see the machine the test describes.
set -u
cli=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

expect() { # expect STATUS_NONZERO REGEX ARGS...
	local re=$1
	shift
	local out status
	out=$(${wrap:+"${wrap[@]}"} "$cli" run "$@" 2>&1)
	status=$?
	echo "\$ ringvm run $*"
	echo "$out"
	[ "$status" != 0 ] || fail "exit status 0 for: $*"
	grep -Eq "$re" <<<"$out" || fail "no message matching '$re' for: $*"
}

head -c 20000 /dev/zero >"$tmp/zeros"
expect 'not a bzImage, ELF64 or multiboot image' --kernel "$tmp/zeros"
expect 'kernel.*is required|--kernel is required' --mem 64M
expect 'unknown unit' --kernel "$tmp/zeros" --mem 12X
expect 'too small' --kernel "$tmp/zeros" --mem 8M
expect 'give an I/O port' --kernel "$tmp/zeros" --debug-exit nope
expect 'not in \{ringvm,kvm\}|ringvm,kvm' --kernel "$tmp/zeros" --accel xen
expect 'does not exist|File does not exist' --kernel "$tmp/none"
# Reads are bounded by the guest's memory: an endless device is an error
# naming it and both sizes, not an allocation failure.
expect 'kernel /dev/zero: more than 16777216 bytes is more than the guest.s memory of 16777216 bytes' \
	--kernel /dev/zero --mem 16M
head -c $((17 << 20)) /dev/zero >"$tmp/huge"
expect "kernel $tmp/huge: 17825792 bytes is more than the guest.s memory of 16777216 bytes" \
	--kernel "$tmp/huge" --mem 16M

# A valid-looking bzImage header with a kernel too big for the memory given.
python3 - "$tmp/big" <<'PY'
import struct, sys
b = bytearray(5 * 512 + 4096)
b[0x1f1] = 4
struct.pack_into('<H', b, 0x1fe, 0xaa55)
b[0x201] = 0x6a
b[0x202:0x206] = b'HdrS'
struct.pack_into('<H', b, 0x206, 0x020f)
b[0x211] = 1
struct.pack_into('<I', b, 0x22c, 0x7fffffff)
struct.pack_into('<H', b, 0x236, 1)
struct.pack_into('<I', b, 0x238, 2047)
struct.pack_into('<I', b, 0x260, 64 << 20)
open(sys.argv[1], 'wb').write(b)
PY
expect 'guest memory too small for the kernel' --kernel "$tmp/big" --mem 32M
head -c $((40 << 20)) /dev/zero >"$tmp/initrd"
expect 'initrd .* does not fit' --kernel "$tmp/big" --mem 100M --initrd "$tmp/initrd"
expect 'invalid VM name' --kernel "$tmp/big" --name ../x
# The control verbs name a VM that does not exist instead of failing vaguely.
out=$(XDG_RUNTIME_DIR=$tmp "$cli" stop nosuch 2>&1) && fail "ringvm stop of a missing VM exited 0"
echo "$out"
grep -q 'no VM has the control socket' <<<"$out" || fail "ringvm stop: no useful message"
[ "$(XDG_RUNTIME_DIR=$tmp "$cli" list)" = "$(printf 'NAME                PID      STATE     KERNEL')" ] ||
	fail "ringvm list with no VM printed more than its header"
# A loadable image reaches the backend, which says what to load.
wrap=(unshare --mount sh -c 'mount -t tmpfs none /dev && exec "$@"' sh)
"${wrap[@]}" true || fail "cannot hide /dev in a mount namespace (needs root and unshare)"
expect 'cannot open /dev/kvm' --kernel "$tmp/big" --mem 128M --accel kvm
expect 'cannot open /dev/ringvm: module not loaded' --kernel "$tmp/big" --mem 128M
echo "ok"
