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
	local got
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

[ "$fails" = 0 ] && echo "parse.awk: all cases pass" || echo "parse.awk: $fails cases failed"
[ "$fails" = 0 ]
