#!/bin/sh
# e2e suite (Bochs host): Debian's vmlinuz boots with four vCPUs on the
# in-kernel irqchip (--irqchip kernel: local APICs, I/O APIC, ACPI MADT) on
# ringvm.ko and on kvm-intel. The guest starts its application processors
# with INIT/SIPI, counts them (nproc, /proc/cpuinfo), shows an I/O APIC line
# of /proc/interrupts, runs a busy loop pinned to each CPU, and powers off
# through ACPI: ringvm exits 0 and says the S5 write ended it. Needs the tree
# from selftests/e2e/make-extra.sh (testhost --extra); ringvm.ko is loaded
# with the plan's modparam line.
cpus=4
echo "1..11"
rmmod ringvm 2>/dev/null
insmod "$RINGVM_MODDIR/ringvm.ko" $RINGVM_MODPARAMS_ringvm
for m in irqbypass kvm kvm-intel; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || echo "# insmod $m failed"
done
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load
export LD_BIND_NOW=1

n=0
check() {	# check NAME CONDITION-STATUS [detail]
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1${3:+ ($3)}"; fi
}

for accel in ringvm kvm; do
	out=/tmp/smp-$accel.log
	err=/tmp/smp-$accel.err
	timeout 1500 ringvm run --accel $accel --irqchip kernel --cpus $cpus \
		--kernel /e2e/vmlinuz --initrd /e2e/guest.gz --mem 256M --console "$out" \
		--cmdline "console=ttyS0 quiet panic=-1 mitigations=off nokaslr ringvm.e2e=smp" \
		2>"$err"
	rc=$?
	tr -d '\r' <"$out" >"$out.txt"
	grep -a '^RINGVM-E2E' "$out.txt" | sed "s/^/# $accel guest: /"
	sed "s/^/# $accel ringvm: /" "$err"
	grep -q 'the guest powered off (ACPI S5)' "$err"
	check "${accel}_${cpus}_cpus_boot_and_power_off_through_acpi" $(( rc != 0 || $? != 0 )) \
		"exit status $rc"
	np=$(sed -n 's/^RINGVM-E2E-NPROC //p' "$out.txt")
	ci=$(sed -n 's/^RINGVM-E2E-CPUINFO //p' "$out.txt")
	check "${accel}_guest_counts_${cpus}_cpus" $(( np != cpus || ci != cpus )) \
		"nproc '$np', /proc/cpuinfo '$ci'"
	# "N: c0 c1 c2 c3 IO-APIC N-edge name": some CPU took that line's interrupts.
	io=$(sed -n 's/^RINGVM-E2E-IOAPIC *//p' "$out.txt")
	took=$(echo "$io" | awk -v n=$cpus '/IO-APIC/ { s = 0; for (i = 2; i <= n + 1; i++) s += $i; print s }')
	[ "${took:-0}" -gt 0 ]
	check "${accel}_guest_takes_io_apic_interrupts" $? "'$io'"
	# Every CPU ran its pinned loop: one line per CPU, 0 to cpus-1.
	ran=$(sed -n 's/^RINGVM-E2E-RAN-ON //p' "$out.txt" | sort -n | tr '\n' ' ')
	want=$(seq 0 $((cpus - 1)) | tr '\n' ' ')
	[ "$ran" = "$want" ]
	check "${accel}_work_runs_on_every_cpu" $? "ran on: $ran"
	# Each CPU's local APIC timer ticked: no zero in the LOC line.
	loc=$(sed -n 's/^RINGVM-E2E-LOC LOC: *//p' "$out.txt")
	set -- $loc
	zero=0
	i=0
	while [ $i -lt $cpus ]; do
		[ "${1:-0}" -gt 0 ] 2>/dev/null || zero=1
		shift 2>/dev/null
		i=$((i + 1))
	done
	check "${accel}_every_local_apic_timer_ticks" $zero "LOC: $loc"
	rm -f "$out"
done
rmmod kvm-intel kvm irqbypass 2>/dev/null
rmmod ringvm
check ringvm_unloads $?
