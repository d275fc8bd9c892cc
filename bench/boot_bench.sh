#!/bin/sh
# make bench, Linux boot (Bochs host, busybox sh): `ringvm run` boots the e2e
# guest (Debian's own vmlinuz + the busybox initramfs of
# selftests/e2e/guest-init.sh, which prints markers and powers off) on
# ringvm.ko and then on Debian's kvm-intel.ko, one after the other in this
# boot, three times on each: one vCPU and four (--cpus 4), both with the
# in-kernel irqchip, and one vCPU with --irqchip user (the PICs in the VMM,
# as before issue 9). For each it counts the VM exits by VMX basic exit
# reason with the same tracefs histogram trigger (ringvm:exit, kvm:kvm_exit;
# both carry the raw reason in exit_reason), the returns to userspace by
# exit reason (ringvm:userspace_exit, kvm:kvm_userspace_exit; HLT is 3 on
# ringvm, KVM_EXIT_HLT 5 on KVM), and times the whole `ringvm run` with the
# host TSC (bench/tsc_run). Prints TAP for the runner, then the one-vCPU
# in-kernel-irqchip rows, ringvm beside kvm-intel,
#   # bench: boot_exits:_<REASON> <ringvm> <kvm-intel>
#   # bench: boot_exits:_total ...
#   # bench: boot:_host_ticks,_whole_run ...
#   # bench: boot:_host_ticks,_CPU_busy ...
# and a section of six columns, the three boots on each hypervisor:
#   # bench-header: Linux_boot,_vCPUs_and_irqchip ringvm_1 kvm_1 ringvm_4 kvm_4 ...
#   # bench: boot_exits:_<REASON> ... (six figures)
#   # bench: HLT_exits_to_userspace ...
#   # bench: exits_to_userspace ...
# ('_' in a row name stands for a space, '__' for '_'; n/a where a run
# failed). Needs the tree run.sh builds (testhost --extra): /usr/bin/ringvm,
# /e2e/vmlinuz, /e2e/guest.gz, tsc_run and lib.sh beside this script.
echo "1..22"

here=$(dirname "$0")
work=/tmp/boot_bench
mkdir -p "$work"
rm -f "$work"/*
# tap, run_guest, show_guest, parse_hist, reason_names; the guest's
# environment and command line.
. "$here/lib.sh"
# A one-vCPU boot takes 2.4 emulated seconds, four vCPUs on ringvm.ko 5.6:
# 60 bounds each boot at under an hour of Bochs (lib.sh's 1000 would not
# end inside the plan's bound).
guest_timeout=60

# The boots of one hypervisor: tag suffix (- for none), vCPUs, irqchip. The
# four-vCPU boot comes last: on kvm-intel it has twice kept the one-CPU
# Bochs host from running anything else (tsc_run's bound never fired; see
# Documentation/bench.rst), and a boot that hangs the host loses only itself.
boots="- 1 kernel _user 1 user _4cpu 4 kernel"

# Boots the guest once, with both histogram triggers on. Leaves
# $work/<tag>.exits, .uexits and .tsc when the run succeeded.
boot_one() { # tag accel exit-event-dir userspace-exit-event-dir cpus irqchip
	tag=$1 accel=$2 ev=$3 uev=$4 cpus=$5 chip=$6

	if ! [ -w "$ev/trigger" ] || ! echo 'hist:keys=exit_reason' >"$ev/trigger"; then
		tap fail "${tag}_guest_boots_and_powers_off" "no histogram trigger on $ev"
		tap fail "${tag}_exit_histogram"
		tap fail "${tag}_userspace_exit_histogram"
		return
	fi
	if ! [ -w "$uev/trigger" ] || ! echo 'hist:keys=reason' >"$uev/trigger"; then
		echo '!hist:keys=exit_reason' >"$ev/trigger"
		tap fail "${tag}_guest_boots_and_powers_off" "no histogram trigger on $uev"
		tap fail "${tag}_exit_histogram"
		tap fail "${tag}_userspace_exit_histogram"
		return
	fi
	run_guest "$tag" --accel "$accel" --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --cpus "$cpus" --irqchip "$chip" --cmdline "$e2e_cmdline"
	rc=$?
	cat "$ev/hist" >"$work/$tag.hist"
	cat "$uev/hist" >"$work/$tag.uhist"
	echo '!hist:keys=exit_reason' >"$ev/trigger"
	echo '!hist:keys=reason' >"$uev/trigger"

	show_guest "$tag"
	out=$work/$tag.out
	seen=$(tr -d '\r' <"$out" | sed -n 's/^RINGVM-E2E-CPUS //p')
	if [ "$rc" = 0 ] && grep -q '^RINGVM-E2E-GUEST-UP' "$out" &&
	   grep -q '^RINGVM-E2E-POWEROFF' "$out" && [ -f "$work/$tag.tsc" ] &&
	   [ "$seen" = "$cpus" ]; then
		tap ok "${tag}_guest_boots_and_powers_off"
	else
		tap fail "${tag}_guest_boots_and_powers_off" "exit status $rc, $seen CPUs"
		rm -f "$work/$tag.tsc"
	fi
	if parse_hist "$work/$tag.hist" "$work/$tag.exits.tmp"; then
		# In the log at once: a later boot that hangs the host loses no figure.
		echo "# exits[$tag]: $(tr '\n' ' ' <"$work/$tag.exits.tmp")"
		tap ok "${tag}_exit_histogram"
		[ -f "$work/$tag.tsc" ] && mv "$work/$tag.exits.tmp" "$work/$tag.exits"
	else
		sed "s/^/# hist[$tag]: /" "$work/$tag.hist"
		tap fail "${tag}_exit_histogram"
	fi
	if parse_hist "$work/$tag.uhist" "$work/$tag.uexits.tmp" reason; then
		echo "# userspace_exits[$tag]: $(tr '\n' ' ' <"$work/$tag.uexits.tmp")"
		tap ok "${tag}_userspace_exit_histogram"
		[ -f "$work/$tag.tsc" ] && mv "$work/$tag.uexits.tmp" "$work/$tag.uexits"
	else
		sed "s/^/# uhist[$tag]: /" "$work/$tag.uhist"
		tap fail "${tag}_userspace_exit_histogram"
	fi
}

# Every boot of one hypervisor, or its failures when it did not load.
boot_all() { # hv loaded exit-event-dir userspace-exit-event-dir
	set -- "$@" $boots
	hv=$1 loaded=$2 ev=$3 uev=$4
	shift 4
	while [ $# -ge 3 ]; do
		tag=$hv
		[ "$1" = - ] || tag=$hv$1
		if [ "$loaded" = yes ]; then
			boot_one "$tag" "$hv" "$ev" "$uev" "$2" "$3"
		else
			tap fail "${tag}_guest_boots_and_powers_off" "not loaded"
			tap fail "${tag}_exit_histogram" "not loaded"
			tap fail "${tag}_userspace_exit_histogram" "not loaded"
		fi
		shift 3
	done
}

# ---- ringvm.ko ----
if insmod "$RINGVM_MODDIR/ringvm.ko" && [ -c /dev/ringvm ]; then
	tap ok ringvm_load
	boot_all ringvm yes "$tracing/events/ringvm/exit" "$tracing/events/ringvm/userspace_exit"
else
	tap fail ringvm_load
	boot_all ringvm no "" ""
fi
if rmmod ringvm; then tap ok ringvm_unload; else tap fail ringvm_unload; fi

# ---- Debian's kvm-intel.ko ----
loaded=yes
for m in irqbypass kvm kvm-intel; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || { echo "# insmod $m failed"; loaded=no; }
done
if [ $loaded = yes ] && [ -c /dev/kvm ]; then
	tap ok kvm_load
	boot_all kvm yes "$tracing/events/kvm/kvm_exit" "$tracing/events/kvm/kvm_userspace_exit"
else
	tap fail kvm_load
	boot_all kvm no "" ""
fi
if rmmod kvm-intel kvm irqbypass; then tap ok kvm_unload; else tap fail kvm_unload; fi

# ---- the rows ----
all_tags="ringvm kvm ringvm_4cpu kvm_4cpu ringvm_user kvm_user"
for tag in $all_tags; do
	for kind in exits uexits tsc; do
		[ -f "$work/$tag.$kind" ] || echo "-" >"$work/$tag.$kind"
	done
done
# Reasons seen in any column, by number; a column that ran but never saw a
# reason has 0 for it, a column whose run failed has n/a everywhere.
# header: the section line to print first (none for the ringvm/kvm-intel
# rows); user: also the rows of exits to userspace.
rows() { # header user tag...
	rw_header=$1 rw_user=$2
	shift 2
	rw_files=
	for tag in "$@"; do
		rw_files="$rw_files $work/$tag.exits $work/$tag.uexits $work/$tag.tsc"
	done
	# shellcheck disable=SC2086
	awk -v names="$reason_names" -v tags="$*" -v header="$rw_header" -v user="$rw_user" '
	function fig(hv, r) {
		if (failed[hv]) return "n/a"
		return sprintf("%.0f", (hv SUBSEP r) in count ? count[hv, r] : 0)
	}
	function tsc(hv, key) {
		return failed[hv] || !((hv SUBSEP key) in t) ? "n/a" : t[hv, key]
	}
	function ufig(hv, r) {
		if (failed[hv] || ufailed[hv]) return "n/a"
		if (r < 0) return sprintf("%.0f", utotal[hv])
		return sprintf("%.0f", (hv SUBSEP r) in ucount ? ucount[hv, r] : 0)
	}
	function row(label, what, key,    line, h) {
		line = "# bench: " label
		for (h = 1; h <= nh; h++) {
			if (what == "exits") line = line " " fig(hvs[h], key)
			else if (what == "total")
				line = line " " (failed[hvs[h]] ? "n/a" : sprintf("%.0f", total[hvs[h]]))
			else if (what == "tsc") line = line " " tsc(hvs[h], key)
			# KVM_EXIT_HLT is 5, RINGVM_EXIT_HLT 3.
			else if (what == "hlt") line = line " " ufig(hvs[h], hvs[h] ~ /^kvm/ ? 5 : 3)
			else line = line " " ufig(hvs[h], -1)
		}
		print line
	}
	BEGIN {
		k = split(names, a, /[ \n]+/)
		for (i = 1; i + 1 <= k; i += 2) name[a[i]] = a[i + 1]
		nh = split(tags, hvs, " ")
	}
	FNR == 1 {
		hv = FILENAME; sub(/.*\//, "", hv)
		kind = hv; sub(/^[^.]*\./, "", kind); sub(/\..*/, "", hv)
	}
	$1 == "-" { if (kind == "uexits") ufailed[hv] = 1; else failed[hv] = 1; next }
	kind == "exits" {
		count[hv, $1] = $2; total[hv] += $2
		if (!($1 in seen)) { seen[$1] = 1; reasons[nr++] = $1 + 0 }
	}
	kind == "uexits" { ucount[hv, $1] = $2; utotal[hv] += $2 }
	kind == "tsc" {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			t[hv, kv[1]] = kv[2]
		}
	}
	END {
		if (header != "") print "# bench-header: " header
		# Insertion sort: a few dozen reasons at most.
		for (i = 1; i < nr; i++)
			for (j = i; j > 0 && reasons[j - 1] > reasons[j]; j--) {
				x = reasons[j]; reasons[j] = reasons[j - 1]; reasons[j - 1] = x
			}
		for (i = 0; i < nr; i++) {
			r = reasons[i]
			nm = (r in name) ? name[r] : "REASON_" r
			gsub(/_/, "__", nm)
			row("boot_exits:_" nm, "exits", r)
		}
		row("boot_exits:_total", "total")
		if (user) {
			row("HLT_exits_to_userspace", "hlt")
			row("exits_to_userspace", "utotal")
		}
		row("boot:_host_ticks,_whole_run", "tsc", "ticks")
		row("boot:_host_ticks,_CPU_busy", "tsc", "busy_ticks")
	}' $rw_files
}

rows "" 0 ringvm kvm
rows "Linux_boot,_vCPUs_and_irqchip ringvm_1 kvm_1 ringvm_4 kvm_4 ringvm_user kvm_user" \
	1 ringvm kvm ringvm_4cpu kvm_4cpu ringvm_user kvm_user

exit $failed
