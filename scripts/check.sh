#!/usr/bin/env bash
# Runs the test suites and ends with one line "N passed, N failed".
#   check.sh all|unit|qemu|bochs|debug
#
# unit : ctest (GoogleTest cases, checkpatch per kernel file, runner self-tests)
# qemu : the QEMU/TCG host, once per Debian kernel (6.1 and 6.12)
# bochs: the Bochs host (VMX + EPT), 6.1
# debug: both hosts on the debug kernel of scripts/debug-kernel.sh (KASAN,
#        lockdep, ...); not part of "all" (see check_debug.sh)
#
# The Bochs host boots for minutes on one core; under "all" it starts first,
# in the background, and its verdict is reported after the QEMU hosts'.
# RINGVM_INJECT is passed to the test hosts (runner self-check).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
results=$build/results
# shellcheck source=/dev/null
. <(sed 's/ := /=/' "$build/kernels.mk")
inject=${RINGVM_INJECT:-}
what=${1:-all}

mkdir -p "$results"
rm -f "$results"/*.sum

total_p=0 total_f=0
add() { # name passed failed
	echo "$2 $3" >"$results/$1.sum"
	total_p=$((total_p + $2))
	total_f=$((total_f + $3))
}

run_unit() {
	echo "== userspace and static checks (ctest)"
	local log=$results/ctest.log
	(cd "$build/userspace" && ctest --output-on-failure -j "$(nproc)") >"$log" 2>&1
	grep -E '\*\*\*(Failed|Not Run|Timeout|Exception)' "$log" || true
	grep -A 30 -E 'The following tests (FAILED|did not run)' "$log" || true
	local line total failed
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		tail -n 20 "$log"
		add unit 0 1
		echo "unit: ctest did not run (log: ${log#"$top"/})"
		return
	fi
	total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
	failed=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
	add unit $((total - failed)) "$failed"
	echo "unit: $((total - failed)) passed, $failed failed"
}

# testhost NAME HOST ABI PLAN [extra args]
testhost() {
	local name=$1 host=$2 abi=$3 plan=$4
	shift 4
	local args=(--name "$name" --host "$host" --abi "$abi" --plan "$top/selftests/runner/plans/$plan")
	[ -n "$inject" ] && args+=(--inject "$inject")
	bash "$top/selftests/runner/testhost.sh" "${args[@]}" "$@"
}

collect() { # name: add the runner's summary, or one failure when it gave none
	local s=$build/testhost/$1/summary
	if [ -f "$s" ]; then
		read -r p f <"$s"
		add "$1" "$p" "$f"
	else
		add "$1" 0 1
	fi
}

# The CLI goes into every test host, with the libraries it needs, and the
# bare-metal guest that vfio/passthrough_e2e.sh runs with it.
cli_extra() {
	local dir=$build/testhost-extra/cli
	rm -rf "$dir"
	mkdir -p "$dir/usr/bin" "$dir/usr/share/ringvm"
	cp "$build/userspace/ringvm" "$dir/usr/bin/ringvm"
	cp "$build/selftests/vfio/edu_guest.elf" "$dir/usr/share/ringvm/"
	echo "$dir"
}

run_qemu() {
	local abi extra
	extra=$(cli_extra)
	for abi in "$KABI_61" "$KABI_612"; do
		echo "== QEMU/TCG host, kernel $abi"
		testhost "qemu-$abi" qemu "$abi" qemu.plan --extra "$extra"
		collect "qemu-$abi"
	done
}

bochs_pid=''
start_bochs() {
	# The e2e suites boot Debian's vmlinuz with the CLI: both go in with the tree.
	local extra=$build/testhost-extra/e2e
	bash "$top/selftests/e2e/make-extra.sh" "$extra" "$build/userspace/ringvm" \
		"$build/kernels/$KABI_61/boot/vmlinuz-$KABI_61"
	# Every VMX suite and two nested Linux boots in one boot: ~12 minutes
	# on a 2-core machine; the bound leaves room for a loaded one.
	testhost "bochs-$KABI_61" bochs "$KABI_61" bochs.plan --extra "$extra" --timeout 2700 \
		>"$results/bochs.out" 2>&1 &
	bochs_pid=$!
}
finish_bochs() {
	echo "== Bochs host (VMX + EPT), kernel $KABI_61"
	[ -n "$bochs_pid" ] && wait "$bochs_pid"
	cat "$results/bochs.out"
	collect "bochs-$KABI_61"
}

case "$what" in
unit) run_unit ;;
qemu) run_qemu ;;
bochs) start_bochs; finish_bochs ;;
debug)
	# shellcheck source=scripts/check_debug.sh
	. "$top/scripts/check_debug.sh"
	run_debug
	;;
all)
	start_bochs
	run_unit
	run_qemu
	finish_bochs
	;;
*) echo "check.sh: unknown part $what" >&2; exit 2 ;;
esac

echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
