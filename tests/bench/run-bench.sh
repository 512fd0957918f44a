#!/bin/sh
# Run benchmarks and print what they ran on.
#   run-bench.sh BENCH...
# QEMU: the qemu-system-x86_64 to use (default: the one in PATH).
# BENCH_ARGS: extra arguments for every benchmark (e.g. "-n 1000").
# Each benchmark runs its own baseline in the same run and prints ratios;
# nothing here judges the times.  Exits non-zero if a benchmark fails.
: "${QEMU:=$(command -v qemu-system-x86_64)}"
export QEMU

if [ $# -eq 0 ]; then
	echo "usage: run-bench.sh BENCH..." >&2
	exit 2
fi

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
if [ -n "$QEMU" ] && [ -x "$QEMU" ]; then
	qver=$("$QEMU" --version 2>/dev/null | head -n 1)
else
	qver="not found (${QEMU:-qemu-system-x86_64})"
fi

echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:   $(uname -sr), $cpu, $ncpu CPUs"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "qemu:   $QEMU: $qver"

failed=0
for b in "$@"; do
	echo
	echo "=== $b ${BENCH_ARGS:-}"
	# shellcheck disable=SC2086 # BENCH_ARGS is a list of words
	if ! "$b" ${BENCH_ARGS:-}; then
		echo "*** $b failed" >&2
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
