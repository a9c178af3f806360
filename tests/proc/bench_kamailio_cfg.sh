#!/usr/bin/env bash
# The benchmark's Kamailio configs (bench/kamailio/*.cfg) must pass
# `kamailio -c` (parse and module check, no sockets), a broken copy must
# not, and bench/kamailio/provision.sh must write the subscriber rows
# auth_db reads, with the HA1s our UEs' digest needs. Kamailio comes from
# mk/bench-deps.txt (make bench-deps); the benchmark itself never runs in
# make check.
. "$(dirname "$0")/lib.sh"
command -v kamailio >/dev/null ||
	fail "kamailio not installed: run make bench-deps (mk/bench-deps.txt)"

# check CFG: every #!defenv(s) variable gets a placeholder value (-c makes
# no fixups: no database is opened, no address resolved).
check() {
	local envs=() v
	for v in $(sed -n 's/^#!defenvs\{0,1\} *[A-Za-z0-9_]*=\([A-Za-z0-9_]*\).*/\1/p' "$1"); do
		envs+=("$v=${!v:-sip:127.0.0.1:9;lr}")
	done
	env "${envs[@]}" kamailio -c -f "$1" >"$WORK/check.log" 2>&1
}

n=0
for cfg in bench/kamailio/*.cfg; do
	check "$cfg" || fail "kamailio -c rejects $cfg: $(grep -m1 -E 'ERROR|CRITICAL' "$WORK/check.log")"
	grep -qi "config file ok" "$WORK/check.log" || fail "$cfg: no 'Config file ok'"
	ok "kamailio -c accepts $cfg"
	n=$((n + 1))
done
[ $n -ge 2 ] || fail "only $n configs in bench/kamailio"

# The check must be able to fail: an unbalanced call in a copy.
sed 's/add_path("term");/add_path("term";/' bench/kamailio/proxy.cfg >"$WORK/broken.cfg"
cmp -s bench/kamailio/proxy.cfg "$WORK/broken.cfg" && fail "could not break proxy.cfg"
check "$WORK/broken.cfg" && fail "kamailio -c accepted a broken config"
ok "kamailio -c rejects a broken copy"

# provision.sh: 3 users, HA1 (bare user) and HA1b (IMPI user@realm).
bash bench/kamailio/provision.sh "$WORK/k.db" 3 >"$WORK/prov.log" 2>&1 ||
	fail "provision.sh: $(tail -1 "$WORK/prov.log")"
row=$(sqlite3 "$WORK/k.db" "SELECT username, domain, ha1, ha1b FROM subscriber WHERE id = 3")
want_ha1=$(printf '%s' "user00003:ims.example.com:pass-00003" | md5sum | cut -d' ' -f1)
want_ha1b=$(printf '%s' "user00003@ims.example.com:ims.example.com:pass-00003" | md5sum | cut -d' ' -f1)
[ "$row" = "user00003|ims.example.com|$want_ha1|$want_ha1b" ] ||
	fail "provision.sh row 3: $row"
[ "$(sqlite3 "$WORK/k.db" "SELECT table_version FROM version WHERE table_name = 'subscriber'")" = 7 ] ||
	fail "provision.sh: subscriber table version is not 7 (Kamailio 5.6)"
ok "provision.sh writes Kamailio 5.6 subscriber rows with HA1 and HA1b"
