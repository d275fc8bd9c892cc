#!/usr/bin/env bash
# Self-test of parse.awk: the runner must fail a host run for every reason it
# claims to, and pass a clean one. Each case is a pair of canned serial logs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

good_suite='RINGVM-SUITE-BEGIN vmx/module_test
TAP version 13
1..2
# Starting 2 tests from 1 test cases.
ok 1 module.api_version
ok 2 module.unknown_ioctl_is_enotty
# PASSED: 2 / 2 tests passed.
RINGVM-SUITE-END vmx/module_test rc=0'
tail_ok='RINGVM-DMESG-BEGIN
[    1.0] ringvm: loaded
RINGVM-DMESG-END
RINGVM-DONE'

# expect NAME "RESULT p f" TESTS_LOG CONSOLE_LOG
expect() {
	local name=$1 want=$2
	printf '%s\n' "$3" >"$tmp/tests.log"
	printf '%s\n' "$4" >"$tmp/console.log"
	got=$(awk -v host=t -v guards_file="$here/guards" -f "$here/parse.awk" "$tmp/tests.log" "$tmp/console.log")
	if [ "$(tail -n 1 <<<"$got")" = "$want" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: want '$want', got:"
		sed 's/^/     /' <<<"$got"
		fails=$((fails + 1))
	fi
}

expect clean-run "RESULT 2 0 0" "RINGVM-HOST-UP 6.1
$good_suite
$tail_ok" "Linux version 6.1"

expect failing-test "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..2
ok 1 a.b
not ok 2 a.c
RINGVM-SUITE-END s/t rc=1
$tail_ok" ""

expect skipped-test-fails "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..2
ok 1 a.b
ok 2 a.c # SKIP no device
RINGVM-SUITE-END s/t rc=0
$tail_ok" ""

expect whole-suite-skipped "RESULT 0 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..0 # SKIP nothing here
RINGVM-SUITE-END s/t rc=4
$tail_ok" ""

expect warn-in-console "RESULT 2 1 0" "RINGVM-HOST-UP 6.1
$good_suite
$tail_ok" "[   2.0] WARNING: CPU: 0 PID: 1 at foo.c:1 init+0x1/0x2"

expect oops-in-dmesg-dump "RESULT 2 1 0" "RINGVM-HOST-UP 6.1
$good_suite
RINGVM-DMESG-BEGIN
[    3.0] BUG: kernel NULL pointer dereference, address: 0000000000000000
RINGVM-DMESG-END
RINGVM-DONE" ""

expect crash-mid-suite "RESULT 1 2 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..3
ok 1 a.b" ""

expect suite-timeout "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..3
ok 1 a.b
RINGVM-SUITE-END s/t rc=124
$tail_ok" ""

expect nonzero-exit-without-failure "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..1
ok 1 a.b
RINGVM-SUITE-END s/t rc=139
$tail_ok" ""

expect never-booted "RESULT 0 1 0" "" "Linux version 6.1
Kernel panic - not syncing: VFS: Unable to mount root fs"

expect hung-after-boot "RESULT 0 1 0" "RINGVM-HOST-UP 6.1
RINGVM-INJECT hang: never finishing" ""

expect test-output-mentioning-bug-is-not-kernel-trouble "RESULT 2 0 0" "RINGVM-HOST-UP 6.1
# checking that BUG: strings in test output are ignored
$good_suite
$tail_ok" ""

expect more-results-than-planned "RESULT 4 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..1
ok 1 a.b
ok 2 a.c
ok 3 a.d
ok 4 a.e
RINGVM-SUITE-END s/t rc=0
$tail_ok" ""

expect lowercase-skip-fails "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..2
ok 1 a.b
ok 2 a.c # skip not today
RINGVM-SUITE-END s/t rc=0
$tail_ok" ""

expect todo-fails "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..2
ok 1 a.b
ok 2 a.c # TODO later
RINGVM-SUITE-END s/t rc=0
$tail_ok" ""

expect kselftest-xfail-fails "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN s/t
1..2
ok 1 a.b
ok 2 a.c # XFAIL expected to fail
RINGVM-SUITE-END s/t rc=0
$tail_ok" ""

expect guards-counted-apart "RESULT 3 0 2" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN vmx/module_test
1..2
ok 1 global.host_has_vmx
ok 2 global.api_version
RINGVM-SUITE-END vmx/module_test rc=0
RINGVM-SUITE-BEGIN e2e/boot_debian.sh
1..1
ok 1 kvm_available (intel)
RINGVM-SUITE-END e2e/boot_debian.sh rc=0
$tail_ok" ""

expect failing-guard-fails "RESULT 1 1 0" "RINGVM-HOST-UP 6.1
RINGVM-SUITE-BEGIN vmx/module_test
1..2
not ok 1 global.host_has_vmx
ok 2 global.api_version
RINGVM-SUITE-END vmx/module_test rc=1
$tail_ok" ""

# The debug kernel's reports (make check-debug), first lines as 6.1 prints
# them: each alone fails the run, and the verdict quotes it.
expect_report() { # NAME LINE
	expect "debug-$1" "RESULT 2 1 0" "RINGVM-HOST-UP 6.1
$good_suite
$tail_ok" "[   4.0] $2"
	if ! grep -qF "kernel reported trouble: [   4.0] $2" <<<"$got"; then
		echo "FAIL debug-$1: the verdict does not quote the report"
		fails=$((fails + 1))
	fi
}
expect_report kasan "BUG: KASAN: slab-out-of-bounds in vq_drain+0x1a/0x80 [ringvm_vhost]"
expect_report kfence "BUG: KFENCE: use-after-free read in rv_dma_unmap+0x2c/0x90 [ringvm_vfio]"
expect_report lockdep-circular "WARNING: possible circular locking dependency detected"
expect_report lockdep-recursive "WARNING: possible recursive locking detected"
expect_report lockdep-inconsistent "WARNING: inconsistent lock state"
expect_report might-sleep "BUG: sleeping function called from invalid context at mm/gup.c:1205"
expect_report ubsan "UBSAN: array-index-out-of-bounds in kmod/vmx/exits.c:42:9"
expect_report list-add "list_add corruption. prev->next should be next (ffff888003a1c0f0), but was 0000000000000000. (prev=ffff888003a1c0f0)."
expect_report list-del "list_del corruption, ffff888003a1c0f0->next is LIST_POISON1 (dead000000000100)"
expect_report odebug "ODEBUG: free active (active state 0) object: ffff888003a1c000 object type: timer_list hint: rv_timer_fn+0x0/0x40 [ringvm]"

expect ubsan-in-dmesg-dump "RESULT 2 1 0" "RINGVM-HOST-UP 6.1
$good_suite
RINGVM-DMESG-BEGIN
[    3.0] UBSAN: array-index-out-of-bounds in kmod/vhost/vq.c:88:12
RINGVM-DMESG-END
RINGVM-DONE" ""

[ "$fails" = 0 ] && echo "parse.awk: all cases pass" || echo "parse.awk: $fails cases failed"
[ "$fails" = 0 ]
