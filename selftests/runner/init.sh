#!/bin/busybox sh
# /init of the test-host initramfs.
#
# The kernel console is on ttyS0; test output and markers go to ttyS1, so
# kernel messages never interleave with TAP. The runner reads both.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Pseudo-terminals, as on any host (e2e/console_test runs ringvm on one).
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

out=/dev/ttyS1
# Everything the kernel logs from here on reaches the console, warnings included.
dmesg -n 8

exec >"$out" 2>&1
echo "RINGVM-HOST-UP $(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"

inject=$(sed -n 's/.*ringvm\.inject=\([a-z]*\).*/\1/p' /proc/cmdline)
export RINGVM_MODDIR=/lib/modules/ringvm
export RINGVM_HOST_MODDIR=/lib/modules/host
export RINGVM_HOST=$(sed -n 's/.*ringvm\.host=\([a-z]*\).*/\1/p' /proc/cmdline)

case "$inject" in
hang)
	echo "RINGVM-INJECT hang: never finishing"
	while :; do sleep 3600; done
	;;
warn)
	echo "RINGVM-INJECT warn: loading a module that WARNs"
	insmod /lib/modules/inject/warn_on_load.ko
	;;
esac

cd /tests
# "modparam: <module> [name=value ...]" sets the parameters the suites after
# it load that module of ours with (selftests/lib/ringvm_selftest.h); the
# suites' names then carry them, so one suite may run under several.
tag=''
while read -r suite timeout; do
	case "$suite" in ''|'#'*) continue ;; esac
	if [ "$suite" = modparam: ]; then
		set -- $timeout
		mod=$1
		shift
		export "RINGVM_MODPARAMS_$mod=$*"
		tag=''
		[ $# -gt 0 ] && tag="+$mod:$(echo "$*" | tr ' ' ',')"
		echo "RINGVM-MODPARAM $mod $*"
		continue
	fi
	echo "RINGVM-SUITE-BEGIN $suite$tag"
	timeout "${timeout:-600}" "/tests/$suite"
	echo "RINGVM-SUITE-END $suite$tag rc=$?"
done </tests/plan

echo "RINGVM-DMESG-BEGIN"
dmesg
echo "RINGVM-DMESG-END"
echo "RINGVM-DONE"
# Output written just before poweroff can be lost on the emulated UART.
sync
sleep 1
poweroff -f
