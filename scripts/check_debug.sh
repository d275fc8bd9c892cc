# shellcheck shell=bash disable=SC2154
# The debug-kernel part of check.sh (sourced by it: uses testhost, collect,
# cli_extra, add). make check-debug runs scripts/debug-kernel.sh first.
#
# Builds our modules against the debug kernel's tree, then boots it in the
# QEMU host (qemu.plan), the Bochs host (bochs.plan without the Linux-guest
# e2e boots, unless RINGVM_DEBUG_E2E=1) and the two-CPU Bochs host
# (bochs-smp.plan: the teardown and cross-CPU races) at the same time. Any detector report
# fails the run through parse.awk; every report's first lines are gathered
# into build/debug-findings.txt.

# Reports worth a finding: the detectors, and the generic oops lines.
debug_report_re='BUG:|WARNING:|Oops|general protection fault|UBSAN:|KASAN:|KFENCE:|ODEBUG:|list_(add|del) corruption|possible (circular|recursive) locking|inconsistent lock state|sleeping function called from invalid context|INFO: task .* blocked'

# debug_findings NAME...: the first lines of each distinct report in the
# hosts' kernel logs (console, then the dmesg dump of tests.log).
debug_findings() {
	local n
	for n in "$@"; do
		awk -v host="$n" -v re="$debug_report_re" '
		FILENAME ~ /tests.log$/ && /^RINGVM-DMESG-BEGIN/ { dm = 1; next }
		FILENAME ~ /tests.log$/ && /^RINGVM-DMESG-END/ { dm = 0; next }
		FILENAME ~ /tests.log$/ && !dm { next }
		FNR == 1 { left = 0 }
		{ sub(/\r$/, "") }
		$0 ~ re && $0 !~ /Call Trace/ {
			k = $0; sub(/^\[ *[0-9.]+\] */, "", k)
			left = 0
			if (k in seen) next
			seen[k] = 1
			print "== " host ": " k
			left = 40
			next
		}
		left > 0 { print "    " $0; left--; next }' "$build/testhost/$n/console.log" "$build/testhost/$n/tests.log"
	done
}

# scale_plan IN OUT: KASAN and lockdep make each suite about three times
# slower, so each suite's bound (600 s when the plan gives none) triples;
# directive lines (kmod:, bin:) stay as they are.
scale_plan() {
	awk 'NF && $1 !~ /^#/ && $1 !~ /:$/ { $2 = 3 * ($2 == "" ? 600 : $2) } { print }' "$1" >"$2"
}

run_debug() {
	# shellcheck source=/dev/null
	. <(sed 's/ := /=/' "$build/debug-kernel.mk")
	local abi=$KABI_DEBUG plans=$build/debug-plans extra e2e
	echo "== modules for $abi"
	bash "$top/scripts/build-kmod.sh" "$KDIR_DEBUG" "$build/kmod/$abi" >"$results/debug-kmod.log" 2>&1 ||
		{ cat "$results/debug-kmod.log"; add debug-modules 0 1; return; }
	extra=$(cli_extra)
	e2e=$extra
	mkdir -p "$plans"
	scale_plan "$top/selftests/runner/plans/qemu.plan" "$plans/qemu.plan"
	if [ "${RINGVM_DEBUG_E2E:-0}" = 1 ]; then
		scale_plan "$top/selftests/runner/plans/bochs.plan" "$plans/bochs.plan"
		scale_plan "$top/selftests/runner/plans/bochs-smp.plan" "$plans/bochs-smp.plan"
		e2e=$build/testhost-extra/e2e-debug
		bash "$top/selftests/e2e/make-extra.sh" "$e2e" "$build/userspace/ringvm" \
			"$build/kernels/$KABI_61/boot/vmlinuz-$KABI_61"
	else
		grep -v '^e2e/' "$top/selftests/runner/plans/bochs.plan" >"$plans/bochs.all"
		scale_plan "$plans/bochs.all" "$plans/bochs.plan"
		grep -v '^e2e/' "$top/selftests/runner/plans/bochs-smp.plan" >"$plans/bochs-smp.all"
		scale_plan "$plans/bochs-smp.all" "$plans/bochs-smp.plan"
	fi
	# KASAN and lockdep slow the hosts down ~3x: the bounds leave room for
	# a loaded machine (measured times in Documentation/testing.rst).
	echo "== Bochs host (VMX + EPT) and QEMU/TCG host, debug kernel $abi"
	# Bochs 2.7 faults on XRSTOR of compacted state with AVX live, which
	# the debug kernel reports as "Bad FPU state" in forked processes
	# with no module of ours loaded: the standard format instead.
	export RINGVM_HOST_CLEARCPUID=xsaves,xsavec
	bash "$top/selftests/runner/testhost.sh" --name "bochs-$abi" --host bochs --abi "$abi" \
		--plan "$plans/bochs.plan" --extra "$e2e" --timeout 5400 >"$results/bochs-debug.out" 2>&1 &
	local bochs=$!
	# The two-CPU debug host has not reached /init with a quiet console
	# in three boots (nothing after 1.6 s of its log, 900 s of its clock),
	# and has in both boots with every message on the console: cause not
	# found yet (Documentation/testing.rst).
	RINGVM_HOST_APPEND="${RINGVM_HOST_APPEND:+$RINGVM_HOST_APPEND }loglevel=8" \
		bash "$top/selftests/runner/testhost.sh" --name "bochs-smp-$abi" --host bochs --abi "$abi" \
		--plan "$plans/bochs-smp.plan" --cpus 2 --extra "$e2e" --timeout 5400 \
		>"$results/bochs-smp-debug.out" 2>&1 &
	local smp=$!
	bash "$top/selftests/runner/testhost.sh" --name "qemu-$abi" --host qemu --abi "$abi" \
		--plan "$plans/qemu.plan" --extra "$extra" --timeout 4800
	collect "qemu-$abi"
	wait "$bochs"
	cat "$results/bochs-debug.out"
	collect "bochs-$abi"
	wait "$smp"
	cat "$results/bochs-smp-debug.out"
	collect "bochs-smp-$abi"

	local f=$build/debug-findings.txt
	debug_findings "qemu-$abi" "bochs-$abi" "bochs-smp-$abi" >"$f"
	if [ -s "$f" ]; then
		echo "== debug-kernel reports ($(grep -c '^== ' "$f"); all in ${f#"$top"/}):"
		grep '^== ' "$f"
	else
		echo "== no debug-kernel reports"
	fi
}
