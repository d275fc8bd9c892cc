#!/usr/bin/env bash
# `ringvm` as a user runs it, on a machine without /dev/kvm or /dev/ringvm:
# every mistake gets an actionable message and the status Documentation/cli.rst
# gives (2 for a usage error, 4 when the host cannot do it), and image errors
# come before any device is opened or the host's network is touched.  The build machine may have a
# /dev/kvm of its own (nested SVM): the backend checks run with an empty /dev
# in a private mount namespace, so they see the machine the test describes.
set -u
cli=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

expect() { # expect STATUS REGEX ARGS...: `ringvm ARGS` exits STATUS saying REGEX
	local want=$1 re=$2
	shift 2
	local out status
	out=$(${wrap:+"${wrap[@]}"} "$cli" "$@" 2>&1)
	status=$?
	echo "\$ ringvm $* (exit $status)"
	echo "$out"
	[ "$status" = "$want" ] || fail "exit status $status, not $want, for: $*"
	grep -Eq -- "$re" <<<"$out" || fail "no message matching '$re' for: $*"
}
run() { local want=$1 re=$2; shift 2; expect "$want" "$re" run "$@"; }

head -c 20000 /dev/zero >"$tmp/zeros"
run 4 'not a bzImage, ELF64 or multiboot image' --kernel "$tmp/zeros"
run 2 'no kernel: give --kernel FILE' --mem 64M
run 2 'unknown unit' --kernel "$tmp/zeros" --mem 12X
# One rule for every size, said the same way for 0 and for 8M.
run 2 "invalid --mem '8M': give a size from 16M to 64T" --kernel "$tmp/zeros" --mem 8M
run 2 "invalid --mem '0': give a size from 16M to 64T" --kernel "$tmp/zeros" --mem 0
run 2 'give an I/O port' --kernel "$tmp/zeros" --debug-exit nope
run 2 'not in \{ringvm,kvm\}|ringvm,kvm' --kernel "$tmp/zeros" --accel xen
run 2 'does not exist|File does not exist' --kernel "$tmp/none"
# Reads are bounded by the guest's memory: an endless device is an error
# naming it and both sizes, not an allocation failure.
run 4 'kernel /dev/zero: more than 16777216 bytes is more than the guest.s memory of 16777216 bytes' \
	--kernel /dev/zero --mem 16M
head -c $((17 << 20)) /dev/zero >"$tmp/huge"
run 4 "kernel $tmp/huge: 17825792 bytes is more than the guest.s memory of 16777216 bytes" \
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
run 4 'guest memory too small for the kernel' --kernel "$tmp/big" --mem 32M
head -c $((40 << 20)) /dev/zero >"$tmp/initrd"
run 4 'initrd .* does not fit' --kernel "$tmp/big" --mem 100M --initrd "$tmp/initrd"
run 2 'invalid VM name' --kernel "$tmp/big" --name ../x
run 2 "invalid --net host_ip '10.0.0.1/99999'" --kernel "$tmp/big" --net tap=a,host_ip=10.0.0.1/99999
run 2 "invalid --disk 'd.img,rw': unknown option 'rw'" --kernel "$tmp/big" --disk d.img,rw
run 2 '--detach needs --console FILE' --kernel "$tmp/big" --detach
run 2 'not in \{auto,on,off,ringvm,linux\}' --kernel "$tmp/big" --vhost maybe

# Order: every image is checked before a device, the hypervisor or the host's
# network is touched. A bad kernel with a disk and a NIC reports the kernel,
# not a missing vhost module or tap privilege, and creates no interface.
run 4 'not a bzImage' --kernel "$tmp/zeros" --disk "$tmp/zeros" --vhost on \
	--net tap=rvtest0,host_ip=10.9.9.1/24
run 4 'not a bzImage' --kernel "$tmp/zeros" --disk "$tmp/zeros" --vhost linux \
	--net tap=rvtest0,host_ip=10.9.9.1/24
run 4 "open the disk image $tmp/nodisk" --kernel "$tmp/big" --mem 128M --disk "$tmp/nodisk" \
	--vhost on --net tap=rvtest0,host_ip=10.9.9.1/24
if [ -e /sys/class/net/rvtest0 ]; then fail "a tap was created for a run that could not start"; fi

# --config: the same settings as JSON; its mistakes name the key.
echo '{"kernel": "'"$tmp/zeros"'", "memory": "1G"}' >"$tmp/bad.json"
run 2 "config $tmp/bad.json: \"memory\" is not a setting of ringvm run" --config "$tmp/bad.json"
echo '{"kernel": "'"$tmp/zeros"'", "mem": "64M"}' >"$tmp/ok.json"
run 4 'not a bzImage' --config "$tmp/ok.json"
run 2 "invalid --mem '8M'" --config "$tmp/ok.json" --mem 8M # the flag wins
echo '{"kernel": "'"$tmp/zeros"'", "accel": "xen"}' >"$tmp/xen.json"
run 2 "invalid accel 'xen'" --config "$tmp/xen.json" # the file's values get the flags' checks

# Verbs and options: usage errors are status 2 and say what is wrong.
expect 2 "unknown verb 'frob'; the verbs are version, run, .*stop" frob
expect 2 'The following argument was not expected|not expected|unknown' list --bogus
expect 2 'give seconds from 0.1 to 3600' stat --interval 0
expect 0 'Usage:|Commands:|Subcommands:' --help
# The control verbs name a VM that does not exist instead of failing vaguely.
wrap=(env XDG_RUNTIME_DIR="$tmp")
expect 4 'no VM has the control socket' stop nosuch
[ "$(XDG_RUNTIME_DIR=$tmp "$cli" list)" = "$(printf 'NAME                PID      STATE     CPUS  MEM     ACCEL   KERNEL')" ] ||
	fail "ringvm list with no VM printed more than its header"
[ "$(XDG_RUNTIME_DIR=$tmp "$cli" ls --json)" = "[]" ] || fail "ringvm ls --json with no VM is not []"
unset wrap
# A loadable image reaches the backend, which says what to load.
wrap=(unshare --mount sh -c 'mount -t tmpfs none /dev && exec "$@"' sh)
"${wrap[@]}" true || fail "cannot hide /dev in a mount namespace (needs root and unshare)"
run 4 'cannot open /dev/kvm' --kernel "$tmp/big" --mem 128M --accel kvm
run 4 'cannot open /dev/ringvm: module not loaded' --kernel "$tmp/big" --mem 128M
echo "ok"
