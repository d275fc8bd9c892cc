#!/bin/sh
# e2e suite (Bochs host): `ringvm stop` presses the guest's ACPI power
# button, the guest's own handler powers it off (ACPI S5) and ringvm exits 0,
# as a VM stopped by `virsh shutdown` or `lkvm stop` ends. Then a VM started
# with --detach: `ringvm run` returns once the guest runs, the VM is listed
# by name and stopped the same way, its last words in its console file. The
# ACPI tables come with the in-kernel irqchip (--irqchip kernel,
# Documentation/irqchip.rst). Needs the tree from selftests/e2e/make-extra.sh.
echo "1..7"
rmmod ringvm 2>/dev/null
insmod "$RINGVM_MODDIR/ringvm.ko" $RINGVM_MODPARAMS_ringvm
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load
export LD_BIND_NOW=1
. /e2e/ticks.sh
cmdline="console=ttyS0 quiet panic=-1 mitigations=off nokaslr ringvm.e2e=acpi ringvm.e2e=ticker"
vm="--accel ringvm --irqchip kernel --kernel /e2e/vmlinuz --initrd /e2e/guest.gz --mem 128M"

log=/tmp/acpi.log
err=/tmp/acpi.err
rm -f "$log"
timeout 1200 ringvm run $vm --cmdline "$cmdline" --name e2e-acpi --console "$log" 2>"$err" &
pid=$!
# The button's watcher starts before the ticks do.
n=$(wait_ticks "$log" $pid 600 2)
sed 's/^/# guest: /' "$log" | head -n 20
if [ "$n" -gt 2 ] && grep -q '^RINGVM-E2E-ACPI-BUTTON /dev/input/event' "$log"; then
	echo "ok 1 guest_has_an_acpi_power_button"
else
	echo "not ok 1 guest_has_an_acpi_power_button (ticks $n)"
fi

ringvm stop e2e-acpi
src=$?
# A guest that ignored the button would tick on: end it after 2 minutes.
wait_gone $pid 120 || ringvm stop --force e2e-acpi
wait $pid
rc=$?
sed 's/^/# ringvm: /' "$err"
tail -n 3 "$log" | sed 's/^/# guest: /'
if [ $src = 0 ] && [ $rc = 0 ]; then
	echo "ok 2 stop_through_acpi_exits_0"
else
	echo "not ok 2 stop_through_acpi_exits_0 (stop $src, run $rc)"
fi
if grep -q '^RINGVM-E2E-POWER-BUTTON' "$log" && grep -q 'powered off (ACPI S5)' "$err"; then
	echo "ok 3 the_guest_shut_itself_down"
else
	echo "not ok 3 the_guest_shut_itself_down"
fi

dlog=/tmp/detach.log
rm -f "$dlog"
t0=$(date +%s)
timeout 600 ringvm run $vm --cmdline "$cmdline" --name e2e-detach --console "$dlog" --detach >/tmp/detach.out 2>&1
drc=$?
sed 's/^/# detach: /' /tmp/detach.out
dpid=$(sed -n 's/.*running as pid \([0-9]*\).*/\1/p' /tmp/detach.out)
if [ $drc = 0 ] && [ -n "$dpid" ] && kill -0 "$dpid" 2>/dev/null; then
	echo "ok 4 detach_returns_once_the_vm_runs ($(($(date +%s) - t0)) s)"
else
	echo "not ok 4 detach_returns_once_the_vm_runs (status $drc)"
fi

n=$(wait_ticks "$dlog" "${dpid:-0}" 600 2)
ringvm ls --json >/tmp/ls.json 2>&1
if grep -q '"name": "e2e-detach"' /tmp/ls.json && grep -qE "\"pid\": ${dpid:-x},?\$" /tmp/ls.json; then
	echo "ok 5 detached_vm_is_listed"
else
	sed 's/^/# ls: /' /tmp/ls.json
	echo "not ok 5 detached_vm_is_listed"
fi

ringvm stop e2e-detach
src=$?
wait_gone "${dpid:-0}" 120 || ringvm stop --force e2e-detach
tail -n 3 "$dlog" | sed 's/^/# guest: /'
if [ $src = 0 ] && [ "$n" -gt 2 ] && ! kill -0 "${dpid:-0}" 2>/dev/null &&
   grep -q '^RINGVM-E2E-POWER-BUTTON' "$dlog" && grep -q 'powered off (ACPI S5)' "$dlog"; then
	echo "ok 6 stop_powers_off_the_detached_vm"
else
	echo "not ok 6 stop_powers_off_the_detached_vm (stop $src, ticks $n)"
fi
if [ ! -e /run/ringvm/e2e-acpi.sock ] && [ ! -e /run/ringvm/e2e-detach.sock ]; then
	echo "ok 7 sockets_gone_after_the_vms"
else
	echo "not ok 7 sockets_gone_after_the_vms"
fi
