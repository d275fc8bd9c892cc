#!/bin/busybox sh
# /init of the nested guest that `ringvm run` boots in the e2e suite: print a
# marker, the RTC's date and the TSC frequency the kernel detected, then
# power off. The suite reads these lines from ringvm's console output.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# virtio-pci, virtio-blk, virtio-net and e1000, in dependency order (a VM
# without a disk or a NIC simply finds no device for them). virtio_net comes
# before e1000, so a virtio NIC is eth0.
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
	failover net_failover virtio_net e1000; do
	insmod /lib/modules/$m.ko || echo "RINGVM-E2E-INSMOD-FAILED $m"
done
echo "RINGVM-E2E-GUEST-UP $(uname -r)"
# The system clock was set from the CMOS RTC at boot; rtc0 reads it now.
echo "RINGVM-E2E-DATE $(date -u '+%Y-%m-%d %H:%M:%S')"
[ -r /sys/class/rtc/rtc0/date ] &&
	echo "RINGVM-E2E-RTC0 $(cat /sys/class/rtc/rtc0/date) $(cat /sys/class/rtc/rtc0/time)"
echo "RINGVM-E2E-TSC $(dmesg | grep -o 'tsc: Detected [0-9.]* MHz.*' | head -n 1)"
echo "RINGVM-E2E-CPUS $(grep -c ^processor /proc/cpuinfo)"
# A disk given with --disk: its checksum, read through virtio-blk, is
# compared with the host's by the suite. With ringvm.diskread=dd on the
# command line (make bench) the guest only reads it, at the least guest cost,
# and prints the bytes read (whole MiB records; "failed" otherwise);
# ringvm.diskread=dd4k reads it in 4 KiB O_DIRECT requests instead.
if [ -b /dev/vda ]; then
	case " $(cat /proc/cmdline) " in
	*" ringvm.diskread=dd "*)
		mib=$(dd if=/dev/vda of=/dev/null bs=1M 2>&1 | sed -n 's/^\([0-9]*\)+0 records out$/\1/p')
		[ -n "$mib" ] && mib=$((mib * 1048576))
		echo "RINGVM-E2E-DISKREAD ${mib:-failed}" ;;
	*" ringvm.diskread=dd4k "*)
		# One 4 KiB request at a time around the page cache: the
		# per-request costs, which 1 MiB reads hide.
		n=$(dd if=/dev/vda of=/dev/null bs=4k iflag=direct 2>&1 |
			sed -n 's/^\([0-9]*\)+0 records out$/\1/p')
		[ -n "$n" ] && n=$((n * 4096))
		echo "RINGVM-E2E-DISKREAD ${n:-failed}" ;;
	*)
		echo "RINGVM-E2E-DISK $(sha256sum /dev/vda | cut -d' ' -f1) $(cat /sys/block/vda/size)"
		echo "RINGVM-E2E-DISK-SERIAL $(cat /sys/block/vda/serial)" ;;
	esac
fi
# A NIC given with --net tap=...,host_ip=10.0.2.1/24: ping the host through it.
if [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	echo "RINGVM-E2E-NET $(cat /sys/class/net/eth0/address)"
	echo "RINGVM-E2E-PING $(ping -c 3 -W 5 10.0.2.1 | grep -o '[0-9]* packets received')"
fi
# A NIC given with --net tap=...,host_ip=10.0.3.1/24,model=e1000: the
# interface the e1000 driver bound, pinged through once its link is up (the
# driver reports carrier from its watchdog, after the first LSC interrupt).
# (make bench's NIC rows give one NIC, which is eth0 whatever its model.)
netbench=$(sed -n 's/.*ringvm\.netbench=\([0-9]*\).*/\1/p' /proc/cmdline)
for i in /sys/class/net/eth*; do
	[ -z "$netbench" ] || break
	[ "$(basename "$(readlink "$i/device/driver")")" = e1000 ] || continue
	n=$(basename "$i")
	ip link set "$n" up
	ip addr add 10.0.3.15/24 dev "$n"
	t=0
	while [ "$(cat "$i/carrier" 2>/dev/null)" != 1 ] && [ $t -lt 100 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	echo "RINGVM-E2E-E1000 $n $(cat "$i/address") carrier=$(cat "$i/carrier" 2>/dev/null)"
	echo "RINGVM-E2E-E1000-PING $(ping -c 3 -W 5 10.0.3.1 | grep -o '[0-9]* packets received')"
	# ringvm.e1000stream=MIB (selftests/e2e/net_checks.sh): a TCP stream
	# each way through this NIC, checked at both ends.
	stream=$(sed -n 's/.*ringvm\.e1000stream=\([0-9]*\).*/\1/p' /proc/cmdline)
	[ -n "$stream" ] || continue
	echo "RINGVM-E2E-E1000-$(netstream send 10.0.3.1 5011 "$stream")"
	echo "RINGVM-E2E-E1000-$(netstream fetch 10.0.3.1 5012)"
done
# ringvm.netbench=MIB (bench/net_bench.sh): with eth0 on the host's
# 10.0.2.1, a MIB MiB TCP stream to the host, one of MIB MiB from it, then
# ringvm.netudp=N (default 2000) 64-byte UDP datagrams to it; the host
# listens on 5001, 5002 and 5003 before the guest starts. Each netstream
# line is printed with the prefix RINGVM-E2E-.
if [ -n "$netbench" ] && [ -e /sys/class/net/eth0 ]; then
	t=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $t -lt 100 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	udp=$(sed -n 's/.*ringvm\.netudp=\([0-9]*\).*/\1/p' /proc/cmdline)
	echo "RINGVM-E2E-$(netstream send 10.0.2.1 5001 "$netbench")"
	echo "RINGVM-E2E-$(netstream fetch 10.0.2.1 5002)"
	echo "RINGVM-E2E-$(netstream send-udp 10.0.2.1 5003 "${udp:-2000}" 64)"
fi
# How each virtio interrupt reached the guest: an MSI-X vector ("PCI-MSI"
# in 6.1's /proc/interrupts) on the in-kernel irqchip, an I/O APIC or XT-PIC
# line otherwise.
grep -E 'virtio[0-9]+-' /proc/interrupts | tr -s ' ' | while read -r l; do
	echo "RINGVM-E2E-VIRTIO-IRQ $l"
done
# ringvm.e2e=smp (smp_boot.sh): the CPUs the guest found, an I/O APIC line
# of /proc/interrupts, and a busy loop pinned to each CPU that reports the
# CPU it ran on; then the ACPI power-off below.
case " $(cat /proc/cmdline) " in
*" ringvm.e2e=smp "*)
	n=$(nproc)
	echo "RINGVM-E2E-NPROC $n"
	echo "RINGVM-E2E-CPUINFO $(grep -c ^processor /proc/cpuinfo)"
	echo "RINGVM-E2E-IOAPIC $(grep -m 1 IO-APIC /proc/interrupts | tr -s ' ')"
	i=0
	while [ $i -lt "$n" ]; do
		# Field 39 of stat: the CPU the reading process (pinned too) ran on.
		taskset -c $i sh -c 'j=0; while [ $j -lt 3000 ]; do j=$((j + 1)); done
			echo "RINGVM-E2E-RAN-ON $(cut -d " " -f 39 /proc/self/stat)"' &
		i=$((i + 1))
	done
	wait
	echo "RINGVM-E2E-LOC $(grep LOC: /proc/interrupts | tr -s ' ')" ;;
esac
# ringvm.e2e=acpi (acpi_stop.sh): the ACPI power button powers the guest
# off, as acpid does it on a distribution. button.ko makes the fixed-feature
# button an input device, evdev gives it a node, and its first event (the
# press) runs poweroff, which ends in ACPI S5.
case " $(cat /proc/cmdline) " in
*" ringvm.e2e=acpi "*)
	insmod /lib/modules/evdev.ko || echo "RINGVM-E2E-INSMOD-FAILED evdev"
	insmod /lib/modules/button.ko || echo "RINGVM-E2E-INSMOD-FAILED button"
	pwr=
	for e in /sys/class/input/event*; do
		[ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] && pwr=/dev/input/${e##*/}
	done
	echo "RINGVM-E2E-ACPI-BUTTON ${pwr:-none}"
	if [ -n "$pwr" ]; then
		(dd if="$pwr" of=/dev/null bs=24 count=1 2>/dev/null
		 echo "RINGVM-E2E-POWER-BUTTON"
		 poweroff -f) &
	fi ;;
esac
# ringvm.e2e=nvme (vfio/sriov_e2e.sh): the guest's own NVMe driver on a
# passed-through SR-IOV VF. Its namespace's block device, a block written
# and read back around the page cache (checksums of both), and how the
# controller interrupts: its /proc/interrupts lines and the MSI mode sysfs
# gives each vector ("msix" or "msi").
case " $(cat /proc/cmdline) " in
*" ringvm.e2e=nvme "*)
	for m in crc64 crc64_rocksoft_generic crct10dif_common crct10dif_generic crc-t10dif \
		crc64-rocksoft t10-pi nvme-core nvme; do
		insmod /lib/modules/$m.ko || echo "RINGVM-E2E-INSMOD-FAILED $m"
	done
	# The driver probes the controller and scans namespaces asynchronously.
	t=0
	until [ -b /dev/nvme0n1 ] || [ $t -ge 600 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	echo "RINGVM-E2E-NVME-DEV $(ls /dev | grep nvme | tr '\n' ' ')"
	for b in /sys/block/nvme*; do
		# nvmeXcYnZ: a multipath head's hidden path, not a disk of its own.
		case ${b##*/} in nvme*c*) continue ;; esac
		[ -f "$b/nsid" ] && echo "RINGVM-E2E-NVME-NS ${b##*/} nsid $(cat "$b/nsid")"
	done
	if [ -b /dev/nvme0n1 ]; then
		mkdir -p /tmp
		dd if=/dev/urandom of=/tmp/blk bs=4096 count=1 2>/dev/null
		dd if=/tmp/blk of=/dev/nvme0n1 bs=4096 count=1 seek=7 conv=fsync 2>/dev/null
		# The read-back comes from the device: BLKFLSBUF drops the block
		# device's cached pages, clean after the fsync.
		blockdev --flushbufs /dev/nvme0n1
		dd if=/dev/nvme0n1 of=/tmp/back bs=4096 count=1 skip=7 2>/dev/null
		echo "RINGVM-E2E-NVME-IO $(sha256sum </tmp/blk | cut -d' ' -f1)" \
			"$(sha256sum </tmp/back | cut -d' ' -f1)"
	fi
	grep nvme /proc/interrupts | tr -s ' ' | while read -r l; do
		echo "RINGVM-E2E-NVME-IRQ $l"
	done
	for f in /sys/bus/pci/drivers/nvme/*/msi_irqs/*; do
		[ -f "$f" ] && echo "RINGVM-E2E-NVME-MSI ${f##*/} $(cat "$f")"
	done
	# What the VF is to the guest, and where the VMM placed BAR 0 (the
	# suite counts the exits there).
	for d in /sys/bus/pci/drivers/nvme/0000:*; do
		echo "RINGVM-E2E-NVME-BAR0 $(head -n 1 "$d/resource" | cut -d' ' -f1)" \
			"$(cat "$d/vendor") $(cat "$d/device")"
	done ;;
esac
# ringvm.e2e=shell (console_test): an interactive shell on the console,
# which is its controlling terminal, so Ctrl-C typed on the host's terminal
# interrupts its foreground job.
case " $(cat /proc/cmdline) " in
*" ringvm.e2e=shell "*)
	PS1='rv-e2e$ ' setsid sh -c 'exec sh -i </dev/ttyS0 >/dev/ttyS0 2>&1' ;;
esac
# ringvm.e2e=ticker (control_socket.sh): a line every 0.2 s until the host
# ends the VM, so pause and resume show on the console.
case " $(cat /proc/cmdline) " in
*" ringvm.e2e=ticker "*)
	i=0
	while :; do
		echo "RINGVM-E2E-TICK $i"
		i=$((i + 1))
		sleep 0.2
	done ;;
esac
echo "RINGVM-E2E-POWEROFF"
poweroff -f
