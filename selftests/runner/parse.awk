# Turns a test host's two serial logs into one verdict per test.
#
#   awk -v host=NAME [-v guards_file=FILE] -f parse.awk tests.log console.log
#
# tests.log  (ttyS1): markers from init.sh, kselftest TAP, a dmesg dump.
# console.log (ttyS0): the kernel console.
#
# Prints "PASS host/suite/test" or "FAIL host/suite/test: why" per test and
# "RESULT passed failed guards" last.
#
# A suite passes only when it printed a plan and exactly that many results.
# A skipped test, or any other TAP directive (TODO, XFAIL, any case), is a
# failure: the suites run on the host they were written for, so a skip
# means something is missing. Any kernel BUG/WARNING/Oops/GPF/Call Trace in
# either log fails the run even when every test said ok.
#
# A test named in FILE (one "suite/test" a line) is a guard: it checks the
# test host rather than the product (VMX present, /dev/kvm there) or repeats
# another verdict. Its pass prints "PASS ... [guard]" and is counted in
# "passed" and again in "guards", so the product count is the difference; a
# failing guard fails the run like any test.

function is_guard(name,    first) {
	first = name
	sub(/ .*/, "", first)
	return (first in guard)
}

function verdict(ok, name, why) {
	if (ok && is_guard(name)) {
		print "PASS " host "/" name " [guard]"
		passed++
		guards++
	} else if (ok) {
		print "PASS " host "/" name
		passed++
	} else {
		print "FAIL " host "/" name ": " why
		failed++
	}
}

function end_suite(why) {
	if (suite == "")
		return
	if (why != "")
		verdict(0, suite, why)
	else if (planned < 0)
		verdict(0, suite, "printed no TAP plan")
	else if (planned == 0)
		verdict(0, suite, "ran no tests (skipped as a whole)")
	else if (seen < planned)
		verdict(0, suite, "reported " seen " of " planned " tests (crashed or timed out)")
	else if (seen > planned)
		verdict(0, suite, "reported " seen " results for a plan of " planned " tests")
	else if (rc != 0 && suite_failed == 0)
		verdict(0, suite, "exited with status " rc " but reported no failure")
	suite = ""
}

# The debug kernel's detectors (make check-debug): most of their reports start
# with BUG: or WARNING:, these are the ones that may not, or whose first
# line is the one worth quoting (list corruption prints before its WARNING).
function debug_report(line) {
	return line ~ /(UBSAN:|KASAN:|KFENCE:|ODEBUG:|list_(add|del) corruption|possible (circular|recursive) locking|inconsistent lock state|sleeping function called from invalid context)/
}

function kernel_trouble(line) {
	return line ~ /(BUG:|WARNING:|Oops|general protection fault|Call Trace)/ || debug_report(line)
}

BEGIN {
	passed = 0; failed = 0; guards = 0; suite = ""; up = 0; done = 0; in_dmesg = 0
	trouble = ""
	if (guards_file != "") {
		while ((getline line < guards_file) > 0)
			if (line !~ /^(#|$)/)
				guard[line] = 1
		close(guards_file)
	}
}

{ file = (FILENAME == ARGV[1]) ? 1 : 2 }

# ---- tests.log ----
file == 1 { sub(/\r$/, "") }

file == 1 && /^RINGVM-HOST-UP/ { up = 1; next }

file == 1 && /^RINGVM-SUITE-BEGIN / {
	end_suite("did not finish")
	suite = $2; planned = -1; seen = 0; suite_failed = 0; rc = 0
	next
}

file == 1 && /^RINGVM-SUITE-END / {
	rc = $3; sub(/^rc=/, "", rc); rc += 0
	if (rc == 124 || rc == 143)
		end_suite("timed out")
	else
		end_suite("")
	next
}

file == 1 && /^RINGVM-DMESG-BEGIN/ { end_suite("did not finish"); in_dmesg = 1; next }
file == 1 && /^RINGVM-DMESG-END/ { in_dmesg = 0; next }
file == 1 && /^RINGVM-DONE/ { done = 1; next }

file == 1 && in_dmesg {
	if (kernel_trouble($0) && trouble == "")
		trouble = $0
	next
}

file == 1 && suite != "" && /^1\.\.[0-9]+/ {
	if (planned < 0) { planned = substr($1, 4) + 0 }
	next
}

file == 1 && suite != "" && /^(not )?ok [0-9]+ / {
	ok = ($1 == "ok")
	name = $0
	sub(/^(not )?ok [0-9]+ /, "", name)
	why = "not ok"
	# A TAP directive (SKIP, TODO, kselftest's XFAIL/XPASS, in any case)
	# means the test did not show what it is for: never a pass.
	if (index(name, "#")) {
		directive = substr(name, index(name, "#") + 1)
		sub(/^[ \t]*/, "", directive)
		why = "directive: " directive
		ok = 0
	}
	sub(/ *#.*/, "", name)
	if (name == "")
		name = "test" $(ok ? 2 : 3)
	seen++
	if (!ok)
		suite_failed++
	verdict(ok, suite "/" name, why)
	next
}

# ---- console.log ----
file == 2 {
	sub(/\r$/, "")
	if (kernel_trouble($0) && trouble == "")
		trouble = $0
}

END {
	if (!up)
		verdict(0, "boot", "host never reached init (boot failed or timed out)")
	else {
		end_suite("did not finish")
		if (!done)
			verdict(0, "host", "did not finish its plan (hung, crashed or timed out)")
	}
	if (trouble != "")
		verdict(0, "kernel-log", "kernel reported trouble: " trouble)
	print "RESULT " passed " " failed " " guards
}
