# Prints the benchmark table from a test host's tests.log:
#   awk -f bench/table.awk build/testhost/bench/tests.log
# One row per "# bench: <row> <ringvm> <kvm-intel>" line, in order; '_' in
# <row> stands for a space and '__' for a '_' (boot_exits:_EPT__VIOLATION
# prints "boot exits: EPT_VIOLATION").  Rows whose columns are something
# else follow a "# bench-header: <title> <column>..." line (same encoding),
# which starts a new section: a blank line, then the title and the column
# names in place of "ringvm kvm-intel"; a section has as many columns as its
# header.  Exits 1 when there is no row at all.
function decode(s) {
	gsub(/__/, "\001", s)
	gsub(/_/, " ", s)
	gsub(/\001/, "_", s)
	return s
}

{ sub(/\r$/, "") }

# The row's name, then fields from..NF, each decoded when names are.
function line(from, names,   s, i) {
	s = sprintf("%-34s", decode($(from - 1)))
	for (i = from; i <= NF; i++)
		s = s sprintf(" %12s", names ? decode($i) : $i)
	return s
}

$1 == "#" && $2 == "bench-header:" && NF >= 5 {
	if (m > 0)
		lines[m++] = ""
	lines[m++] = line(4, 1)
	next
}

$1 == "#" && $2 == "bench:" && NF >= 5 {
	# Rows before any section header are ringvm beside kvm-intel.
	if (m == 0)
		lines[m++] = sprintf("%-34s %12s %12s", "", "ringvm", "kvm-intel")
	lines[m++] = line(4, 0)
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
