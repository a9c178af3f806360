#!/usr/bin/env bash
# [range] The IMS core registers an enterprise IMPU range once, GIN-style
# (RFC 6140; TR 23.701 Figure 6.X.2.1.3.2-1 registration mode, steps 2-11
# as the WSF relays them): SIPp sends the block's REGISTER to pcscf-sim
# (UDP, then TCP) -> scscf-sim <-> hss-sim (demo subscriber enterprise@,
# default IMPU sip:enterprise@ims.example.com and the wildcarded IMPU
# sip:+15551230![0-9]{3}!@ims.example.com in one implicit set): 401, the
# answered REGISTER -> 200 with the bnc binding and P-Associated-URI =
# default first, wildcard (escaped) second; de-registration -> 200. Wrong
# credentials -> 403; an unknown Proxy-Require option -> 420 at the
# P-CSCF. tshark finds no malformed frame, and MAR/SAR carrying the
# wildcard text (SAR also as Wildcarded-Public-Identity, AVP 634).
. "$(dirname "$0")/lib.sh"
SIPP=tests/sipp
WILD='sip:+15551230![0-9]{3}!@ims.example.com'
PAU='P-Associated-URI: <sip:enterprise@ims.example.com>, <sip:+15551230!%5B0-9%5D%7B3%7D!@ims.example.com>'

printf 'SEQUENTIAL\n[authentication username=enterprise@ims.example.com password=enterprise-pass]\n' >"$WORK/ent.csv"
printf 'SEQUENTIAL\n[authentication username=enterprise@ims.example.com password=not-the-pass]\n' >"$WORK/wrong.csv"

start_core

PCAP=$WORK/range.pcapng
tshark -q -i lo -f "port $HSS_PORT or port $SCSCF_PORT or port $PCSCF_PORT" \
	-w "$PCAP" >"$WORK/tshark.log" 2>&1 &
TSHARK=$!
PIDS+=($TSHARK)
for _ in $(seq 100); do grep -q "Capturing on" "$WORK/tshark.log" && break; sleep 0.1; done
grep -q "Capturing on" "$WORK/tshark.log" || fail "tshark did not start: $(cat "$WORK/tshark.log")"

sipp_run() { # name transport scenario csv
	local port; port=$(free_port)
	sipp 127.0.0.1:$PCSCF_PORT -sf "$SIPP/$3" -inf "$4" -m 1 -l 1 \
		-i 127.0.0.1 -p "$port" -t "$2" -nostdin -timeout 30 \
		-timeout_error -trace_err -error_file "$WORK/sipp-$1.err" \
		>"$WORK/sipp-$1.log" 2>&1 ||
		fail "SIPp $1: $(grep -h -A3 -i 'fail\|unexpected\|regexp' "$WORK/sipp-$1.err" 2>/dev/null | head -20)"
	ok "SIPp $1"
}

sipp_run register-udp u1 range_register.xml "$WORK/ent.csv"
sipp_run register-tcp t1 range_register.xml "$WORK/ent.csv"
sipp_run wrong-credentials u1 range_refused.xml "$WORK/wrong.csv"
sipp_run unknown-proxy-require u1 range_bad_ext.xml "$WORK/ent.csv"

sleep 0.5
kill -INT $TSHARK; wait $TSHARK || true

decode=(-d "udp.port==$PCSCF_PORT,sip" -d "tcp.port==$PCSCF_PORT,sip"
	-d "udp.port==$SCSCF_PORT,sip" -d "tcp.port==$SCSCF_PORT,sip"
	-d "tcp.port==$HSS_PORT,diameter")
count() { tshark -r "$PCAP" "${decode[@]}" -Y "$1" 2>/dev/null | wc -l; }

bad=$(count "_ws.malformed || _ws.expert.severity == error")
[ "$bad" -eq 0 ] || { tshark -r "$PCAP" "${decode[@]}" -Y "_ws.malformed || _ws.expert.severity == error" | head; fail "$bad malformed frames"; }
# 401 + 200 for the REGISTER and for the de-REGISTER, UDP and TCP, both
# hops: the 200s with the block's P-Associated-URI (de-registration: none)
pau=$(count "sip.Status-Code == 200 && frame contains \"$PAU\"")
[ "$pau" -ge 4 ] || fail "200 OK with '$PAU': $pau (want 4: 2 runs x 2 hops)"
gin=$(count "sip.Status-Code == 200 && sip.Supported contains \"gin\"")
[ "$gin" -ge 8 ] || fail "200 OK with Supported: gin: $gin"
mar=$(count "diameter.cmd.code == 303 && diameter.flags.request == 1 && diameter.Public-Identity == \"$WILD\"")
[ "$mar" -ge 5 ] || fail "MAR with Public-Identity $WILD: $mar"
sar=$(count "diameter.cmd.code == 301 && diameter.flags.request == 1 && diameter.Public-Identity == \"$WILD\" && diameter.avp.code == 634")
[ "$sar" -ge 5 ] || fail "SAR with the wildcard as Public- and Wildcarded-Public-Identity: $sar"
forbidden=$(count "sip.Status-Code == 403 && udp.srcport == $PCSCF_PORT")
[ "$forbidden" -eq 1 ] || fail "403 to the wrong credentials: $forbidden"
bad_ext=$(count "sip.Status-Code == 420 && udp.srcport == $PCSCF_PORT")
leaked=$(count "sip.Method == \"REGISTER\" && udp.dstport == $SCSCF_PORT && frame contains \"frob\"")
[ "$bad_ext" -eq 1 ] && [ "$leaked" -eq 0 ] || fail "420 at the P-CSCF: $bad_ext, forwarded anyway: $leaked"
ok "tshark: 0 malformed; 200 with the block's P-Associated-URI $pau; MAR $mar and SAR $sar naming $WILD"

# the trace (the test oracle) has the same on record
grep -q '"summary":"SIP/2.0 200 OK"' "$TRACE" || fail "no 200 OK in the trace"
for p in pcscf scscf hss; do stop $p; done
ok "all processes exited cleanly on SIGTERM"
