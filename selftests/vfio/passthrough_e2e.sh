#!/bin/sh
# `ringvm run --passthrough`, end to end in the QEMU host: edu bound to
# ringvm_vfio, a guest on Debian's KVM (kvm-amd on QEMU's emulated SVM with
# nested paging; this host has an IOMMU but no VMX) finds it on its bus and
# drives it: its BAR mapped into the guest, DMA at guest-physical addresses
# through the IOMMU (IOVA = GPA), a DMA past the guest's RAM blocked by the
# IOMMU, INTx up to the guest's PIC and again after the guest's EOI; then
# the host takes the device back under a running guest. The guest is
# selftests/vfio/edu_guest.c; the runner's --extra puts it and the CLI in
# the host. Prints TAP.
#
# INTx runs twice: on the default in-kernel irqchip (KVM's PIC: the broker's
# eventfd is an irqfd with resample, the VMM only unmasks) and on
# --irqchip user (the VMM's PIC raises the line and unmasks at the EOI).
# MSI only on the in-kernel irqchip: the guest programs edu's MSI for its
# local APIC, the broker's eventfd is an irqfd on the guest's MSI route, and
# INTx comes back when the guest turns MSI off. With --irqchip user the
# guest has no local APIC and must not be offered MSI ("--cmdline user"
# tells it which run it is in).
echo "1..19"
n=0
pass() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

guest=/usr/share/ringvm/edu_guest.elf
for m in ccp irqbypass kvm kvm-amd; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || echo "# insmod $m failed"
done
check kvm_available '[ -c /dev/kvm ]'
insmod "$RINGVM_MODDIR/ringvm_vfio.ko" || echo "# insmod ringvm_vfio failed"

edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/}
done
echo "# edu at ${edu:-nowhere}"
out=$(ringvm passthrough bind "$edu" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check bind '[ $rc = 0 ] && [ -c "/dev/ringvm-vfio-dev/$edu" ]'

dmesg -c >/dev/null
# KVM's own tracepoints tell whether a guest access to the BAR exited.
t=/sys/kernel/tracing
echo >$t/trace
echo 1 >$t/events/kvm/kvm_mmio/enable
echo 1 >$t/events/kvm/kvm_pio/enable
# Bounded by its own timeout, so a hung guest still leaves its console.
timeout 600 ringvm run --accel kvm --kernel "$guest" --mem 64M --debug-exit 0xf4 \
	--passthrough "$edu" --console /tmp/edu-guest.log >/tmp/edu-run.out 2>&1
rc=$?
sed 's/^/#   /' /tmp/edu-guest.log /tmp/edu-run.out
# No failed step: the guest writes 0 to the debug-exit port, status (0 << 1) | 1.
check guest_passed '[ $rc = 1 ] && grep -q "^EDU-GUEST DONE 0x0" /tmp/edu-guest.log'
for s in find id live dma fault intx intx_again msi intx_after_msi; do
	check "guest_$s" 'grep -q "^EDU-GUEST $s ok" /tmp/edu-guest.log'
done
echo 0 >$t/events/kvm/kvm_mmio/enable
echo 0 >$t/events/kvm/kvm_pio/enable
pio=$(grep -c kvm_pio: $t/trace)
# Where the guest found the BAR ("EDU-GUEST find ok bar0 0x..."): a BAR
# the VMM placed elsewhere must not make the count below vacuously 0.
bar=$(sed -n 's/^EDU-GUEST find ok bar0 \(0x[0-9a-f]*\).*/\1/p' /tmp/edu-guest.log)
bar_mmio=0
for g in $(grep kvm_mmio: $t/trace | sed -n 's/.* gpa \(0x[0-9a-f]*\).*/\1/p'); do
	[ -n "$bar" ] && [ $((g)) -ge $((bar)) ] && [ $((g)) -lt $((bar + 0x100000)) ] &&
		bar_mmio=$((bar_mmio + 1))
done
echo "# traced: $pio port I/O exits, $bar_mmio MMIO exits at the BAR (${bar:-not found})"
# The BAR is a memory slot over the broker's mmap: register accesses reach
# edu with no exit. The port I/O count shows the tracing itself worked.
check bar_accesses_do_not_exit '[ -n "$bar" ] && [ $((bar)) -ne 0 ] && [ "$pio" -gt 0 ] &&
	[ "$bar_mmio" = 0 ]'
# The guest's DMA past its RAM reached the IOMMU and went no further. The
# fault is reported from the IOMMU's interrupt: wait for it, bounded.
i=0
until dmesg | grep -q "DMAR: \[DMA Write.*fault addr 0x7000000" || [ $i = 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
dmesg | grep DMAR | sed 's/^/#   /'
check iommu_blocked_dma_past_guest_ram \
	'dmesg | grep -q "DMAR: \[DMA Write.*fault addr 0x7000000"'

timeout 600 ringvm run --accel kvm --irqchip user --kernel "$guest" --cmdline user --mem 64M \
	--debug-exit 0xf4 --passthrough "$edu" --console /tmp/edu-user.log >/tmp/edu-user.out 2>&1
rc=$?
sed 's/^/#   /' /tmp/edu-user.log /tmp/edu-user.out
check user_irqchip_guest_passed '[ $rc = 1 ] && grep -q "^EDU-GUEST DONE 0x0" /tmp/edu-user.log'
for s in intx intx_again msi_hidden; do
	check "user_irqchip_guest_$s" 'grep -q "^EDU-GUEST $s ok" /tmp/edu-user.log'
done

# The host wants the device back while a guest holds it: the unbind asks
# ringvm (RINGVM_VFIO_SET_REQ_EVENTFD), which ends the VM with status 8 and
# closes the node, and the unbind then completes.
timeout 600 ringvm run --accel kvm --irqchip user --kernel "$guest" --cmdline "hold user" --mem 64M \
	--passthrough "$edu" --console /tmp/edu-hold.log >/tmp/edu-hold.out 2>&1 &
pid=$!
i=0
until grep -q "^EDU-GUEST DONE" /tmp/edu-hold.log 2>/dev/null || [ $i = 3000 ]; do
	i=$((i + 1))
	sleep 0.1
done
timeout 120 ringvm passthrough unbind "$edu" >/tmp/edu-unbind.out 2>&1
urc=$?
wait $pid
rc=$?
sed 's/^/#   /' /tmp/edu-hold.out /tmp/edu-unbind.out
check unbind_under_a_running_guest_ends_it \
	'[ $urc = 0 ] && [ $rc = 8 ] && grep -q "asked for $edu back" /tmp/edu-hold.out &&
	 [ ! -e "/sys/bus/pci/devices/$edu/driver" ]'

rmmod ringvm_vfio || echo "# rmmod ringvm_vfio failed"
