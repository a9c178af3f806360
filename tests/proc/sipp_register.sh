#!/usr/bin/env bash
# SIPp (a SIP client nobody here wrote) registers 100 provisioned users
# through pcscf-sim -> scscf-sim <-> hss-sim, over UDP and again over TCP,
# with MD5 digest: each gets 200 OK with Path, Service-Route and
# P-Associated-URI, then de-registers. A wrong password and an unknown user
# are refused. tshark captures it all and must find zero malformed SIP or
# Diameter frames, and must decode our Cx as MAR/MAA and SAR/SAA.
. "$(dirname "$0")/lib.sh"
SIPP=tests/sipp
N=100

"$BIN/hss-sim" --set db=$WORK/hss.db bulk $N >"$WORK/bulk.log" 2>&1 ||
	fail "hss-sim bulk $N: $(tail -1 "$WORK/bulk.log")"

{ echo SEQUENTIAL
  for i in $(seq $N); do printf 'user%05d;pass-%05d;ims.example.com;[authentication username=user%05d@ims.example.com password=pass-%05d]\n' $i $i $i $i; done
} >"$WORK/users.csv"
printf 'SEQUENTIAL\nuser00001;wrong-password;ims.example.com;[authentication username=user00001@ims.example.com password=wrong-password]\n' >"$WORK/wrong.csv"
printf 'SEQUENTIAL\nnobody;whatever;ims.example.com;[authentication username=nobody@ims.example.com password=whatever]\n' >"$WORK/unknown.csv"

start_core

# tshark on loopback, only our three ports.
PCAP=$WORK/core.pcapng
filter="port $HSS_PORT or port $SCSCF_PORT or port $PCSCF_PORT"
tshark -q -i lo -f "$filter" -w "$PCAP" >"$WORK/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=($TSHARK)
for _ in $(seq 100); do grep -q "Capturing on" "$WORK/tshark.log" && break; sleep 0.1; done
grep -q "Capturing on" "$WORK/tshark.log" || fail "tshark did not start: $(cat "$WORK/tshark.log")"

sipp_run() { # name transport scenario csv calls
	local port; port=$(free_port)
	sipp 127.0.0.1:$PCSCF_PORT -sf "$SIPP/$3" -inf "$4" -m "$5" -r 50 -l 20 \
		-i 127.0.0.1 -p "$port" -t "$2" -nostdin -timeout 60 \
		-timeout_error -trace_err -error_file "$WORK/sipp-$1.err" \
		>"$WORK/sipp-$1.log" 2>&1 ||
		fail "SIPp $1: $(grep -h -A3 -i 'fail\|unexpected' "$WORK/sipp-$1.err" 2>/dev/null | head -20)"
	ok "SIPp $1: $5 call(s) passed"
}

sipp_run udp u1 reg_dereg.xml "$WORK/users.csv" $N
sipp_run tcp t1 reg_dereg.xml "$WORK/users.csv" $N
sipp_run wrong-password u1 reg_refused.xml "$WORK/wrong.csv" 1
sipp_run unknown-user u1 reg_unknown.xml "$WORK/unknown.csv" 1
sipp_run unknown-user-tcp t1 reg_unknown.xml "$WORK/unknown.csv" 1

sleep 0.5
kill -INT $TSHARK; wait $TSHARK || true

decode=(-d "udp.port==$PCSCF_PORT,sip" -d "tcp.port==$PCSCF_PORT,sip"
	-d "udp.port==$SCSCF_PORT,sip" -d "tcp.port==$SCSCF_PORT,sip"
	-d "tcp.port==$HSS_PORT,diameter")
count() { tshark -r "$PCAP" "${decode[@]}" -Y "$1" 2>/dev/null | wc -l; }

sip=$(count sip)
diam=$(count diameter)
bad=$(count "_ws.malformed || _ws.expert.severity == error")
[ "$sip" -ge $((8 * N)) ] || fail "tshark decoded only $sip SIP frames"
[ "$bad" -eq 0 ] || { tshark -r "$PCAP" "${decode[@]}" -Y "_ws.malformed || _ws.expert.severity == error" | head; fail "$bad malformed frames"; }
mar=$(count "diameter.cmd.code == 303 && diameter.flags.request == 1 && diameter.applicationId == 16777216")
maa=$(count "diameter.cmd.code == 303 && diameter.flags.request == 0")
sar=$(count "diameter.cmd.code == 301 && diameter.flags.request == 1 && diameter.applicationId == 16777216")
saa=$(count "diameter.cmd.code == 301 && diameter.flags.request == 0")
[ "$mar" -ge $((2 * N)) ] && [ "$maa" -ge $((2 * N)) ] || fail "MAR/MAA decoded: $mar/$maa"
[ "$sar" -ge $((2 * N)) ] && [ "$saa" -ge $((2 * N)) ] || fail "SAR/SAA decoded: $sar/$saa"
# The HA1 goes on Cx, never the password (TS 29.229 6.3.36 / PROTOCOL-NOTES).
ha1=$(count "diameter.Digest-HA1")
[ "$ha1" -ge $((2 * N)) ] || fail "no Digest-HA1 in MAA ($ha1)"
ok "tshark: $sip SIP and $diam Diameter frames, 0 malformed; MAR/MAA $mar/$maa, SAR/SAA $sar/$saa"

for p in pcscf scscf hss; do stop $p; done
ok "all processes exited cleanly on SIGTERM"
