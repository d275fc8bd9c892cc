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
# /e2e/vmlinuz, /e2e/guest.gz and tsc_run beside this script.
echo "1..8"

here=$(dirname "$0")
tracing=/sys/kernel/tracing
work=/tmp/boot_bench
mkdir -p "$work"
rm -f "$work"/*
# ringvm run exits the VM on SIGTERM: tsc_run sends it after this many
# (emulated) seconds, SIGKILL ten seconds later.
guest_timeout=1000
# The environment the e2e suite gives ringvm in Bochs: Bochs 2.7's XRSTORS
# mishandles the compacted AVX component, so keep glibc off AVX.
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load
export LD_BIND_NOW=1

n=0
failed=0
tap() { # ok|fail name [why]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2${3:+ ($3)}"
		failed=1
	fi
}

# Turns a "hist" file into "<basic reason> <count>" lines in $2; returns 1
# when the histogram is missing, dropped entries or does not add up.
parse_hist() { # hist-file out-file
	awk -v out="$2" '
		$1 == "{" {
			r = ""; c = ""
			for (i = 2; i < NF; i++) {
				if ($i == "exit_reason:") r = $(i + 1)
				if ($i == "hitcount:") c = $(i + 1)
			}
			if (r == "" || c == "") bad = 1
			# Bit 31 and the other flags are not part of the basic reason.
			count[r % 65536] += c
			sum += c
			next
		}
		$1 == "Hits:" { hits = $2; seen = 1 }
		$1 == "Dropped:" { dropped = $2 }
		END {
			for (r in count) printf "%d %.0f\n", r, count[r] > out
			if (!seen || bad || dropped != 0 || sum != hits) {
				printf "# hist: hits %s, sum %s, dropped %s\n", hits, sum, dropped
				exit 1
			}
		}' "$1"
}

# Boots the guest once on one hypervisor, with the histogram trigger on.
# Leaves $work/<hv>.exits and $work/<hv>.tsc when the run succeeded.
boot_one() { # hv accel event-dir
	hv=$1 accel=$2 ev=$3
	out=$work/$hv.out err=$work/$hv.err

	if ! [ -w "$ev/trigger" ] || ! echo 'hist:keys=exit_reason' >"$ev/trigger"; then
		tap fail "${hv}_guest_boots_and_powers_off" "no histogram trigger on $ev"
		tap fail "${hv}_exit_histogram"
		return
	fi
	"$here/tsc_run" -t "$guest_timeout" -o "$work/$hv.tsc" -- \
		ringvm run --accel "$accel" --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --cmdline "console=ttyS0 quiet panic=-1 mitigations=off nokaslr" \
		>"$out" 2>"$err"
	rc=$?
	cat "$ev/hist" >"$work/$hv.hist"
	echo '!hist:keys=exit_reason' >"$ev/trigger"

	sed "s/^/# guest[$hv]: /" "$out"
	sed "s/^/# ringvm[$hv]: /" "$err"
	[ -f "$work/$hv.tsc" ] && echo "# tsc_run[$hv]: $(cat "$work/$hv.tsc")"
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
# Reason names as `ringvm stat` prints them (userspace/vmm/vm_stats.cpp).
names='0 EXCEPTION_NMI 1 EXTERNAL_INTERRUPT 2 TRIPLE_FAULT 3 INIT_SIGNAL 4 SIPI_SIGNAL
7 INTERRUPT_WINDOW 8 NMI_WINDOW 9 TASK_SWITCH 10 CPUID 11 GETSEC 12 HLT 13 INVD 14 INVLPG
15 RDPMC 16 RDTSC 18 VMCALL 19 VMCLEAR 20 VMLAUNCH 21 VMPTRLD 22 VMPTRST 23 VMREAD
24 VMRESUME 25 VMWRITE 26 VMOFF 27 VMON 28 CR_ACCESS 29 DR_ACCESS 30 IO_INSTRUCTION
31 MSR_READ 32 MSR_WRITE 33 INVALID_STATE 34 MSR_LOAD_FAIL 36 MWAIT_INSTRUCTION
37 MONITOR_TRAP_FLAG 39 MONITOR_INSTRUCTION 40 PAUSE_INSTRUCTION 41 MCE_DURING_VMENTRY
43 TPR_BELOW_THRESHOLD 44 APIC_ACCESS 45 EOI_INDUCED 46 GDTR_IDTR 47 LDTR_TR
48 EPT_VIOLATION 49 EPT_MISCONFIG 50 INVEPT 51 RDTSCP 52 PREEMPTION_TIMER 53 INVVPID
54 WBINVD 55 XSETBV 56 APIC_WRITE 57 RDRAND 58 INVPCID 59 VMFUNC 61 RDSEED 62 PML_FULL
63 XSAVES 64 XRSTORS'
for hv in ringvm kvm; do
	[ -f "$work/$hv.exits" ] || echo "-" >"$work/$hv.exits"
	[ -f "$work/$hv.tsc" ] || echo "-" >"$work/$hv.tsc"
done
# Reasons seen on either side, by number; a side that ran but never saw a
# reason has 0 for it, a side that failed has n/a everywhere.
awk -v names="$names" '
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
