#!/bin/sh
# e2e suite (Bochs host): `ringvm run --accel ringvm` boots Debian's own vmlinuz
# with a busybox initramfs that prints a marker, the RTC date and the detected
# TSC frequency, and powers off. ringvm must exit 0 with the marker in its
# output. Its virtio NIC is served by Linux's own vhost-net (`--vhost
# linux`; the plan loads vhost.ko and vhost_net.ko), its disk by
# ringvm_vhost (Linux has no vhost-blk). Needs the tree from
# selftests/e2e/make-extra.sh (testhost --extra).
echo "1..13"

# ringvm.ko, as built for this host kernel.
insmod "$RINGVM_MODDIR/ringvm.ko" || echo "# insmod ringvm failed"
if [ -c /dev/ringvm ]; then
	echo "ok 1 ringvm_available"
else
	echo "not ok 1 ringvm_available"
fi

# A disk for the guest: random bytes it reads through virtio-blk and
# checksums; the suite compares that with the host's checksum.
dd if=/dev/urandom of=/tmp/disk.img bs=1M count=4 2>/dev/null
disk_sum=$(sha256sum /tmp/disk.img | cut -d' ' -f1)
# The queue is served by ringvm_vhost; its batch tracepoint proves it.
insmod "$RINGVM_MODDIR/ringvm_vhost.ko" || echo "# insmod ringvm_vhost failed"
T=/sys/kernel/tracing
echo 0 >$T/tracing_on
echo >$T/trace
echo 1 >$T/events/ringvm_vhost/batch/enable
echo 1 >$T/tracing_on
# A NIC on tap rv0, which ringvm creates and addresses (10.0.2.1/24) through
# rtnetlink; the guest pings that address. The NIC's queues go to Linux's
# vhost-net, which needs tun and tap (macvtap's) for its backend.
for m in tun vhost_iotlb vhost tap vhost_net; do
	insmod "$RINGVM_HOST_MODDIR/$m.ko" 2>/dev/null
done
[ -c /dev/vhost-net ] || echo "# no /dev/vhost-net: $(ls "$RINGVM_HOST_MODDIR")"
out=/tmp/e2e.out
err=/tmp/e2e.err
# Bochs 2.7's XRSTORS mishandles the compacted AVX component (the runner
# already hides AVX-512 from the host): a process that leaves AVX state live
# can make the host kernel warn "Bad FPU state". Keep glibc off AVX in ringvm.
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load
export LD_BIND_NOW=1
# The guest's console is shown live; ringvm is bounded by its own timeout so
# a hung guest still leaves its output and a verdict.
# `ringvm stat` while the guest runs: poll until it shows I/O and EPT exits.
rm -f /tmp/stat.seen
(
	for i in $(seq 1 1500); do
		if ringvm stat --json >/tmp/stat.json 2>/dev/null &&
		   grep -q '"IO_INSTRUCTION":[1-9]' /tmp/stat.json &&
		   grep -q '"EPT_VIOLATION":[1-9]' /tmp/stat.json; then
			cp /tmp/stat.json /tmp/stat.seen
			break
		fi
		sleep 1
	done
) &
poller=$!
# vhost-net's worker is a kernel thread named vhost-<owner's pid>, the
# owner being ringvm: seen while the guest runs, with the times it was
# scheduled (field 3 of schedstat), it shows the NIC's queues in vhost-net.
rm -f /tmp/vhost.seen
(
	for i in $(seq 1 1500); do
		for p in $(pidof ringvm); do
			for c in /proc/[0-9]*/comm; do
				[ "$(cat "$c" 2>/dev/null)" = "vhost-$p" ] || continue
				d=${c%/comm}
				echo "${d#/proc/} vhost-$p $(cut -d' ' -f3 "$d/schedstat")" >/tmp/vhost.now
			done
		done
		[ -f /tmp/vhost.now ] && mv /tmp/vhost.now /tmp/vhost.seen
		sleep 1
	done
) &
vhost_poller=$!
. /e2e/net_checks.sh
e1000_stream_listen 1
t0=$(date -u +%s)
{
	timeout 1000 ringvm run --accel ringvm --kernel /e2e/vmlinuz --initrd /e2e/guest.gz \
		--mem 128M --disk /tmp/disk.img,serial=e2e-vhost-disk-7 --vhost linux \
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
kill $poller $vhost_poller 2>/dev/null
wait $poller $vhost_poller 2>/dev/null
if [ -f /tmp/stat.seen ]; then
	echo "# ringvm stat --json: $(cat /tmp/stat.seen)"
	echo "ok 5 ringvm_stat_during_run_counts_io_and_ept"
else
	echo "not ok 5 ringvm_stat_during_run_counts_io_and_ept"
fi
# The guest read the whole disk through virtio-blk, served by ringvm_vhost,
# and got the host's bytes.
if grep -q "^RINGVM-E2E-DISK $disk_sum 8192" "$out"; then
	echo "ok 6 guest_reads_disk_through_virtio_blk_vhost_on"
else
	echo "not ok 6 guest_reads_disk_through_virtio_blk_vhost_on (host sha256 $disk_sum)"
fi
batches=$(grep -c 'batch:' $T/trace)
echo 0 >$T/events/ringvm_vhost/batch/enable
if [ "$batches" -gt 0 ]; then
	echo "ok 7 disk_requests_went_through_ringvm_vhost ($batches batches)"
else
	echo "not ok 7 disk_requests_went_through_ringvm_vhost (no batch events)"
fi
# The guest's pings crossed virtio-net, vhost-net and the tap both ways.
if grep -q "^RINGVM-E2E-PING 3 packets received" "$out"; then
	echo "ok 8 guest_pings_host_through_virtio_net_vhost_linux"
else
	echo "not ok 8 guest_pings_host_through_virtio_net_vhost_linux"
fi
# A second NIC, an emulated 82540EM on tap rv1 (10.0.3.1/24): the guest's
# own e1000 driver pings the host through it.
if grep -q "^RINGVM-E2E-E1000-PING 3 packets received" "$out"; then
	echo "ok 9 guest_pings_host_through_e1000"
else
	echo "not ok 9 guest_pings_host_through_e1000"
fi
# The serial given with --disk reaches the guest through ringvm_vhost's GET_ID.
if tr -d '\r' <"$out" | grep -qx "RINGVM-E2E-DISK-SERIAL e2e-vhost-disk-7"; then
	echo "ok 10 guest_reads_the_disk_serial_through_vhost"
else
	echo "not ok 10 guest_reads_the_disk_serial_through_vhost"
fi
if virtio_irqs_are_msix "$out"; then
	echo "ok 11 virtio_interrupts_are_msix_vectors"
else
	echo "not ok 11 virtio_interrupts_are_msix_vectors"
fi
# vhost-net's worker for ringvm's device ran during the boot: seen last as
# "<tid> vhost-<ringvm pid> <times scheduled>". It is woken only by a kick,
# a tap frame or a call to attach: a guest that sent and received pings
# through it makes it run many times.
seen=$(cat /tmp/vhost.seen 2>/dev/null)
echo "# vhost-net worker: ${seen:-never seen}"
runs=$(echo "$seen" | cut -d' ' -f3)
if [ -n "$seen" ] && [ "${runs:-0}" -ge 6 ]; then
	echo "ok 12 nic_queues_served_by_linux_vhost_net_worker"
else
	echo "not ok 12 nic_queues_served_by_linux_vhost_net_worker"
fi
# 1 MiB each way over TCP through the e1000 (net_checks.sh), checksummed at
# both ends.
if e1000_stream_whole "$out" 1; then
	echo "ok 13 guest_streams_tcp_both_ways_through_e1000"
else
	echo "not ok 13 guest_streams_tcp_both_ways_through_e1000"
fi
rmmod ringvm_vhost 2>/dev/null
rmmod ringvm 2>/dev/null
exit 0
