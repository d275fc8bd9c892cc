#!/usr/bin/env bash
# Runs the test suites and ends with one line "N passed, N failed".
#   check.sh all|unit|qemu|bochs|debug
#
# unit : ctest (GoogleTest cases, checkpatch per kernel file, runner self-tests)
# qemu : the QEMU/TCG host, once per Debian kernel (6.1 and 6.12), and
#        again with SR-IOV NVMe VFs (qemu-sriov.plan)
# bochs: the Bochs hosts (VMX + EPT), 6.1: one CPU, and two CPUs beside it
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

total_p=0 total_f=0 total_g=0
add() { # name passed failed guards-or-checks
	echo "$2 $3 $4" >"$results/$1.sum"
	total_p=$((total_p + $2))
	total_f=$((total_f + $3))
	total_g=$((total_g + $4))
}

# Every ctest result is judged by scripts/ctest-verdicts.awk: only "Passed"
# passes; skipped, disabled and not-run tests fail.
run_unit() {
	echo "== userspace and static checks (ctest)"
	local log=$results/ctest.log
	(cd "$build/userspace" && ctest --output-on-failure -j "$(nproc)") >"$log" 2>&1
	awk -f "$top/scripts/ctest-verdicts.awk" "$log" >"$results/ctest.results"
	grep '^FAIL' "$results/ctest.results" || true
	grep -A 30 -E 'The following tests (FAILED|did not run)' "$log" || true
	local p f c
	read -r _ p f c < <(tail -n 1 "$results/ctest.results")
	add unit "$p" "$f" "$c"
	echo "unit: $p passed ($c of them checkpatch and runner checks), $f failed"
}

# testhost NAME HOST ABI PLAN [extra args]
testhost() {
	local name=$1 host=$2 abi=$3 plan=$4
	shift 4
	local args=(--name "$name" --host "$host" --abi "$abi" --plan "$top/selftests/runner/plans/$plan")
	[ -n "$inject" ] && args+=(--inject "$inject")
	# Only this run's summary may be read back.
	rm -f "$build/testhost/$name/summary"
	bash "$top/selftests/runner/testhost.sh" "${args[@]}" "$@"
}

collect() { # name: add the runner's summary, or one failure when it gave none
	local s=$build/testhost/$1/summary p f g
	if [ -f "$s" ] && read -r p f g <"$s" && [ -n "$g" ]; then
		add "$1" "$p" "$f" "$g"
	else
		add "$1" 0 1 0
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
		# One CPU by default: two TCG vCPUs beside the two Bochs hosts on a
		# 2-core machine starve each other (RCU stalls in the nested guest).
		# The vfio race tests (release/remove, INTx against command writes)
		# catch their bugs only with two: RINGVM_QEMU_CPUS=2 make check-qemu.
		testhost "qemu-$abi" qemu "$abi" qemu.plan --extra "$extra" \
			--cpus "${RINGVM_QEMU_CPUS:-1}" --timeout 900
		collect "qemu-$abi"
	done
	# SR-IOV: the QEMU host with an NVMe controller's VFs, one passed to a
	# Linux guest (the e2e guest, Debian's 6.1 vmlinuz). About a minute each.
	extra=$build/testhost-extra/e2e-sriov
	bash "$top/selftests/e2e/make-extra.sh" "$extra" "$build/userspace/ringvm" \
		"$build/kernels/$KABI_61/boot/vmlinuz-$KABI_61"
	for abi in "$KABI_61" "$KABI_612"; do
		echo "== QEMU/TCG host with SR-IOV NVMe, kernel $abi"
		testhost "qemu-sriov-$abi" qemu "$abi" qemu-sriov.plan --devices sriov-nvme \
			--extra "$extra" --timeout 900
		collect "qemu-sriov-$abi"
	done
}

bochs_pids=()
start_bochs() {
	# The e2e suites boot Debian's vmlinuz with the CLI: both go in with the tree.
	local extra=$build/testhost-extra/e2e
	bash "$top/selftests/e2e/make-extra.sh" "$extra" "$build/userspace/ringvm" \
		"$build/kernels/$KABI_61/boot/vmlinuz-$KABI_61" "$build/selftests/e2e/old_bzimage.bin"
	# Two Bochs hosts side by side, one core each: every VMX suite and two
	# nested Linux boots on one CPU; the suites that need two host CPUs
	# (vCPU migration, creation races, the four-vCPU Linux guests) on a
	# two-CPU host. The bounds leave room for a loaded machine.
	testhost "bochs-$KABI_61" bochs "$KABI_61" bochs.plan --extra "$extra" --timeout 3600 \
		>"$results/bochs.out" 2>&1 &
	bochs_pids+=($!)
	testhost "bochs-smp-$KABI_61" bochs "$KABI_61" bochs-smp.plan --cpus 2 --extra "$extra" \
		--timeout 3600 \
		>"$results/bochs-smp.out" 2>&1 &
	bochs_pids+=($!)
}
finish_bochs() {
	local pid
	for pid in "${bochs_pids[@]}"; do
		wait "$pid"
	done
	echo "== Bochs host (VMX + EPT), kernel $KABI_61"
	cat "$results/bochs.out"
	collect "bochs-$KABI_61"
	echo "== Bochs host with two CPUs, kernel $KABI_61"
	cat "$results/bochs-smp.out"
	collect "bochs-smp-$KABI_61"
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

# The headline counts every verdict; the line above it splits the passes into
# product tests and guards/checks (Documentation/testing.rst).
echo "product tests: $((total_p - total_g)) passed; test-host guards, checkpatch and runner checks: $total_g passed"
echo "$total_p passed, $total_f failed"
[ "$total_f" = 0 ]
