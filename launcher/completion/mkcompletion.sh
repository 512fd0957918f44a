#!/bin/sh
# mkcompletion.sh QLAUNCH TEMPLATE: the bash completion of qlaunch, its
# verbs and each verb's flags and arguments taken from `qlaunch -h`
# (the client's command table), so that no list is kept by hand.
set -eu
qlaunch=$1 template=$2
table=$("$qlaunch" -h 2>&1 | sed -n 's/^  \([a-z][a-z0-9-]*\) *\(.*\)$/\1 \2/p')
[ -n "$table" ] || { echo "mkcompletion.sh: no commands from $qlaunch -h" >&2; exit 1; }
data=$(printf '%s\n' "$table" | awk '
{
	verb = $1; verbs = verbs " " verb
	flags = ""; args = ""
	for (i = 2; i <= NF; i++) {
		w = $i
		# every --flag in the usage, without brackets or =VALUE
		s = w
		while (match(s, /--[a-z][a-z0-9-]*/)) {
			f = substr(s, RSTART, RLENGTH)
			if (index(" " flags " ", " " f " ") == 0)
				flags = flags " " f
			s = substr(s, RSTART + RLENGTH)
		}
		# positional arguments: words outside brackets, not a flag value
		if (depth == 0 && prevflag == 0 && w ~ /^[A-Z][A-Z0-9|._-]*(\|--[a-z-]+)?$/)
			args = args " " w
		prevflag = (w ~ /^--[a-z0-9-]+$/)
		o = gsub(/\[/, "[", w); c = gsub(/\]/, "]", w)
		depth += o - c
	}
	depth = 0; prevflag = 0
	sub(/^ /, "", flags); sub(/^ /, "", args)
	printf "_qlaunch_flags[%s]=\"%s\"\n", verb, flags
	printf "_qlaunch_args[%s]=\"%s\"\n", verb, args
}
END { sub(/^ /, "", verbs); printf "_qlaunch_verbs=\"%s\"\n", verbs }')
# the template with its @TABLE@ line replaced
while IFS= read -r line; do
	if [ "$line" = "@TABLE@" ]; then
		printf '%s\n' "$data"
	else
		printf '%s\n' "$line"
	fi
done <"$template"
