#!/bin/sh
# make install into a DESTDIR puts every file where it belongs
# (binaries, man pages, netscripts, bash completion, systemd units, the
# configuration, the web assets, the Ansible collection); a second install keeps a changed
# configuration; make uninstall removes exactly what was installed.
builddir=%BUILDDIR%
T=$(mktemp -d /tmp/qlinst.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
ok() { echo "[       OK ] $1"; passed=$((passed + 1)); }
ko() { echo "[  FAILED  ] $1: $2"; failed=$((failed + 1)); }
# PREFIX given to make install: everything follows it
m() { make -s -C "$builddir" "$@" PREFIX=/opt/ql DESTDIR="$T/root" >"$T/make.out" 2>&1; }
# a directory as the Makefile has it, with that PREFIX
dir() {
	printf 'print-dir:\n\t@echo $(%s)\n' "$1" >"$T/dir.mk"
	make -s --no-print-directory -C "$builddir" -f Makefile -f "$T/dir.mk" \
	    PREFIX=/opt/ql print-dir
}

echo "[==========] Running install tests."
if m install; then ok install; else ko install "$(tail -5 "$T/make.out")"; fi
(cd "$T/root" && find . -type f | sort) >"$T/files"
p=$(dir prefix)
sc=$(dir sysconfdir)
[ "$p" = /opt/ql ] && ok prefix || ko prefix "$p"
for f in "$p/bin/qlaunch" "$p/sbin/qlaunchd" "$p/share/man/man1/qlaunch.1" \
    "$p/share/man/man5/qlaunch.conf.5" "$p/share/man/man5/qlaunchd.conf.5" \
    "$p/share/man/man8/qlaunchd.8" "$sc/qlaunch/qemu-ifup" \
    "$sc/qlaunch/qemu-ifdown" "$sc/qlaunch/qlaunchd.conf" \
    "$p/share/bash-completion/completions/qlaunch" \
    "$p/lib/systemd/system/qlaunchd.service" \
    "$p/lib/systemd/system/qlaunchd.socket" \
    "$p/share/qlaunch/web/index.html" \
    "$p/share/ansible/collections/ansible_collections/qlaunch/vm/plugins/modules/qlaunch_vm.py"; do
	grep -qx ".$f" "$T/files" && ok "installed $f" || ko "installed $f" missing
done
grep -q "^ExecStart=$p/sbin/qlaunchd -f" "$T/root$p/lib/systemd/system/qlaunchd.service" &&
    ok unit_path || ko unit_path "$(grep ExecStart "$T/root$p/lib/systemd/system/qlaunchd.service")"
# the installed qlaunchd takes the installed configuration
"$T/root$p/sbin/qlaunchd" -c "$T/root$sc/qlaunch/qlaunchd.conf" -h 2>&1 |
    grep -q usage && ok runs || ko runs "no usage"
# a configuration changed by its admin survives a reinstall
echo "on_stop = shutdown" >>"$T/root$sc/qlaunch/qlaunchd.conf"
m install
grep -q "^on_stop = shutdown" "$T/root$sc/qlaunch/qlaunchd.conf" &&
    ok conf_kept || ko conf_kept "overwritten"
# uninstall: the changed configuration stays, nothing else
m uninstall || ko uninstall "$(tail -5 "$T/make.out")"
left=$(cd "$T/root" && find . -type f | sort)
[ "$left" = ".$sc/qlaunch/qlaunchd.conf" ] && ok uninstall_keeps_changed_conf ||
    ko uninstall_keeps_changed_conf "left: $left"
rm -f "$T/root$sc/qlaunch/qlaunchd.conf"
m install && m uninstall
left=$(cd "$T/root" && find . -type f)
[ -z "$left" ] && ok uninstall_all || ko uninstall_all "left: $left"
[ -d "$T/root$p/share/qlaunch" ] && ko dirs "share/qlaunch left" || ok dirs
[ -d "$T/root$p/share/ansible" ] && ko ansible_dirs "share/ansible left" || ok ansible_dirs
echo "[==========] $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ $failed -eq 0 ] || { echo "[  FAILED  ] $failed test(s), listed above."; exit 1; }
