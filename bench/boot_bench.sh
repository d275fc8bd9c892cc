#!/bin/sh
# make bench, Linux boot (Bochs host, busybox sh): `ringvm run` boots the e2e
# guest (Debian's own vmlinuz + the busybox initramfs of
# selftests/e2e/guest-init.sh, which prints markers and powers off) once on
# ringvm.ko and once on Debian's kvm-intel.ko, one after the other in this
# boot. For each it counts the VM exits by VMX basic exit reason with the
# same tracefs histogram trigger (ringvm:exit, kvm:kvm_exit; both carry the
# raw reason in exit_reason) and times the whole `ringvm run` with the host
# TSC (bench/tsc_run). Prints TAP for the runner, then rows
#   # bench: boot_exits:_<REASON> <ringvm> <kvm-intel>
#   # bench: boot_exits:_total ...
#   # bench: boot:_host_ticks,_whole_run ...
#   # bench: boot:_host_ticks,_CPU_busy ...
# ('_' in a row name stands for a space, '__' for '_'; n/a where a run
# failed). Needs the tree run.sh builds (testhost --extra): /usr/bin/ringvm,
# /e2e/vmlinuz, /e2e/guest.gz, tsc_run and lib.sh beside this script.
echo "1..8"

here=$(dirname "$0")
work=/tmp/boot_bench
mkdir -p "$work"
rm -f "$work"/*
# tap, run_guest, show_guest, parse_hist, reason_names; the guest's
# environment and command line.
. "$here/lib.sh"

# Boots the guest once on one hypervisor, with the histogram trigger on.
# Leaves $work/<hv>.exits and $work/<hv>.tsc when the run succeeded.
boot_one() { # hv accel event-dir
	hv=$1 accel=$2 ev=$3

	if ! [ -w "$ev/trigger" ] || ! echo 'hist:keys=exit_reason' >"$ev/trigger"; then
		tap fail "${hv}_guest_boots_and_powers_off" "no histogram trigger on $ev"
		tap fail "${hv}_exit_histogram"
		return
	fi
	run_guest "$hv" --accel "$accel" --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --cmdline "$e2e_cmdline"
	rc=$?
	cat "$ev/hist" >"$work/$hv.hist"
	echo '!hist:keys=exit_reason' >"$ev/trigger"

	show_guest "$hv"
	out=$work/$hv.out
	if [ "$rc" = 0 ] && grep -q '^RINGVM-E2E-GUEST-UP' "$out" &&
	   grep -q '^RINGVM-E2E-POWEROFF' "$out" && [ -f "$work/$hv.tsc" ]; then
		tap ok "${hv}_guest_boots_and_powers_off"
	else
		tap fail "${hv}_guest_boots_and_powers_off" "exit status $rc"
		rm -f "$work/$hv.tsc"
	fi
	if parse_hist "$work/$hv.hist" "$work/$hv.exits.tmp"; then
		tap ok "${hv}_exit_histogram"
		[ -f "$work/$hv.tsc" ] && mv "$work/$hv.exits.tmp" "$work/$hv.exits"
	else
		sed "s/^/# hist[$hv]: /" "$work/$hv.hist"
		tap fail "${hv}_exit_histogram"
	fi
}

# ---- ringvm.ko ----
if insmod "$RINGVM_MODDIR/ringvm.ko" && [ -c /dev/ringvm ]; then
	tap ok ringvm_load
	boot_one ringvm ringvm "$tracing/events/ringvm/exit"
else
	tap fail ringvm_load
	tap fail ringvm_guest_boots_and_powers_off "not loaded"
	tap fail ringvm_exit_histogram "not loaded"
fi
if rmmod ringvm; then tap ok ringvm_unload; else tap fail ringvm_unload; fi

# ---- Debian's kvm-intel.ko ----
loaded=yes
for m in irqbypass kvm kvm-intel; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || { echo "# insmod $m failed"; loaded=no; }
done
if [ $loaded = yes ] && [ -c /dev/kvm ]; then
	tap ok kvm_load
	boot_one kvm kvm "$tracing/events/kvm/kvm_exit"
else
	tap fail kvm_load
	tap fail kvm_guest_boots_and_powers_off "not loaded"
	tap fail kvm_exit_histogram "not loaded"
fi
if rmmod kvm-intel kvm irqbypass; then tap ok kvm_unload; else tap fail kvm_unload; fi

# ---- the rows ----
for hv in ringvm kvm; do
	[ -f "$work/$hv.exits" ] || echo "-" >"$work/$hv.exits"
	[ -f "$work/$hv.tsc" ] || echo "-" >"$work/$hv.tsc"
done
# Reasons seen on either side, by number; a side that ran but never saw a
# reason has 0 for it, a side that failed has n/a everywhere.
awk -v names="$reason_names" '
	function fig(hv, r) {
		if (failed[hv]) return "n/a"
		return sprintf("%.0f", (hv SUBSEP r) in count ? count[hv, r] : 0)
	}
	function tsc(hv, key) {
		return failed[hv] || !((hv SUBSEP key) in t) ? "n/a" : t[hv, key]
	}
	BEGIN {
		k = split(names, a, /[ \n]+/)
		for (i = 1; i + 1 <= k; i += 2) name[a[i]] = a[i + 1]
		hvs[1] = "ringvm"; hvs[2] = "kvm"
	}
	FNR == 1 {
		hv = FILENAME; sub(/.*\//, "", hv)
		kind = hv; sub(/^[^.]*\./, "", kind); sub(/\..*/, "", hv)
	}
	$1 == "-" { failed[hv] = 1; next }
	kind == "exits" {
		count[hv, $1] = $2; total[hv] += $2
		if (!($1 in seen)) { seen[$1] = 1; reasons[nr++] = $1 + 0 }
	}
	kind == "tsc" {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			t[hv, kv[1]] = kv[2]
		}
	}
	END {
		# Insertion sort: a few dozen reasons at most.
		for (i = 1; i < nr; i++)
			for (j = i; j > 0 && reasons[j - 1] > reasons[j]; j--) {
				x = reasons[j]; reasons[j] = reasons[j - 1]; reasons[j - 1] = x
			}
		for (i = 0; i < nr; i++) {
			r = reasons[i]
			nm = (r in name) ? name[r] : "REASON_" r
			gsub(/_/, "__", nm)
			print "# bench: boot_exits:_" nm, fig("ringvm", r), fig("kvm", r)
		}
		for (h = 1; h <= 2; h++)
			tot[h] = failed[hvs[h]] ? "n/a" : sprintf("%.0f", total[hvs[h]])
		print "# bench: boot_exits:_total", tot[1], tot[2]
		print "# bench: boot:_host_ticks,_whole_run", tsc("ringvm", "ticks"), tsc("kvm", "ticks")
		print "# bench: boot:_host_ticks,_CPU_busy", tsc("ringvm", "busy_ticks"), tsc("kvm", "busy_ticks")
	}' "$work/ringvm.exits" "$work/kvm.exits" "$work/ringvm.tsc" "$work/kvm.tsc"

exit $failed
