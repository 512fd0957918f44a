#!/bin/sh
# Install what qlaunch needs to build and test on Debian 12, as root.
# Safe to run again: apt-get skips what is installed.
set -e
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get install needs it)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# libelf1, libssl3: what the kernel's kbuild tools link (mkguest builds
# the NIC drivers the cloud kernel lacks); openssh: the ssh:// migration
# test runs sshds of its own; libssl-dev: the web manager's TLS and
# its WebSocket handshake (libcrypto's SHA-1); curl: test_webconsole's
# plain GET; chromium, and node with npm: the web manager's browser tests
PKGS="gcc make pkg-config libc6-dev libnl-route-3-dev libnftables-dev
libjson-c-dev libevent-dev libbsd-dev libcmocka-dev libarchive-dev libssl-dev
qemu-system-x86 qemu-utils
cpio lz4 xz-utils zstd gzip genisoimage isolinux syslinux-common
clang libclang-rt-14-dev
iproute2 procps psmisc dnsmasq-base nftables bridge-utils busybox
libelf1 libssl3
openssh-client openssh-server
vncsnapshot libjpeg-turbo-progs python3 chromium
curl
ansible-core"  # ansible-core: test_ansible.sh runs the collection (launcher/ansible)
PKGS="$PKGS dpkg-dev debhelper lintian mmdebstrap"	# the Debian package, test_deb.sh
# a node of another origin (nodesource) brings its own npm
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
else
	echo "install-deps: installing$missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	echo "install-deps: done"
fi
# the browser tests' npm packages, pinned by tests/browser/package-lock.json
# (an out-of-tree build installs its own with 'make browser-deps')
browser=$(dirname "$0")/browser
if [ ! -f "$browser/node_modules/.installed" ] ||
    [ "$browser/package-lock.json" -nt "$browser/node_modules/.installed" ]; then
	echo "install-deps: npm ci in tests/browser"
	(cd "$browser" && npm ci --no-audit --no-fund >/dev/null) &&
	    touch "$browser/node_modules/.installed"
fi
