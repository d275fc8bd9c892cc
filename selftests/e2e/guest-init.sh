#!/bin/busybox sh
# /init of the nested guest that `ringvm run` boots in the e2e suite: print a
# marker, the RTC's date and the TSC frequency the kernel detected, then
# power off. The suite reads these lines from ringvm's console output.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "RINGVM-E2E-GUEST-UP $(uname -r)"
# The system clock was set from the CMOS RTC at boot; rtc0 reads it now.
echo "RINGVM-E2E-DATE $(date -u '+%Y-%m-%d %H:%M:%S')"
[ -r /sys/class/rtc/rtc0/date ] &&
	echo "RINGVM-E2E-RTC0 $(cat /sys/class/rtc/rtc0/date) $(cat /sys/class/rtc/rtc0/time)"
echo "RINGVM-E2E-TSC $(dmesg | grep -o 'tsc: Detected [0-9.]* MHz.*' | head -n 1)"
echo "RINGVM-E2E-CPUS $(grep -c ^processor /proc/cpuinfo)"
echo "RINGVM-E2E-POWEROFF"
poweroff -f
