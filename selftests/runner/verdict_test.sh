#!/usr/bin/env bash
# Self-test of the verdicts around the test hosts: a host that did not run,
# a checkpatch that did not finish and a ctest test that did not pass must
# each count as failed. (parse_test.sh covers the TAP side.)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

result() { # NAME CONDITION-STATUS DETAIL
	if [ "$2" = 0 ]; then
		echo "ok   $1"
	else
		echo "FAIL $1: $3"
		fails=$((fails + 1))
	fi
}

# ---- a test host that cannot start is failed, whatever an earlier run left ----
sb=$tmp/tree
hosts="qemu-fake61 qemu-fake612 qemu-sriov-fake61 qemu-sriov-fake612"
mkdir -p "$sb/scripts" "$sb/selftests/runner/plans" "$sb/selftests/e2e" "$sb/build/userspace" \
	"$sb/build/selftests/vfio"
for h in $hosts; do
	mkdir -p "$sb/build/testhost/$h"
done
cp "$top/scripts/check.sh" "$top/scripts/ctest-verdicts.awk" "$sb/scripts/"
cp "$here/testhost.sh" "$here/parse.awk" "$here/guards" "$sb/selftests/runner/"
cp "$here/plans/qemu.plan" "$here/plans/qemu-sriov.plan" "$sb/selftests/runner/plans/"
cp "$here/../e2e/make-extra.sh" "$here/../e2e/guest-init.sh" "$sb/selftests/e2e/"
printf 'KABI_61 := fake61\nKABI_612 := fake612\n' >"$sb/build/kernels.mk"
touch "$sb/build/userspace/ringvm" "$sb/build/selftests/vfio/edu_guest.elf"
# What a green run of the day before left behind.
for h in $hosts; do
	echo "198 0 0" >"$sb/build/testhost/$h/summary"
done
out=$(bash "$sb/scripts/check.sh" qemu 2>&1)
rc=$?
last=$(tail -n 1 <<<"$out")
[ $rc != 0 ] && [ "$last" = "0 passed, 4 failed" ]
result stale-summary-without-kernels $? "check.sh qemu exited $rc, last line '$last'"

bash "$sb/selftests/runner/testhost.sh" --host qemu --abi fake61 --name qemu-fake61 \
	--plan "$sb/selftests/runner/plans/qemu.plan" >/dev/null 2>&1
rc=$?
[ $rc != 0 ] && [ "$(cat "$sb/build/testhost/qemu-fake61/summary")" = "0 1 0" ]
result testhost-leaves-a-failed-summary-when-it-dies $? \
	"exit $rc, summary '$(cat "$sb/build/testhost/qemu-fake61/summary" 2>&1)'"

# ---- checkpatch: only a run that finished can pass ----
cpf=$top/scripts/checkpatch-file.sh
printf '// SPDX-License-Identifier: GPL-2.0\nint f(void);\n' >"$tmp/clean.c"
printf 'print "total: 0 errors, 0 warnings, 2 lines checked\\n"; exit 0;\n' >"$tmp/clean.pl"
printf 'die "Cannot find spelling.txt\\n";\n' >"$tmp/dies.pl"
printf 'print "ERROR: something\\n"; exit 1;\n' >"$tmp/cut.pl"
printf 'print "total: 0 errors, 0 warnings, 2 lines checked\\n"; exit 2;\n' >"$tmp/badrc.pl"
printf 'print "total: 1 errors, 0 warnings, 2 lines checked\\n"; exit 1;\n' >"$tmp/error.pl"
bash "$cpf" "$tmp/clean.pl" "$tmp/clean.c" >/dev/null 2>&1
result checkpatch-clean-run-passes $? "a clean, finished run failed"
for bad in dies cut badrc error; do
	bash "$cpf" "$tmp/$bad.pl" "$tmp/clean.c" >/dev/null 2>&1
	[ $? != 0 ]
	result "checkpatch-$bad-fails" $? "checkpatch-file.sh passed a $bad run"
done
cp=$top/build/linux-tools/scripts/checkpatch.pl
if [ -f "$cp" ]; then
	bash "$cpf" "$cp" "$tmp/clean.c" >/dev/null 2>&1
	result checkpatch-real-clean-file-passes $? "the real checkpatch failed a clean file"
	printf 'int x(void){\nreturn 1;}\n' >"$tmp/bad.c"
	bash "$cpf" "$cp" "$tmp/bad.c" >/dev/null 2>&1
	[ $? != 0 ]
	result checkpatch-real-error-fails $? "the real checkpatch passed a file with errors"
else
	result checkpatch-present 1 "no $cp (run scripts/deps.sh)"
fi

# ---- ctest: skipped, disabled and not-run tests are failures ----
ct=$tmp/ctest
mkdir -p "$ct"
cat >"$ct/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(verdicts NONE)
enable_testing()
add_test(NAME unit.passes COMMAND true)
add_test(NAME checkpatch.passes COMMAND true)
add_test(NAME unit.gtest_skip COMMAND sh -c "echo '[  SKIPPED ] x'")
set_tests_properties(unit.gtest_skip PROPERTIES SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
add_test(NAME unit.skip_code COMMAND sh -c "exit 77")
set_tests_properties(unit.skip_code PROPERTIES SKIP_RETURN_CODE 77)
add_test(NAME unit.disabled COMMAND true)
set_tests_properties(unit.disabled PROPERTIES DISABLED TRUE)
add_test(NAME unit.not_run COMMAND /nonexistent/test)
add_test(NAME unit.fails COMMAND false)
CMAKE
# check.sh unit runs ctest in build/userspace: give it the sample project there.
rm -rf "$sb/build/userspace"
if cmake -S "$ct" -B "$sb/build/userspace" >/dev/null 2>&1; then
	out=$(bash "$sb/scripts/check.sh" unit 2>&1)
	rc=$?
	last=$(tail -n 1 <<<"$out")
	[ $rc != 0 ] && [ "$last" = "2 passed, 5 failed" ] &&
		grep -q "^product tests: 1 passed; .*: 1 passed$" <<<"$out"
	result ctest-skipped-disabled-not-run-fail $? "check.sh unit exited $rc: $(tail -n 2 <<<"$out")"
	log=$sb/build/results/ctest.log
	head -n 5 "$log" >"$ct/cut"
	got=$(awk -f "$top/scripts/ctest-verdicts.awk" "$ct/cut" | tail -n 1)
	[ "$(cut -d' ' -f3 <<<"$got")" -ge 5 ]
	result ctest-cut-off-log-fails $? "a log cut after its first results gave '$got'"
	got=$(awk -f "$top/scripts/ctest-verdicts.awk" /dev/null | tail -n 1)
	[ "$got" = "RESULT 0 1 0" ]
	result ctest-empty-log-fails $? "an empty log gave '$got'"
else
	result ctest-project-configures 1 "cmake could not configure the sample project"
fi

[ "$fails" = 0 ] && echo "verdicts: all cases pass" || echo "verdicts: $fails cases failed"
[ "$fails" = 0 ]
