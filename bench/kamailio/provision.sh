#!/usr/bin/env bash
# bench/kamailio/provision.sh DB N [REALM]
# Creates the SQLite database of bench/kamailio/registrar.cfg: Kamailio
# 5.6's version and subscriber tables (the schema of
# /usr/share/kamailio/db_sqlite/standard-create.sql and auth_db-create.sql)
# holding the N users `hss-sim bulk N` makes: IMPI userNNNNN@REALM,
# password pass-NNNNN (NNNNN from 00001), with both HA1 columns:
#   ha1  = MD5(userNNNNN:REALM:pass-NNNNN)         (username without domain)
#   ha1b = MD5(userNNNNN@REALM:REALM:pass-NNNNN)   (IMPI as our UEs send it)
# Perl's core Digest::MD5 computes them (100,000 users in ~1 s).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: provision.sh DB N [REALM]" >&2; exit 2; }
db=$1 n=$2 realm=${3:-ims.example.com}
case "$n" in ''|*[!0-9]*) echo "provision.sh: N must be a number" >&2; exit 2 ;; esac
for t in sqlite3 perl; do
	command -v $t >/dev/null ||
		{ echo "provision.sh: $t missing (run mk/deps.sh mk/bench-deps.txt)" >&2; exit 1; }
done
rm -f "$db" "$db-wal" "$db-shm"
{
	echo "BEGIN;"
	cat <<'SQL'
CREATE TABLE version (
    id INTEGER PRIMARY KEY NOT NULL,
    table_name VARCHAR(32) NOT NULL,
    table_version INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT version_table_name_idx UNIQUE (table_name)
);
INSERT INTO version (table_name, table_version) values ('version','1');
CREATE TABLE subscriber (
    id INTEGER PRIMARY KEY NOT NULL,
    username VARCHAR(64) DEFAULT '' NOT NULL,
    domain VARCHAR(64) DEFAULT '' NOT NULL,
    password VARCHAR(64) DEFAULT '' NOT NULL,
    ha1 VARCHAR(128) DEFAULT '' NOT NULL,
    ha1b VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX subscriber_username_idx ON subscriber (username);
INSERT INTO version (table_name, table_version) values ('subscriber','7');
SQL
	perl -MDigest::MD5=md5_hex -e '
		my ($n, $r) = @ARGV;
		for my $i (1 .. $n) {
			my $u = sprintf("user%05d", $i);
			my $p = sprintf("pass-%05d", $i);
			printf("INSERT INTO subscriber (username,domain,password,ha1,ha1b)"
			     . " VALUES (\x27%s\x27,\x27%s\x27,\x27%s\x27,\x27%s\x27,\x27%s\x27);\n",
			     $u, $r, $p, md5_hex("$u:$r:$p"), md5_hex("$u\@$r:$r:$p"));
		}' "$n" "$realm"
	echo "COMMIT;"
} | sqlite3 "$db"
got=$(sqlite3 "$db" "SELECT count(*) FROM subscriber;")
[ "$got" = "$n" ] || { echo "provision.sh: $got of $n users in $db" >&2; exit 1; }
