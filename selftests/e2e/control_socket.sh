#!/bin/sh
# e2e suite (Bochs host): a VM driven from a second shell, as a user drives it.
# A guest started with --name prints a tick every 0.2 s; `ringvm ls --json`
# shows it, `pause` stops its console output, `resume` restarts it, and
# `stop` ends it: at once with status 10, since this guest has ACPI (the
# default in-kernel irqchip) but loads no power-button driver, so it never
# enables the button's event and could not hear it. Needs the tree from
# selftests/e2e/make-extra.sh.
echo "1..5"
insmod "$RINGVM_MODDIR/ringvm.ko" 2>/dev/null
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX_Fast_Unaligned_Load
export LD_BIND_NOW=1
. /e2e/ticks.sh
log=/tmp/ctl.log
err=/tmp/ctl.err
rm -f "$log"
timeout 1200 ringvm run --accel ringvm --name e2e-ctl --kernel /e2e/vmlinuz \
	--initrd /e2e/guest.gz --mem 128M --console "$log" \
	--cmdline "console=ttyS0 quiet panic=-1 mitigations=off nokaslr ringvm.e2e=ticker" \
	2>"$err" &
pid=$!
n=$(wait_ticks "$log" $pid 900 2)
sed 's/^/# guest: /' "$log" | head -n 20

ringvm ls --json >/tmp/ls.json 2>&1
sed 's/^/# ls: /' /tmp/ls.json
if grep -q '"name": "e2e-ctl"' /tmp/ls.json && grep -q "\"pid\": $pid" /tmp/ls.json &&
   grep -q '"state": "running"' /tmp/ls.json; then
	echo "ok 1 ls_json_shows_the_named_vm"
else
	echo "not ok 1 ls_json_shows_the_named_vm (ticks $n)"
fi

ringvm pause e2e-ctl
# A tick already printed when the vCPU stopped may still be on its way out
# of the UART: count after one tick period, then once more 2 s later.
sleep 0.5
p0=$(ticks "$log")
sleep 2
p1=$(ticks "$log")
state=$(ringvm info e2e-ctl 2>&1 | grep -o '"state": "[a-z]*"')
echo "# paused: $p0 then $p1 ticks, $state"
if [ "$n" -gt 2 ] && [ "$p0" = "$p1" ] && [ "$state" = '"state": "paused"' ]; then
	echo "ok 2 pause_stops_the_console_output"
else
	echo "not ok 2 pause_stops_the_console_output"
fi

ringvm resume e2e-ctl
r=$(wait_ticks "$log" $pid 60 "$p1")
echo "# resumed: $r ticks"
if [ "$r" -gt "$p1" ]; then
	echo "ok 3 resume_restarts_it"
else
	echo "not ok 3 resume_restarts_it"
fi

ringvm stop e2e-ctl
src=$?
wait $pid
rc=$?
sed 's/^/# ringvm: /' "$err"
if [ $src = 0 ] && [ $rc = 10 ] && grep -q 'does not listen to an ACPI power button' "$err"; then
	echo "ok 4 stop_of_a_guest_deaf_to_the_power_button_ends_it_with_status_10"
else
	echo "not ok 4 stop_of_a_guest_deaf_to_the_power_button_ends_it_with_status_10 (stop $src, run $rc)"
fi
if [ ! -e /run/ringvm/e2e-ctl.sock ] && ringvm stop e2e-ctl 2>/dev/null; then
	echo "not ok 5 socket_gone_after_the_vm"
elif [ ! -e /run/ringvm/e2e-ctl.sock ]; then
	echo "ok 5 socket_gone_after_the_vm"
else
	echo "not ok 5 socket_gone_after_the_vm"
fi
