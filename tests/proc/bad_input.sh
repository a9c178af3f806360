#!/usr/bin/env bash
# Bad input at every process edge gets a clear answer and changes nothing:
# malformed SIP over UDP and TCP -> 400 naming the fault; unparseable junk
# over UDP -> dropped; a malformed Diameter message -> an answer with the
# right Result-Code; and each process then still serves a good request.
. "$(dirname "$0")/lib.sh"
start_core

# sip_udp/sip_tcp PORT: send stdin, print what comes back within 2 s.
sip_udp() { socat -t 2 - "UDP:127.0.0.1:$1" 2>/dev/null || true; }
sip_tcp() { socat -t 2 - "TCP:127.0.0.1:$1" 2>/dev/null || true; }
crlf() { sed 's/$/\r/'; }

msg() { # method cseq-line [extra header]
	crlf <<EOM
$1 sip:ims.example.com SIP/2.0
Via: SIP/2.0/$4 127.0.0.1:9;branch=z9hG4bK-bad-$RANDOM;rport
Max-Forwards: 70
From: <sip:alice@ims.example.com>;tag=bad1
To: <sip:alice@ims.example.com>
Call-ID: bad-input-$RANDOM
$2
${3:-X-Test: 1}
Content-Length: 0

EOM
}

for port in $PCSCF_PORT $SCSCF_PORT; do
	out=$(msg REGISTER "CSeq: abc REGISTER" "" UDP | sip_udp $port)
	echo "$out" | head -1 | grep -q "^SIP/2.0 400 .*CSeq" ||
		fail "bad CSeq over UDP to :$port: got '$(echo "$out" | head -1)'"
	out=$(msg REGISTER "CSeq: 1 INVITE" "" TCP | sip_tcp $port)
	echo "$out" | head -1 | grep -q "^SIP/2.0 400" ||
		fail "CSeq method mismatch over TCP to :$port: got '$(echo "$out" | head -1)'"
	out=$(msg REGISTER "CSeq: 1 REGISTER" "Max-Forwards: many" UDP | sip_udp $port)
	echo "$out" | head -1 | grep -q "^SIP/2.0 400" ||
		fail "bad Max-Forwards to :$port: got '$(echo "$out" | head -1)'"
	out=$(head -c 300 /dev/urandom | tr -d '\r\n' | sip_udp $port)
	[ -z "$out" ] || fail "junk over UDP to :$port was answered: '$out'"
	# Over TCP the body length is the framing: a lie gets 400, then close.
	out=$( (msg OPTIONS "CSeq: 1 OPTIONS" "" TCP | sed 's/Content-Length: 0/Content-Length: -5/') | sip_tcp $port)
	echo "$out" | head -1 | grep -q "^SIP/2.0 400" ||
		fail "negative Content-Length over TCP to :$port: got '$(echo "$out" | head -1)'"
	out=$(msg OPTIONS "CSeq: 7 OPTIONS" "" UDP | sip_udp $port)
	echo "$out" | head -1 | grep -q "^SIP/2.0 200" ||
		fail ":$port stopped serving after bad input: '$(echo "$out" | head -1)'"
	ok "SIP :$port answers bad input with 400, drops junk, keeps serving"
done

# Diameter: a CER whose Origin-Host AVP claims 100 bytes in a 32-byte
# message: DIAMETER_INVALID_AVP_LENGTH (5014 = 0x00001396) comes back.
# (printf straight into the pipe: a shell variable cannot hold NUL bytes)
ans=$(printf '\x01\x00\x00\x20\x80\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x01\x08\x40\x00\x00\x64abcd' |
	socat -t 2 - "TCP:127.0.0.1:$HSS_PORT" | od -An -tx1 | tr -d ' \n')
echo "$ans" | grep -q "0000010c4000000c00001396" || fail "malformed CER: expected Result-Code 5014, got '$ans'"
# Junk that is not Diameter at all: the connection is closed, nothing else.
head -c 64 /dev/urandom | socat -t 1 - "TCP:127.0.0.1:$HSS_PORT" >/dev/null 2>&1 || true
ok "Diameter: bad AVP length answered with 5014; junk closes the connection"

# The chain still works end to end: a REGISTER gets its 401 (MAR went through).
out=$(msg REGISTER "CSeq: 1 REGISTER" "Contact: <sip:alice@127.0.0.1:9>" UDP | sip_udp $PCSCF_PORT)
echo "$out" | head -1 | grep -q "^SIP/2.0 401" || fail "after bad input the core did not challenge: '$(echo "$out" | head -1)'"
ok "core still registers after bad input"
for p in pcscf scscf hss; do stop $p; done
