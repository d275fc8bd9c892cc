#!/bin/sh
# `ringvm passthrough` inside the QEMU host, against the real PCI core:
# the runner's --extra puts the CLI at /usr/bin/ringvm. Prints TAP. Failures
# exit 4 (Documentation/cli.rst).
echo "1..7"
n=0
pass() { n=$((n + 1)); echo "ok $n $1"; }
fail() { n=$((n + 1)); echo "not ok $n $1"; }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] && edu=${d##*/}
done
echo "# edu at ${edu:-nowhere}"
short=${edu#0000:}

out=$(ringvm passthrough bind "$edu" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check bind_without_module_says_what_to_load \
	'[ $rc = 4 ] && echo "$out" | grep -q "ringvm_vfio is not loaded (insmod "'

insmod "$RINGVM_MODDIR/ringvm_vfio.ko" || echo "# insmod ringvm_vfio failed"

out=$(ringvm passthrough bind 0000:7f:1f.7 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check unknown_device_is_named '[ $rc = 4 ] && echo "$out" | grep -q "no PCI device 0000:7f:1f.7"'

out=$(ringvm passthrough bind "$short" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check bind_short_address \
	'[ $rc = 0 ] && [ -c "/dev/ringvm-vfio-dev/$edu" ] &&
	 [ "$(basename "$(readlink "/sys/bus/pci/devices/$edu/driver")")" = ringvm-vfio ]'

out=$(ringvm passthrough list 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check list_shows_node '[ $rc = 0 ] && echo "$out" | grep -q "^$edu  *1234:11e8 .*ringvm-vfio  */dev/ringvm-vfio-dev/$edu"'

# The initramfs has no users: make one to run the CLI without root.
mkdir -p /etc
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
cli=$(command -v ringvm)
out=$(su nobody -s /bin/sh -c "$cli passthrough unbind $edu" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check not_root_says_so '[ $rc = 4 ] && echo "$out" | grep -q "permission denied (run as root)" &&
	[ -c "/dev/ringvm-vfio-dev/$edu" ]'

out=$(ringvm passthrough unbind "$edu" 2>&1); rc=$?
echo "$out" | sed 's/^/#   /'
check unbind_gives_device_back '[ $rc = 0 ] && [ ! -e "/dev/ringvm-vfio-dev/$edu" ] &&
	[ ! -e "/sys/bus/pci/devices/$edu/driver" ] &&
	[ "$(cat "/sys/bus/pci/devices/$edu/driver_override")" = "(null)" ]'

check module_unloads 'rmmod ringvm_vfio'
