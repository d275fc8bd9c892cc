# Sourced by the e2e suites in the Bochs host (make-extra.sh puts it in
# /e2e/): a TCP stream each way through the guest's emulated e1000, on
# whichever accelerator the suite runs. The guest's init does its part when
# its command line has ringvm.e1000stream=MIB (selftests/e2e/guest-init.sh):
# after the ping on the e1000 NIC (host 10.0.3.1), it sends MIB MiB to port
# 5011 and fetches a stream from port 5012, printing netstream's lines with
# the prefix RINGVM-E2E-E1000-.
#
#   e1000_stream_listen MIB; ringvm run ... >OUT; e1000_stream_whole OUT MIB

# The host's ends listen before the guest starts (netstream accepts one
# connection each).
e1000_stream_listen() { # MIB
	netstream recv 5011 >/tmp/e1000.recv 2>&1 &
	e1000_recv=$!
	netstream serve 5012 "$1" >/tmp/e1000.serve 2>&1 &
	e1000_serve=$!
}

# The "NETSTREAM KIND" line of a file, without its prefix and CR.
e1000_stream_line() { # file kind prefix
	tr -d '\r' <"$1" | sed -n "s/^$3NETSTREAM $2 //p" | head -n 1
}

# True when both streams arrived whole: MIB MiB each way, and the receiving
# end's byte count and FNV-1a sum equal the sender's. The host's ends are
# waited for (bounded: 20 s after the guest is gone) and then ended.
e1000_stream_whole() { # OUT MIB
	for _ in $(seq 1 20); do
		kill -0 "$e1000_recv" 2>/dev/null || kill -0 "$e1000_serve" 2>/dev/null || break
		sleep 1
	done
	kill "$e1000_recv" "$e1000_serve" 2>/dev/null
	wait "$e1000_recv" "$e1000_serve" 2>/dev/null
	g_sent=$(e1000_stream_line "$1" tcp-sent RINGVM-E2E-E1000-)
	h_recv=$(e1000_stream_line /tmp/e1000.recv tcp-received)
	h_sent=$(e1000_stream_line /tmp/e1000.serve tcp-sent)
	g_recv=$(e1000_stream_line "$1" tcp-received RINGVM-E2E-E1000-)
	echo "# e1000 stream to host: guest '$g_sent', host '$h_recv'"
	echo "# e1000 stream to guest: host '$h_sent', guest '$g_recv'"
	want="$(($2 * 1048576)) "
	[ -n "$g_sent" ] && [ "$g_sent" = "$h_recv" ] && [ "${g_sent#"$want"}" != "$g_sent" ] &&
		[ -n "$h_sent" ] && [ "$h_sent" = "$g_recv" ] && [ "${h_sent#"$want"}" != "$h_sent" ]
}
