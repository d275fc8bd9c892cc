#!/bin/sh
# SR-IOV end to end in the QEMU host started with `testhost.sh --devices
# sriov-nvme` (QEMU 7.2's NVMe controller with SR-IOV behind a PCIe root
# port; shared/testhost-notes.md): the host's nvme driver makes two
# VFs, gives them queues and interrupts and brings them online (nvme-cli's
# virt-mgmt), and attaches a private namespace to each. VF1 goes to
# ringvm_vfio and a Linux guest on Debian's kvm-amd (`ringvm run
# --passthrough`), whose own nvme driver finds it, interrupts by MSI-X and
# writes and reads back a block; VF2 stays with the host's nvme driver,
# which writes and reads its namespace while the guest runs. The PF and each
# VF are in IOMMU groups of their own. The guest is the e2e guest
# (selftests/e2e/make-extra.sh, guest-init.sh's ringvm.e2e=nvme), put in the
# host with the CLI by the runner's --extra. Prints TAP.
echo "1..21"
n=0
pass() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }
# Waits, bounded, for a condition the kernel reaches asynchronously.
wait_for() {
	i=0
	until eval "$1" || [ $i -ge "$2" ]; do
		i=$((i + 1))
		sleep 0.1
	done
}

# In dependency order; the CRCs, t10-pi and nvme-auth are only there on the
# kernels that have them as modules (the plan's kmod-opt lines).
for m in crc64 crc64_rocksoft_generic crct10dif_common crct10dif_generic crc-t10dif \
	crc64-rocksoft t10-pi nvme-auth nvme-core nvme ccp irqbypass kvm kvm-amd; do
	case $m in nvme-core | nvme | ccp | irqbypass | kvm | kvm-amd) ;;
	*) [ -f "$RINGVM_HOST_MODDIR/$m.ko" ] || continue ;;
	esac
	insmod "$RINGVM_HOST_MODDIR/$m.ko" || echo "# insmod $m failed"
done
check kvm_available '[ -c /dev/kvm ]'
insmod "$RINGVM_MODDIR/ringvm_vfio.ko" || echo "# insmod ringvm_vfio failed"

pf=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x010802 ] && [ -f "$d/sriov_totalvfs" ] && pf=$d
done
echo "# NVMe PF with SR-IOV at ${pf:-nowhere}"
ctrl=
wait_for '[ -n "$pf" ] && ctrl=$(ls "$pf/nvme" 2>/dev/null) && [ -c "/dev/$ctrl" ]' 300
check pf_bound_to_nvme '[ -n "$ctrl" ] && [ -c "/dev/$ctrl" ] && [ "$(cat "$pf/sriov_totalvfs")" = 2 ]'
ctrl=/dev/$ctrl

# Autoprobe off: the VFs appear with no driver, each to be given to its own.
echo 0 >"$pf/sriov_drivers_autoprobe"
echo 2 >"$pf/sriov_numvfs"
vf1=$(basename "$(readlink "$pf/virtfn0")")
vf2=$(basename "$(readlink "$pf/virtfn1")")
echo "# VF1 $vf1, VF2 $vf2"
check two_vfs_without_drivers '[ -n "$vf1" ] && [ -n "$vf2" ] &&
	[ ! -e "/sys/bus/pci/devices/$vf1/driver" ] && [ ! -e "/sys/bus/pci/devices/$vf2/driver" ]'

# Each secondary controller: one interrupt resource (-r 1), two queues
# (-r 0: admin and one I/O), then online (-a 9).
ok=yes
for c in 1 2; do
	for a in "-r 1 -a 8 -n 1" "-r 0 -a 8 -n 2" "-r 0 -a 9 -n 0"; do
		# shellcheck disable=SC2086
		out=$(nvme virt-mgmt "$ctrl" -c $c $a 2>&1) || { ok=no; echo "# virt-mgmt -c $c $a: $out"; }
	done
done
nvme list-secondary "$ctrl" >/tmp/secondary 2>&1
online=$(grep -c '(Online)' /tmp/secondary)
check vfs_online '[ $ok = yes ] && [ "$online" = 2 ]'
ok=yes
nvme attach-ns "$ctrl" -n 2 -c 1 >/tmp/attach 2>&1 || ok=no
nvme attach-ns "$ctrl" -n 3 -c 2 >>/tmp/attach 2>&1 || ok=no
# QEMU attaches the PF's shared namespace to every controller of the
# subsystem: the VFs' is taken away, so that each sees its own alone.
nvme detach-ns "$ctrl" -n 1 -c 1 >>/tmp/attach 2>&1 || ok=no
nvme detach-ns "$ctrl" -n 1 -c 2 >>/tmp/attach 2>&1 || ok=no
sed 's/^/#   /' /tmp/attach
check private_namespaces_attached '[ $ok = yes ]'

# Isolation: the PF and each VF in a group of its own, nothing else in it.
group() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
alone() { [ "$(ls "/sys/bus/pci/devices/$1/iommu_group/devices")" = "$1" ]; }
gpf=$(group "${pf##*/}") g1=$(group "$vf1") g2=$(group "$vf2")
echo "# IOMMU groups: PF $gpf, VF1 $g1, VF2 $g2"
check iommu_groups_separate '[ -n "$gpf" ] && [ -n "$g1" ] && [ -n "$g2" ] &&
	[ "$gpf" != "$g1" ] && [ "$gpf" != "$g2" ] && [ "$g1" != "$g2" ] &&
	alone "${pf##*/}" && alone "$vf1" && alone "$vf2"'

out=$(ringvm passthrough bind "$vf1" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check vf1_bound_to_ringvm_vfio '[ $rc = 0 ] && [ -c "/dev/ringvm-vfio-dev/$vf1" ]'

blocks() { ls /dev | grep '^nvme[0-9]*n[0-9]*$'; }
blocks >/tmp/blk-before
echo nvme >"/sys/bus/pci/devices/$vf2/driver_override"
echo "$vf2" >/sys/bus/pci/drivers_probe
wait_for '[ -n "$(blocks | grep -vxF -f /tmp/blk-before)" ]' 300
disk=$(blocks | grep -vxF -f /tmp/blk-before | head -n 1)
echo "# VF2's namespace: /dev/${disk:-none}"
check vf2_on_host_nvme '[ "$(basename "$(readlink "/sys/bus/pci/devices/$vf2/driver")")" = nvme ] &&
	[ -n "$disk" ] && [ -b "/dev/$disk" ]'
disk=/dev/$disk

# One block through VF2: random data written, the cache dropped, read back.
vf2_io() {
	dd if=/dev/urandom of=/tmp/vf2-blk bs=4096 count=1 2>/dev/null
	dd if=/tmp/vf2-blk of="$disk" bs=4096 count=1 seek="$1" conv=fsync 2>/dev/null || return 1
	blockdev --flushbufs "$disk"
	dd if="$disk" of=/tmp/vf2-back bs=4096 count=1 skip="$1" 2>/dev/null || return 1
	cmp -s /tmp/vf2-blk /tmp/vf2-back
}
check vf2_io_before_guest 'vf2_io 3'

# VF2 keeps working while the guest has VF1: one block every 2 s (pacing,
# not synchronization), counted, until the guest is done.
rm -f /tmp/guest-done
(
	good=0 bad=0 k=0
	while [ ! -e /tmp/guest-done ] && [ $k -lt 2000 ]; do
		if vf2_io $((16 + k % 1000)); then good=$((good + 1)); else bad=$((bad + 1)); fi
		k=$((k + 1))
		echo "$good $bad" >/tmp/vf2-count
		sleep 2
	done
) &
io=$!

# Where VF1's MSI-X table and PBA are in its BAR 0 (beside the doorbells):
# the capability's offsets, read from the host's view of its config space.
cfg=/sys/bus/pci/devices/$vf1/config
cfg_at() { od -An -tu"$2" -j"$1" -N"$2" "$cfg" | tr -d ' '; }
table='' pba=''
p=$(cfg_at 52 1)
k=0
while [ "${p:-0}" -ge 64 ] && [ $k -lt 48 ]; do
	if [ "$(cfg_at "$p" 1)" = 17 ]; then
		table=$(cfg_at $((p + 4)) 4) pba=$(cfg_at $((p + 8)) 4)
		break
	fi
	p=$(cfg_at $((p + 1)) 1)
	k=$((k + 1))
done
echo "# VF1 MSI-X table ${table:-?} PBA ${pba:-?} (offset | BIR)"

# KVM's own tracepoint tells whether a guest access to the BAR exited.
t=/sys/kernel/tracing
echo >$t/trace
echo 1 >$t/events/kvm/kvm_mmio/enable
start=$(date +%s)
timeout 600 ringvm run --accel kvm --kernel /e2e/vmlinuz --initrd /e2e/guest.gz --mem 256M \
	--passthrough "$vf1" --console /tmp/nvme-guest.log \
	--cmdline "console=ttyS0 quiet panic=-1 mitigations=off nokaslr ringvm.e2e=nvme" \
	>/tmp/nvme-run.out 2>&1
rc=$?
touch /tmp/guest-done
echo "# guest ran $(($(date +%s) - start)) s, ringvm exited $rc"
wait $io
echo 0 >$t/events/kvm/kvm_mmio/enable
# The serial console's lines end in CR LF.
log=/tmp/nvme-guest.txt
tr -d '\r' </tmp/nvme-guest.log >$log
sed 's/^/#   /' $log /tmp/nvme-run.out | grep -v '^#   $'
check guest_powered_off '[ $rc = 0 ] && grep -q "^RINGVM-E2E-POWEROFF" $log'
check guest_nvme_driver_found_vf 'grep -q "^RINGVM-E2E-NVME-DEV .*nvme0n1" $log'
# Its private namespace, and nothing else of the controller's.
check guest_sees_its_namespace_alone '[ "$(grep "^RINGVM-E2E-NVME-NS " $log)" = \
	"RINGVM-E2E-NVME-NS nvme0n1 nsid 2" ]'
sums=$(sed -n 's/^RINGVM-E2E-NVME-IO \([0-9a-f]*\) \([0-9a-f]*\).*/\1 \2/p' $log)
check guest_block_read_back '[ -n "$sums" ] && [ "${sums% *}" = "${sums#* }" ] &&
	[ "${#sums}" = 129 ]'
# MSI-X: the guest's vectors for the controller, and they counted.
msix=$(grep -c '^RINGVM-E2E-NVME-MSI [0-9]* msix$' $log)
irqs=$(grep '^RINGVM-E2E-NVME-IRQ .*PCI-MSI.*nvme0q' $log | awk '{ s += $3 } END { print s + 0 }')
echo "# guest: $msix MSI-X vectors, $irqs NVMe interrupts"
check guest_nvme_uses_msix '[ "$msix" -ge 1 ] && ! grep -q "^RINGVM-E2E-NVME-MSI [0-9]* msi$" $log &&
	[ "$irqs" -gt 0 ]'

# The guest saw the VF as itself: the IDs ringvm_vfio virtualizes (a VF's
# read 0xffff) and its BAR 0, which the VMM maps but for the pages of the
# MSI-X table and PBA. Only those trap: accesses to the registers and
# doorbells below them never exit, the guest's writes to the table do.
ids=$(sed -n 's/^RINGVM-E2E-NVME-BAR0 0x[0-9a-f]* \(0x[0-9a-f]* 0x[0-9a-f]*\)$/\1/p' $log)
bar=$(sed -n 's/^RINGVM-E2E-NVME-BAR0 \(0x[0-9a-f]*\) .*/\1/p' $log)
check guest_sees_vf_ids '[ "$ids" = "0x1b36 0x0010" ]'
low=0 trapped=0
if [ -n "$bar" ] && [ -n "$table" ] && [ -n "$pba" ]; then
	first=$(( ((table & ~7) < (pba & ~7) ? (table & ~7) : (pba & ~7)) & ~0xfff ))
	for g in $(grep kvm_mmio: $t/trace | sed -n 's/.* gpa \(0x[0-9a-f]*\).*/\1/p'); do
		off=$((g - bar))
		[ $off -ge 0 ] && [ $off -lt "$first" ] && low=$((low + 1))
		[ $off -ge "$first" ] && [ $off -lt $((first + 0x2000)) ] && trapped=$((trapped + 1))
	done
fi
echo "# BAR 0 at ${bar:-?}: $low exits below the MSI-X pages, $trapped at them"
check only_msix_pages_trap '[ -n "$bar" ] && [ -n "$table" ] && [ $((table & 7)) = 0 ] &&
	[ "$low" = 0 ] && [ "$trapped" -gt 0 ]'

read -r good bad </tmp/vf2-count
echo "# VF2 during the guest: $good blocks good, $bad bad"
check vf2_io_during_guest '[ "$good" -gt 0 ] && [ "$bad" = 0 ]'
check vf2_io_after_guest 'vf2_io 5'

# The guest's block is on the device: namespace 2, moved from VF1 to the
# PF now (a private namespace has one controller at a time), reads back
# what the guest wrote.
blocks >/tmp/blk-before
nvme detach-ns "$ctrl" -n 2 -c 1 >/tmp/attach-pf 2>&1
nvme attach-ns "$ctrl" -n 2 -c 0 >>/tmp/attach-pf 2>&1
nvme ns-rescan "$ctrl" >>/tmp/attach-pf 2>&1
sed 's/^/#   /' /tmp/attach-pf
wait_for '[ -n "$(blocks | grep -vxF -f /tmp/blk-before)" ]' 300
ns2=$(blocks | grep -vxF -f /tmp/blk-before | head -n 1)
sum=
[ -n "$ns2" ] && [ "$(cat "/sys/block/$ns2/nsid")" = 2 ] &&
	sum=$(dd if="/dev/$ns2" bs=4096 count=1 skip=7 2>/dev/null | sha256sum | cut -d' ' -f1)
echo "# namespace 2 on the PF: /dev/${ns2:-none}, block 7 ${sum:-unread}"
check guest_block_on_the_device '[ -n "$sum" ] && [ "$sum" = "${sums% *}" ]'

out=$(ringvm passthrough unbind "$vf1" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check vf1_unbound '[ $rc = 0 ] && [ ! -e "/sys/bus/pci/devices/$vf1/driver" ]'
echo 0 >"$pf/sriov_numvfs"
check vfs_removed '[ ! -e "/sys/bus/pci/devices/$vf1" ] && [ ! -e "/sys/bus/pci/devices/$vf2" ]'
rmmod ringvm_vfio || echo "# rmmod ringvm_vfio failed"
