#!/usr/bin/env bash
# make bench: builds the benchmark, boots the Bochs host once with
# bench/bochs-bench.plan and prints the table the benchmark logged.
# Exits non-zero when the run failed (a guest misbehaved, the host did not
# finish); the figures themselves are never judged.
#
# RINGVM_BENCH_NAME      the run's name: logs in build/testhost/NAME (bench)
# RINGVM_BENCH_CLI       the ringvm binary the guest boots use
#                        (build/userspace/ringvm)
# RINGVM_SELFTEST_DIR, RINGVM_KMOD_ROOT   a private build, as for the runner
# RINGVM_BENCH_PLAN      another plan (one section: a few of its lines)
# RINGVM_BENCH_NET_CONF  a net_bench.conf for the NIC ladder: rungs=, small=,
#                        large=, udp= (e.g. rungs=vhost-net small=1 large=1)
# RINGVM_BENCH_BLK_CONF  a virtio_bench.conf for the virtio-blk rows: paths=,
#                        read=1m|4k, small=, large= (e.g. paths="on off" read=4k)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
name=${RINGVM_BENCH_NAME:-bench}
cli=${RINGVM_BENCH_CLI:-$build/userspace/ringvm}
# Like the runner's RINGVM_SELFTEST_DIR / RINGVM_KMOD_ROOT: a private build.
tests=${RINGVM_SELFTEST_DIR:-$build/selftests}
# shellcheck source=/dev/null
. <(sed 's/ := /=/' "$build/kernels.mk")

make -s -C "$top/bench" OUT="$tests/bench" || exit 1
[ -x "$cli" ] || { echo "bench: no ringvm binary at $cli (build it, or set RINGVM_BENCH_CLI)"; exit 1; }

# The Linux-guest rows need what the e2e suite needs in the host (the CLI,
# Debian's vmlinuz, the guest initramfs), plus tsc_run and lib.sh beside
# boot_bench.sh and virtio_bench.sh.
extra=$build/testhost-extra/$name
bash "$top/selftests/e2e/make-extra.sh" "$extra" "$cli" \
	"$build/kernels/$KABI_61/boot/vmlinuz-$KABI_61" || exit 1
mkdir -p "$extra/tests/bench"
cp "$tests/bench/tsc_run" "$tests/bench/lib.sh" "$extra/tests/bench/"
[ -z "${RINGVM_BENCH_NET_CONF:-}" ] || cp "$RINGVM_BENCH_NET_CONF" "$extra/tests/bench/net_bench.conf"
[ -z "${RINGVM_BENCH_BLK_CONF:-}" ] || cp "$RINGVM_BENCH_BLK_CONF" "$extra/tests/bench/virtio_bench.conf"
plan=${RINGVM_BENCH_PLAN:-$top/bench/bochs-bench.plan}

echo "== bench: Bochs host, kernel $KABI_61 (boot ~2 min, the exit loops, a Linux guest boot"
echo "   on each hypervisor, ten virtio-blk reads on five paths, then the NIC ladder's"
echo "   twelve boots: 1.5 to 2.5 hours in all)"
bash "$top/selftests/runner/testhost.sh" --host bochs --abi "$KABI_61" \
	--plan "$plan" --name "$name" --extra "$extra" --timeout 20000
out=$build/testhost/$name
echo
awk -f "$top/bench/table.awk" "$out/tests.log" || exit 1
read -r _ failed _ <"$out/summary" 2>/dev/null || failed=1
[ "$failed" = 0 ] || { echo "bench: the run failed (see $out/results.txt)"; exit 1; }
