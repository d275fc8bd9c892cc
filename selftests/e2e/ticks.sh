# Sourced by the e2e suites that boot guest-init.sh's ringvm.e2e=ticker
# guest: it prints RINGVM-E2E-TICK lines every 0.2 s to its console file.
# The waits below are bounded in seconds of the host's clock: each round
# forks, which is slow in an emulated host, so a count of rounds is not.

# The ticks in console file $1 so far.
ticks() {
	c=$(grep -c '^RINGVM-E2E-TICK' "$1" 2>/dev/null)
	echo "${c:-0}"
}

# Waits up to $3 seconds for more than $4 ticks in console file $1 while
# process $2 lives; prints the count.
wait_ticks() {
	end=$(($(date +%s) + $3))
	while [ "$(ticks "$1")" -le "$4" ] && [ "$(date +%s)" -lt $end ] &&
	      kill -0 "$2" 2>/dev/null; do
		sleep 0.1
	done
	ticks "$1"
}

# Waits up to $2 seconds for process $1 to end; false if it lives.
wait_gone() {
	end=$(($(date +%s) + $2))
	while kill -0 "$1" 2>/dev/null && [ "$(date +%s)" -lt $end ]; do
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}
