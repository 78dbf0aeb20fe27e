#!/bin/bash
# deps.sh — install the Debian packages stacklab needs, only those missing.
#
# The lab runs Debian's own daemons inside its nodes; the host must never run
# them for itself. So packages are installed with services kept from starting
# (a temporary policy-rc.d), and the host services of the packages installed
# here are disabled. MariaDB comes as mariadb-server-core, which has no service.
set -euo pipefail

build=(gcc make pkg-config libc6-dev libnl-3-dev libnl-route-3-dev libcap-dev libseccomp-dev
	libjansson-dev libinih-dev libncurses-dev libcurl4-openssl-dev clang libclang-rt-dev)
tools=(iproute2 iputils-ping procps util-linux perl curl openssl dnsutils tcpdump nftables tmux socat jq uidmap)
daemons=(haproxy keepalived nginx-light php-fpm php-mysql mariadb-server-core mariadb-client-core unbound nsd
	prometheus prometheus-node-exporter prometheus-nginx-exporter)
bench=(wrk)
# package → the host service it brings along
declare -A service=([haproxy]=haproxy [keepalived]=keepalived [nginx-light]=nginx [php-fpm]=php8.2-fpm
	[prometheus]=prometheus [prometheus-node-exporter]=prometheus-node-exporter
	[prometheus-nginx-exporter]=prometheus-nginx-exporter [unbound]="unbound unbound-resolvconf" [nsd]=nsd)

missing=()
for p in "${build[@]}" "${tools[@]}" "${daemons[@]}" "${bench[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "stacklab: missing Debian packages: ${missing[*]}" >&2
	echo "stacklab: run as root (sudo) to install them" >&2
	exit 1
fi
echo "stacklab: installing ${missing[*]}" >&2

policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# stacklab: installing daemons for its labs, not for this host\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Services that came with this run's packages must not start with the host
# either. Services the host had before are its own business: left alone.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
	for p in "${missing[@]}"; do
		# shellcheck disable=SC2086 # a package may bring two services
		[ -n "${service[$p]:-}" ] && systemctl disable --now ${service[$p]} >/dev/null 2>&1 || true
	done
fi
