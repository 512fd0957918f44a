#!/bin/bash
# The Ansible collection (launcher/ansible) with Debian's ansible-core
# against localhost (ansible_connection=local), the modules running the
# build's qlaunch on two private supervisors, A and B, each in a network
# namespace of its own joined by a veth pair, with an sshd in B's (as in
# test_migrate_ssh.sh).  qlaunch_vm: present (a second run changes
# nothing), check mode with a changed definition (reports a change, the
# stored definition stays, the diff shows it), running (the guest
# answers on its console; redefined while it runs: for its next start),
# a failed start undoing its define, stopped, absent; qlaunch_snapshot
# taken and deleted; qlaunch_info;
# qlaunch_network present and absent (an isolated network in A's
# namespace); qlaunch_migrate to B over ssh, then again: nothing to do; a play run
# as nobody can neither see, start, stop, snapshot nor migrate root's VM.
. "$(dirname "$0")/lib.sh"

need_root "network namespaces, an sshd and another user"
if ! command -v ansible-playbook >/dev/null || ! [ -x /usr/sbin/sshd ]; then
	echo "$(basename "$0"): needs ansible-core and openssh-server: skipped"
	echo "[  SKIPPED ] 1 test(s)."
	exit 0
fi

SRC=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C.UTF-8
export ANSIBLE_COLLECTIONS_PATH=$SRC/launcher/ansible
export ANSIBLE_LOCAL_TEMP=$T/ansible ANSIBLE_REMOTE_TEMP=$T/ansible
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
PORT=2222
S=$T/ssh
P=$T/plays

# play FILE [ansible-playbook args...]: run a playbook of $P on localhost,
# in A's namespace, its output in $T/play.out; its exit status
play() {
	local f=$1; shift
	ip netns exec "$NETNS" env QLAUNCH_SSH="$S/ssh" \
	    ansible-playbook -i localhost, -c local "$P/$f.yml" \
	    -e qlaunch="$QLAUNCH" -e sock="$T/ctl.sock" "$@" >"$T/play.out" 2>&1
}
# changed N: the last play changed N tasks and failed none
changed() {
	local recap
	recap=$(grep '^localhost  *:' "$T/play.out")
	echo "$recap" | grep -q " changed=$1 .* failed=0 " ||
	    fail "expected changed=$1: $recap; $(grep -A3 FAILED "$T/play.out" | head -5)"
}
# the definition of the test's VM, gv, with MEM MiB
vmdef() {
	cat <<EOF
name: gv
memory: $1
accel: tcg,tb-size=32
kernel: $GUEST/bzImage
initrd: $GUEST/initrd.img
append: $APPEND
console: serial
graphics: none
network: user
disk: size=1
EOF
}

write_plays() {
	mkdir -p "$P" "$T/ansible"
	cat >"$P/vm.yml" <<'EOF'
- hosts: localhost
  gather_facts: false
  tasks:
    - qlaunch.vm.qlaunch_vm:
        name: "{{ vm | default('gv') }}"
        state: "{{ state }}"
        src: "{{ src | default(omit) }}"
        stop_mode: destroy
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
EOF
	cat >"$P/info.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - qlaunch.vm.qlaunch_info:
        name: gv
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: r
    - copy:
        content: "{{ r | to_json }}"
        dest: $T/info.json
      changed_when: false
EOF
	cat >"$P/net.yml" <<'EOF'
- hosts: localhost
  gather_facts: false
  tasks:
    - qlaunch.vm.qlaunch_network:
        name: lab
        state: "{{ state }}"
        definition: |
          name: lab
          address: 10.77.0.1/24
          bridge: qlab0
          forward: none
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
EOF
	cat >"$P/migrate.yml" <<'EOF'
- hosts: localhost
  gather_facts: false
  tasks:
    - qlaunch.vm.qlaunch_migrate:
        name: gv
        dest: "{{ dest }}"
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: r
    - debug:
        msg: "migrated in {{ r.migration.migration_ms | default('-') }} ms"
EOF
	cat >"$P/snap.yml" <<'EOF'
- hosts: localhost
  gather_facts: false
  tasks:
    - qlaunch.vm.qlaunch_snapshot:
        name: gv
        snapshot: s1
        description: by ansible
        state: "{{ state }}"
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
EOF
	# as nobody: each task must fail; the results go to a file
	cat >"$P/other.yml" <<EOF
- hosts: localhost
  gather_facts: false
  tasks:
    - qlaunch.vm.qlaunch_info:
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: seen
    - qlaunch.vm.qlaunch_info:
        name: gv
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: see
      ignore_errors: true
    - qlaunch.vm.qlaunch_vm:
        name: gv
        state: stopped
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: stop
      ignore_errors: true
    - qlaunch.vm.qlaunch_vm:
        name: gv
        state: running
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: start
      ignore_errors: true
    - qlaunch.vm.qlaunch_snapshot:
        name: gv
        snapshot: mine
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: snap
      ignore_errors: true
    - qlaunch.vm.qlaunch_migrate:
        name: gv
        dest: "unix:$BSOCK"
        socket: "{{ sock }}"
        qlaunch: "{{ qlaunch }}"
      register: mig
      ignore_errors: true
    - copy:
        content: "{{ {'seen': seen, 'see': see, 'stop': stop, 'start': start, 'snap': snap, 'mig': mig} | to_json }}"
        dest: $T/nobody/other.json
EOF
	chmod -R a+rX "$P"
}

# the namespaces (192.168.238.0/24 inside them only), B's sshd, both
# supervisors
setup() {
	make_netns_pair qla 192.168.238 || return 1
	ssh_keys || return 1
	start_sshd "$NSB" "$ADDR_B"
	start_daemon || return 1
	start_daemon_b || return 1
	write_plays
	for _ in $(seq 100); do
		[ -f "$S/sshd_$NSB.pid" ] && return 0
		sleep 0.05
	done
	echo "sshd did not come up"; cat "$T/sshd.log"
	return 1
}

DEST="ssh://root@192.168.238.2:$PORT/?keyfile=$S/id&socket=$BSOCK&command=$QLAUNCH"

# present: defined as written (a uuid line and the NIC's MAC added by
# the supervisor); again: nothing changed
t_present() {
	vmdef 256 >"$T/gv.conf"
	play vm -e state=present -e src="$T/gv.conf" || fail "play: $(tail -5 "$T/play.out")"
	changed 1
	q dumpconfig gv >"$T/stored"
	grep -q '^uuid: ' "$T/stored" || fail "no uuid: $(cat "$T/stored")"
	grep -q '^network: user,mac=52:54:00:' "$T/stored" || fail "no MAC: $(cat "$T/stored")"
	grep -q '^memory: 256$' "$T/stored" || fail "memory: $(cat "$T/stored")"
	grep -q "^disk: $T/state/images/gv-vda.qcow2," "$T/stored" || fail "no image: $(cat "$T/stored")"
	play vm -e state=present -e src="$T/gv.conf" || fail "again: $(tail -5 "$T/play.out")"
	changed 0
	[ "$(q dumpconfig gv)" = "$(cat "$T/stored")" ] || fail "the second run changed the definition"
}

# check mode with a changed definition: reported, shown, not done
t_check_mode() {
	vmdef 320 >"$T/gv2.conf"
	play vm -e state=present -e src="$T/gv2.conf" --check --diff ||
	    fail "play: $(tail -5 "$T/play.out")"
	changed 1
	grep -q '^-memory: 256$' "$T/play.out" || fail "no - line in the diff: $(cat "$T/play.out")"
	grep -q '^+memory: 320$' "$T/play.out" || fail "no + line in the diff: $(cat "$T/play.out")"
	[ "$(q dumpconfig gv)" = "$(cat "$T/stored")" ] || fail "check mode changed the definition"
	# nor does a check-mode start start it
	play vm -e state=running --check || fail "play: $(tail -5 "$T/play.out")"
	changed 1
	[ "$(q state gv)" = "shut off" ] || fail "check mode started it: $(q state gv)"
	# a definition that qlaunch refuses: its one line, nothing changed
	printf 'name: gv\nmemory: 256\nbogus: 1\n' >"$T/bad.conf"
	play vm -e state=present -e src="$T/bad.conf" && fail "a bad definition was taken"
	grep -q 'bogus: unknown key' "$T/play.out" || fail "error: $(grep msg "$T/play.out")"
	[ "$(q dumpconfig gv)" = "$(cat "$T/stored")" ] || fail "a refused definition changed it"
}

# running: the guest boots and answers; again: nothing
t_running() {
	play vm -e state=running || fail "play: $(tail -5 "$T/play.out")"
	changed 1
	wait_ready gv
	[ "$(gval gv 'echo $((6 * 7))')" = 42 ] || fail "the guest does not answer"
	play vm -e state=running || fail "again: $(tail -5 "$T/play.out")"
	changed 0
	# redefined while it runs: stored for its next start, QEMU untouched
	local pid
	pid=$(vm_pid gv)
	vmdef 320 >"$T/gv2.conf"
	play vm -e state=running -e src="$T/gv2.conf" || fail "redefine: $(tail -5 "$T/play.out")"
	changed 1
	grep -q 'WARNING.*VM gv runs on as it was started' "$T/play.out" ||
	    fail "no warning: $(cat "$T/play.out")"
	q dumpconfig gv | grep -q '^memory: 320$' || fail "not redefined: $(q dumpconfig gv)"
	q dumpconfig gv | grep -qF "$(grep '^network:' "$T/stored")" || fail "the MAC changed"
	q dumpconfig gv | grep -qF "$(grep '^disk:' "$T/stored")" || fail "the image changed"
	[ "$(vm_pid gv)" = "$pid" ] || fail "QEMU changed"
	play vm -e state=running -e src="$T/gv2.conf" || fail "again: $(tail -5 "$T/play.out")"
	changed 0
}

# a start that fails after the define: the new VM is undefined again
t_rollback() {
	{ vmdef 256 | sed 's/^name: gv$/name: gb/; /^network:/d; /^disk:/d'; echo 'qemu-arg: -bogus'; } >"$T/gb.conf"
	play vm -e vm=gb -e state=running -e src="$T/gb.conf" && fail "started gb"
	grep -q "invalid option.*the new VM is undefined again" "$T/play.out" ||
	    fail "error: $(grep msg "$T/play.out")"
	! q list --all | grep -qw gb || fail "gb is still defined"
}

# info: the list and the VM
t_info() {
	play info || fail "play: $(tail -5 "$T/play.out")"
	changed 0
	python3 - "$T/info.json" <<'EOF' || fail "info: $(cat "$T/info.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [v['name'] for v in r['vms']] == ['gv'], r['vms']
assert r['vm']['state'] == 'running', r['vm']
assert r['networks'] == [], r['networks']
EOF
}

# another user: sees nothing of root's VM and changes nothing
t_other_user() {
	id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; return 0; }
	local pid
	pid=$(vm_pid gv)
	mkdir -p "$T/nobody/ansible"
	chown -R nobody "$T/nobody"
	chmod 0755 "$T"
	chmod 0666 "$T/ctl.sock"
	ip netns exec "$NETNS" runuser -u nobody -- env HOME="$T/nobody" \
	    LC_ALL=C.UTF-8 ANSIBLE_COLLECTIONS_PATH="$ANSIBLE_COLLECTIONS_PATH" \
	    ANSIBLE_LOCAL_TEMP="$T/nobody/ansible" ANSIBLE_REMOTE_TEMP="$T/nobody/ansible" \
	    ANSIBLE_NOCOLOR=1 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
	    ansible-playbook -i localhost, -c local "$P/other.yml" \
	    -e qlaunch="$QLAUNCH" -e sock="$T/ctl.sock" >"$T/play.out" 2>&1
	local rc=$?
	chmod 0600 "$T/ctl.sock"
	chmod 0700 "$T"
	[ $rc -eq 0 ] || fail "the play stopped: $(tail -5 "$T/play.out")"
	python3 - "$T/nobody/other.json" <<'EOF' || fail "as nobody: $(cat "$T/nobody/other.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['seen']['vms'] == [], r['seen']
for k in ('see', 'stop', 'start', 'snap', 'mig'):
    assert r[k].get('failed'), (k, r[k])
    assert not r[k].get('changed'), (k, r[k])
    assert "VM 'gv' belongs to another user" in r[k]['msg'], (k, r[k]['msg'])
EOF
	[ "$(q state gv)" = running ] || fail "gv is $(q state --reason gv)"
	[ "$(vm_pid gv)" = "$pid" ] || fail "gv's QEMU changed"
	[ "$(q snapshot-list gv --name)" = "" ] || fail "a snapshot: $(q snapshot-list gv)"
	! qb list --all | grep -qw gv || fail "gv went to B"
}

# a snapshot of the running guest: taken, again nothing; deleted (check
# mode first), again nothing
t_snapshot() {
	play snap -e state=present || fail "play: $(tail -5 "$T/play.out")"
	changed 1
	q snapshot-info gv s1 --json | grep -q '"by ansible"' || fail "no snapshot: $(q snapshot-list gv)"
	play snap -e state=present || fail "again: $(tail -5 "$T/play.out")"
	changed 0
	play snap -e state=absent --check || fail "check: $(tail -5 "$T/play.out")"
	changed 1
	[ "$(q snapshot-list gv --name)" = s1 ] || fail "check mode deleted it"
	play snap -e state=absent || fail "absent: $(tail -5 "$T/play.out")"
	changed 1
	[ -z "$(q snapshot-list gv --name)" ] || fail "still there: $(q snapshot-list gv)"
	play snap -e state=absent || fail "absent again: $(tail -5 "$T/play.out")"
	changed 0
}

# migrate to B over ssh: check mode does nothing; then it moves and the
# guest answers there; again: nothing to do
t_migrate() {
	play migrate -e dest="$DEST" --check || fail "check: $(tail -5 "$T/play.out")"
	changed 1
	[ "$(q state gv)" = running ] || fail "check mode moved it: $(q state --reason gv)"
	play migrate -e dest="$DEST" || fail "play: $(tail -8 "$T/play.out")"
	changed 1
	grep -o 'migrated in [0-9-]* ms' "$T/play.out" | sed 's/^/  /'
	[ "$(qb state --reason gv)" = "running (migrated)" ] || fail "B: $(qb state --reason gv)"
	! q list --all | grep -qw gv || fail "A still has gv"
	[ "$(QLAUNCH_SOCKET=$BSOCK gval gv 'echo $((6 * 7))')" = 42 ] || fail "the guest does not answer on B"
	play migrate -e dest="$DEST" || fail "again: $(tail -5 "$T/play.out")"
	changed 0
}

# stopped and absent, on B (where gv now is); again: nothing
t_stopped_absent() {
	play vm -e state=stopped -e sock="$BSOCK" || fail "play: $(tail -5 "$T/play.out")"
	changed 1
	[ "$(qb state gv)" = "shut off" ] || fail "B: $(qb state --reason gv)"
	play vm -e state=stopped -e sock="$BSOCK" || fail "again: $(tail -5 "$T/play.out")"
	changed 0
	play vm -e state=absent -e sock="$BSOCK" || fail "absent: $(tail -5 "$T/play.out")"
	changed 1
	! qb list --all | grep -qw gv || fail "B still has gv"
	play vm -e state=absent -e sock="$BSOCK" || fail "absent again: $(tail -5 "$T/play.out")"
	changed 0
	# a VM that does not exist and no definition: one line
	play vm -e state=running -e sock="$BSOCK" && fail "started a VM from nothing"
	grep -q "no VM named 'gv'" "$T/play.out" || fail "error: $(grep msg "$T/play.out")"
}

# an isolated network in A's namespace: active, again nothing, absent
t_network() {
	play net -e state=active || fail "play: $(tail -5 "$T/play.out")"
	changed 1
	ip -n "$NETNS" addr show dev qlab0 | grep -q 'inet 10.77.0.1/24' ||
	    fail "qlab0: $(ip -n "$NETNS" addr show dev qlab0)"
	q net-dumpdef lab | grep -q '^uuid: ' || fail "no uuid stored"
	play net -e state=active || fail "again: $(tail -5 "$T/play.out")"
	changed 0
	play net -e state=absent || fail "absent: $(tail -5 "$T/play.out")"
	changed 1
	! ip -n "$NETNS" link show qlab0 >/dev/null 2>&1 || fail "qlab0 is still there"
	! q net-list --all | grep -qw lab || fail "lab is still defined"
	play net -e state=absent || fail "absent again: $(tail -5 "$T/play.out")"
	changed 0
}

setup || exit 1
run_tests present check_mode running rollback info other_user snapshot migrate stopped_absent network
