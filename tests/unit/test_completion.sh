#!/bin/bash
# The bash completion (launcher/completion): installed with `complete`,
# verbs from the generated table, each verb's flags, VM names for a
# NAME, network names for net-* verbs, snapshot names for the VM given
# first, files for FILE; names asked of a fake qlaunch that records how
# it was called.  Usage: test_completion.sh [COMPLETION-FILE]
comp=${1:-$(dirname "$0")/../../launcher/completion/qlaunch}
T=$(mktemp -d /tmp/qlcomp.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

cat >"$T/qlaunch" <<'FAKE'
#!/bin/sh
echo "$*" >>"${0%/*}/calls"
[ "$1" = -c ] && shift 2
case "$*" in
"-N list --all --name") printf 'web1\nweb2\ndb1\n' ;;
"-N net-list --all --name") printf 'default\nisolated\n' ;;
"-N snapshot-list web1 --name") printf 'before-upgrade\nbase\n' ;;
*) exit 1 ;;
esac
FAKE
chmod +x "$T/qlaunch"
touch "$T/def-one.conf" "$T/def-two.conf"

# comp WORD... : COMPREPLY for the command line, the last word completed
comp() {
	COMP_WORDS=("$T/qlaunch" "$@")
	COMP_CWORD=$(($# ))
	COMPREPLY=()
	_qlaunch
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

check() {
	local name=$1 want=$2 got=$3
	if [ "$got" = "$want" ]; then
		echo "[       OK ] $name"; passed=$((passed + 1))
	else
		echo "[  FAILED  ] $name: got '$got', want '$want'"; failed=$((failed + 1))
	fi
}

echo "[==========] Running completion tests."
# shellcheck disable=SC1090
. "$comp"
check registered "complete -F _qlaunch qlaunch" "$(complete -p qlaunch)"
check verbs_sn "snapshot-create-as snapshot-current snapshot-delete snapshot-info snapshot-list snapshot-revert" \
    "$(comp snapshot-)"
check verb_after_option "version" "$(comp -N versio)"
check flags_shutdown "--force --mode --wait" "$(comp shutdown web1 --)"
check flags_list "--all" "$(comp list --a)"
check vm_names "web1 web2" "$(comp start web)"
check vm_names_after_c "db1" "$(comp -c /x.sock start d)"
check net_names "default" "$(comp net-start def)"
check snap_names "base before-upgrade" "$(comp snapshot-revert web1 "")"
check snap_second_arg_only "" "$(comp snapshot-revert web1 base "")"
check files "$T/def-one.conf $T/def-two.conf" "$(comp define "$T/def-")"
check no_args "" "$(comp version "")"
# every verb qlaunch -h lists is there
missing=0
for v in start destroy migrate net-define snapshot-list attach-disk console; do
	[[ " $_qlaunch_verbs " == *" $v "* ]] || missing=1
done
check table 0 $missing
grep -q -- '-c /x.sock -N list --all --name' "$T/calls"
check socket_passed 0 $?

echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
if [ $failed -gt 0 ]; then
	echo "[  FAILED  ] $failed test(s), listed above."
	exit 1
fi
