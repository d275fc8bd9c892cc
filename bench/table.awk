# Prints the benchmark table from a test host's tests.log:
#   awk -f bench/table.awk build/testhost/bench/tests.log
# One row per "# bench: <row> <ringvm> <kvm-intel>" line, in order; '_' in
# <row> stands for a space and '__' for a '_' (boot_exits:_EPT__VIOLATION
# prints "boot exits: EPT_VIOLATION").  Rows whose two columns are something
# else follow a "# bench-header: <title> <column 1> <column 2>" line (same
# encoding), which starts a new section: a blank line, then the title and the
# column names in place of "ringvm kvm-intel".  Exits 1 when there is no row
# at all.
function decode(s) {
	gsub(/__/, "\001", s)
	gsub(/_/, " ", s)
	gsub(/\001/, "_", s)
	return s
}

{ sub(/\r$/, "") }

$1 == "#" && $2 == "bench-header:" && NF >= 5 {
	if (m > 0)
		lines[m++] = ""
	lines[m++] = sprintf("%-34s %12s %12s", decode($3), decode($4), decode($5))
	next
}

$1 == "#" && $2 == "bench:" && NF >= 5 {
	# Rows before any section header are ringvm beside kvm-intel.
	if (m == 0)
		lines[m++] = sprintf("%-34s %12s %12s", "", "ringvm", "kvm-intel")
	lines[m++] = sprintf("%-34s %12s %12s", decode($3), $4, $5)
	n++
}

END {
	if (n == 0) {
		print "bench: no figures in the log (see the FAIL lines above)"
		exit 1
	}
	for (i = 0; i < m; i++)
		print lines[i]
}
