#!/usr/bin/env bash
# Installs the Debian packages listed in mk/deps.txt (or in the lists
# given as arguments, e.g. mk/bench-deps.txt) that are missing.
# As root it runs apt-get itself; otherwise it prints the exact command and
# fails, so nothing half-builds.
set -euo pipefail
cd "$(dirname "$0")/.."

lists=("$@")
[ ${#lists[@]} -gt 0 ] || lists=(mk/deps.txt)
missing=()
while read -r pkg; do
	case "$pkg" in ''|\#*) continue ;; esac
	# dpkg-query knows "install ok installed" only for a full install.
	st=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$pkg")
done < <(cat "${lists[@]}")

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "imstb: missing Debian packages; run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "imstb: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
