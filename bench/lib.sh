# Sourced by the Linux-guest benchmarks of make bench (boot_bench.sh,
# virtio_bench.sh; busybox sh in the Bochs host), which set $here (their own
# directory, where tsc_run and this file are) and $work (a scratch directory)
# first. Provides the TAP helper, guest runs under tsc_run, and the parsing of
# tracefs histograms.

tracing=/sys/kernel/tracing
# ringvm run exits the VM on SIGTERM: tsc_run sends it after this many
# (emulated) seconds, SIGKILL ten seconds later.
guest_timeout=1000
# The e2e suite's guest command line (selftests/e2e/boot_debian*.sh).
e2e_cmdline="console=ttyS0 quiet panic=-1 mitigations=off nokaslr"
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

# Runs `ringvm run ARGS...` under tsc_run, the guest's console in
# $work/TAG.out and ringvm's messages in $work/TAG.err (files in tmpfs: no
# pipe runs beside ringvm); tsc_run writes $work/TAG.tsc. Returns ringvm's
# exit status.
run_guest() { # tag ringvm-run-args...
	rg_tag=$1
	shift
	"$here/tsc_run" -t "$guest_timeout" -o "$work/$rg_tag.tsc" -- ringvm run "$@" \
		>"$work/$rg_tag.out" 2>"$work/$rg_tag.err"
}

# Copies a run's console, messages and tsc_run line into the log.
show_guest() { # tag
	sed "s/^/# guest[$1]: /" "$work/$1.out"
	sed "s/^/# ringvm[$1]: /" "$work/$1.err"
	[ -f "$work/$1.tsc" ] && echo "# tsc_run[$1]: $(cat "$work/$1.tsc")"
}

# Turns a "hist" file into "<key> <count>" lines in $2; returns 1 when the
# histogram is missing, dropped entries or does not add up. The key field
# is exit_reason unless $3 names another; an exit_reason is reduced to the
# VMX basic reason.
parse_hist() { # hist-file out-file [key]
	awk -v out="$2" -v key="${3:-exit_reason}" '
		BEGIN { printf "" > out }
		$1 == "{" {
			r = ""; c = ""
			for (i = 2; i < NF; i++) {
				if ($i == key ":") r = $(i + 1)
				if ($i == "hitcount:") c = $(i + 1)
			}
			if (r == "" || c == "") bad = 1
			# Bit 31 and the other flags are not part of the basic reason.
			if (key == "exit_reason") r = r % 65536
			count[r] += c
			sum += c
			next
		}
		$1 == "Hits:" { hits = $2; seen = 1 }
		$1 == "Dropped:" { dropped = $2 }
		END {
			for (r in count) printf "%.0f %.0f\n", r, count[r] > out
			if (!seen || bad || dropped != 0 || sum != hits) {
				printf "# hist: hits %s, sum %s, dropped %s\n", hits, sum, dropped
				exit 1
			}
		}' "$1"
}

# Parses each histogram of run TAG, for "event:key" items (an event may be
# written system/event), from $work/TAG.<event>.hist into $work/TAG.<event>;
# prints those it could not parse and returns 1 then.
parse_hists() { # tag event:key...
	ph_tag=$1 ph_rc=0
	shift
	for h in "$@"; do
		e=${h%:*}
		e=${e##*/}
		if ! parse_hist "$work/$ph_tag.$e.hist" "$work/$ph_tag.$e" "${h#*:}"; then
			sed "s/^/# hist[$ph_tag $e]: /" "$work/$ph_tag.$e.hist"
			ph_rc=1
		fi
	done
	return $ph_rc
}

# VMX basic exit reasons, named as `ringvm stat` prints them
# (userspace/vmm/vm_stats.cpp).
reason_names='0 EXCEPTION_NMI 1 EXTERNAL_INTERRUPT 2 TRIPLE_FAULT 3 INIT_SIGNAL 4 SIPI_SIGNAL
7 INTERRUPT_WINDOW 8 NMI_WINDOW 9 TASK_SWITCH 10 CPUID 11 GETSEC 12 HLT 13 INVD 14 INVLPG
15 RDPMC 16 RDTSC 18 VMCALL 19 VMCLEAR 20 VMLAUNCH 21 VMPTRLD 22 VMPTRST 23 VMREAD
24 VMRESUME 25 VMWRITE 26 VMOFF 27 VMON 28 CR_ACCESS 29 DR_ACCESS 30 IO_INSTRUCTION
31 MSR_READ 32 MSR_WRITE 33 INVALID_STATE 34 MSR_LOAD_FAIL 36 MWAIT_INSTRUCTION
37 MONITOR_TRAP_FLAG 39 MONITOR_INSTRUCTION 40 PAUSE_INSTRUCTION 41 MCE_DURING_VMENTRY
43 TPR_BELOW_THRESHOLD 44 APIC_ACCESS 45 EOI_INDUCED 46 GDTR_IDTR 47 LDTR_TR
48 EPT_VIOLATION 49 EPT_MISCONFIG 50 INVEPT 51 RDTSCP 52 PREEMPTION_TIMER 53 INVVPID
54 WBINVD 55 XSETBV 56 APIC_WRITE 57 RDRAND 58 INVPCID 59 VMFUNC 61 RDSEED 62 PML_FULL
63 XSAVES 64 XRSTORS'
