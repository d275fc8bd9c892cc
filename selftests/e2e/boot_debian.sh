#!/bin/sh
# e2e suite (test host): `ringvm run --accel kvm` boots Debian's own vmlinuz
# with a busybox initramfs that prints a marker, the RTC date and the detected
# TSC frequency, and powers off. ringvm must exit 0 with the marker in its
# output. Needs the tree from selftests/e2e/make-extra.sh (testhost --extra).
echo "1..10"

# Debian's KVM: kvm-intel on the Bochs host (VMX), kvm-amd where the host
# emulates SVM instead.
vendor=kvm-intel
grep -qw vmx /proc/cpuinfo || vendor=kvm-amd
[ $vendor = kvm-amd ] && insmod "$RINGVM_HOST_MODDIR/ccp.ko"
for m in irqbypass kvm $vendor; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || echo "# insmod $m failed"
done
if [ -c /dev/kvm ]; then
	echo "ok 1 kvm_available ($vendor)"
else
	echo "not ok 1 kvm_available ($vendor)"
fi

# A disk for the guest: random bytes it reads through virtio-blk and
# checksums; the suite compares that with the host's checksum.
dd if=/dev/urandom of=/tmp/disk.img bs=1M count=4 2>/dev/null
disk_sum=$(sha256sum /tmp/disk.img | cut -d' ' -f1)
# A NIC on tap rv0, which ringvm creates and addresses (10.0.2.1/24) through
# rtnetlink; the guest pings that address.
insmod "$RINGVM_HOST_MODDIR/tun.ko" 2>/dev/null
out=/tmp/e2e.out
err=/tmp/e2e.err
# Bochs 2.7's XRSTORS mishandles the compacted AVX component (the runner
# already hides AVX-512 from the host): a process that leaves AVX state live
# can make the host kernel warn "Bad FPU state". Keep glibc off AVX in ringvm.
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load
export LD_BIND_NOW=1
# The guest's console is shown live; ringvm is bounded by its own timeout so
# a hung guest still leaves its output and a verdict.
# A second NIC, the emulated e1000 on tap rv1: a ping and a 1 MiB TCP
# stream each way through it (net_checks.sh).
. /e2e/net_checks.sh
e1000_stream_listen 1
t0=$(date -u +%s)
{
	timeout 1000 ringvm run --accel kvm --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --disk /tmp/disk.img \
		--net tap=rv0,host_ip=10.0.2.1/24 \
		--net tap=rv1,host_ip=10.0.3.1/24,model=e1000 \
		--cmdline "console=ttyS0 quiet panic=-1 mitigations=off nokaslr ringvm.e1000stream=1" 2>"$err"
	echo $? >/tmp/e2e.rc
} | tee "$out" | sed 's/^/# guest: /'
rc=$(cat /tmp/e2e.rc)
t1=$(date -u +%s)
sed 's/^/# ringvm: /' "$err"
. /e2e/clock_checks.sh

if [ "$rc" = 0 ] && grep -q '^RINGVM-E2E-GUEST-UP' "$out" && grep -q '^RINGVM-E2E-POWEROFF' "$out"; then
	echo "ok 2 debian_kernel_boots_and_powers_off"
else
	echo "not ok 2 debian_kernel_boots_and_powers_off (exit status $rc)"
fi

# The guest's CMOS RTC reads the host's date and time.
if rtc_matches_host "$out" "$t0" "$t1"; then
	echo "ok 3 guest_rtc_date_is_host_date"
else
	echo "not ok 3 guest_rtc_date_is_host_date"
fi

# The guest's TSC frequency is the host's.
if tsc_matches_host "$out"; then
	echo "ok 4 guest_detected_tsc_frequency"
else
	echo "not ok 4 guest_detected_tsc_frequency"
fi
# The guest read the whole disk through virtio-blk and got the host's bytes:
# served by the VMM, which --vhost auto (the default) chose in one line, as
# ringvm_vhost is not loaded here.
if grep -q "^RINGVM-E2E-DISK $disk_sum 8192" "$out" &&
   grep -q '^ringvm: virtio queues served by the VMM (--vhost auto): ' "$err"; then
	echo "ok 5 guest_reads_disk_through_virtio_blk_vhost_auto_without_ringvm_vhost"
else
	echo "not ok 5 guest_reads_disk_through_virtio_blk_vhost_auto_without_ringvm_vhost (host sha256 $disk_sum)"
fi
# The guest's pings crossed virtio-net and the tap both ways.
if grep -q "^RINGVM-E2E-PING 3 packets received" "$out"; then
	echo "ok 6 guest_pings_host_through_virtio_net_served_by_the_vmm"
else
	echo "not ok 6 guest_pings_host_through_virtio_net_served_by_the_vmm"
fi
# No serial= given: the VMM names the disk after its file (Documentation/cli.rst).
if tr -d '\r' <"$out" | grep -qx "RINGVM-E2E-DISK-SERIAL ringvm-disk.img"; then
	echo "ok 7 guest_reads_the_default_disk_serial"
else
	echo "not ok 7 guest_reads_the_default_disk_serial"
fi
if virtio_irqs_are_msix "$out"; then
	echo "ok 8 virtio_interrupts_are_msix_vectors"
else
	echo "not ok 8 virtio_interrupts_are_msix_vectors"
fi
# The emulated 82540EM under kvm: the guest's own e1000 driver pings the
# host and streams through it both ways, every byte arriving.
if grep -q "^RINGVM-E2E-E1000-PING 3 packets received" "$out"; then
	echo "ok 9 guest_pings_host_through_e1000"
else
	echo "not ok 9 guest_pings_host_through_e1000"
fi
if e1000_stream_whole "$out" 1; then
	echo "ok 10 guest_streams_tcp_both_ways_through_e1000"
else
	echo "not ok 10 guest_streams_tcp_both_ways_through_e1000"
fi
rmmod $vendor kvm irqbypass 2>/dev/null
exit 0
