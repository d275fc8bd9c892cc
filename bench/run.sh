#!/usr/bin/env bash
# make bench: builds the benchmark, boots the Bochs host once with
# bench/bochs-bench.plan and prints the table the benchmark logged.
# Exits non-zero when the run failed (a guest misbehaved, the host did not
# finish); the figures themselves are never judged.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
name=${RINGVM_BENCH_NAME:-bench}
# Like the runner's RINGVM_SELFTEST_DIR / RINGVM_KMOD_ROOT: a private build.
tests=${RINGVM_SELFTEST_DIR:-$build/selftests}
# shellcheck source=/dev/null
. <(sed 's/ := /=/' "$build/kernels.mk")

make -s -C "$top/bench" OUT="$tests/bench" || exit 1
echo "== bench: Bochs host, kernel $KABI_61 (boot ~2 min, then both hypervisors)"
bash "$top/selftests/runner/testhost.sh" --host bochs --abi "$KABI_61" \
	--plan "$top/bench/bochs-bench.plan" --name "$name"
out=$build/testhost/$name
echo
awk -f "$top/bench/table.awk" "$out/tests.log" || exit 1
read -r _ failed <"$out/summary" 2>/dev/null || failed=1
[ "$failed" = 0 ] || { echo "bench: the run failed (see $out/results.txt)"; exit 1; }
