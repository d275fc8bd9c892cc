#!/bin/sh
# e2e suite (Bochs host): `ringvm run --accel ringvm` boots a bzImage of boot
# protocol 2.02 (selftests/e2e/old_bzimage.S, no 64-bit entry), which the
# loader must enter at code32_start through the 32-bit boot protocol. The
# guest checks its entry state, prints it on COM1 and writes its failure count
# to the debug-exit port: 0 gives ringvm's exit status 1. Needs the tree from
# selftests/e2e/make-extra.sh (testhost --extra).
echo "1..3"

insmod "$RINGVM_MODDIR/ringvm.ko" 2>/dev/null
if [ -c /dev/ringvm ]; then
	echo "ok 1 ringvm_available"
else
	echo "not ok 1 ringvm_available"
fi

out=/tmp/oldbz.out
timeout 300 ringvm run --accel ringvm --kernel /e2e/old_bzimage.bin \
	--cmdline "console=ttyS0 proto=2.02" --mem 32M --debug-exit 0xf4 >$out 2>&1
rc=$?
sed 's/^/#   /' $out
if [ $rc = 1 ] && ! grep -q "^OLDBZ .* FAIL" $out && [ "$(grep -c '^OLDBZ .* ok$' $out)" = 6 ]; then
	echo "ok 2 protocol_202_entered_in_32bit_protected_mode"
else
	echo "not ok 2 protocol_202_entered_in_32bit_protected_mode (exit $rc)"
fi
if grep -q "^OLDBZ cmdline console=ttyS0 proto=2.02$" $out; then
	echo "ok 3 protocol_202_command_line_reaches_guest"
else
	echo "not ok 3 protocol_202_command_line_reaches_guest"
fi
rmmod ringvm 2>/dev/null
exit 0
