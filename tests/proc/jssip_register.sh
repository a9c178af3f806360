#!/usr/bin/env bash
# JsSIP, a real WebRTC SIP library (npm package jssip, under node with the
# ws package), registers alice through a real bin/wsf -> pcscf-sim ->
# scscf-sim <-> hss-sim chain over WSS with MD5 digest, then de-registers
# (issue [webrtc]). JsSIP sends no initial Authorization (the S-CSCF
# derives the IMPI) and, before 3.10, no `Supported: path` (the P-CSCF adds
# Path anyway: path_policy add): it must register all the same.
#  - the packages are installed into tests/jssip/ from the npm registry at
#    test time (versions pinned in package.json and package-lock.json);
#  - node is Debian's nodejs (mk/deps.txt); npm comes with it or from
#    Debian's npm package, installed here when missing (as root);
#  - the trace shows JsSIP's REGISTER over wss at the wsf, the wsf's Path
#    with a flow token and ;ob towards the P-CSCF, and both 200s back.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JS=$ROOT/tests/jssip

command -v node >/dev/null || fail "node is missing: apt-get install nodejs"
if ! command -v npm >/dev/null; then
	[ "$(id -u)" -eq 0 ] || fail "npm is missing: apt-get install npm"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends npm >/dev/null ||
		fail "cannot install Debian's npm"
fi
if [ ! -d "$JS/node_modules/jssip" ] || [ ! -d "$JS/node_modules/ws" ]; then
	(cd "$JS" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
		>"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log"; fail "npm ci"; }
fi
ok "jssip $(cd "$JS" && node -p 'require("jssip/package.json").version') and ws $(cd "$JS" && node -p 'require("ws/package.json").version') installed"

start_core
WSS_PORT=$(free_port); WS_PORT=$(free_port); WSF_SIP=$(free_port)
start wsf wsf --set wss_port=$WSS_PORT --set ws_port=$WS_PORT \
	--set sip_port=$WSF_SIP --set pcscf_port=$PCSCF_PORT \
	--set cert=$WORK/wsf/cert.pem --set key=$WORK/wsf/key.pem \
	--set allowed_origins=https://127.0.0.1:8443 --set trace_file=$TRACE
wait_port $WSS_PORT tcp

run_jssip() { # NAME ENV...: runs register.js, output in WORK/NAME.out
	local name=$1; shift
	env WSF_URL=wss://127.0.0.1:$WSS_PORT ORIGIN=https://127.0.0.1:8443 \
		IMPU=sip:alice@ims.example.com IMPI=alice@ims.example.com \
		PASSWORD=alice-pass EXPIRES=600 TIMEOUT_MS=20000 "$@" \
		timeout 30 node "$JS/register.js" >"$WORK/$name.out" \
		2>"$WORK/$name.log"
}

rc=0; run_jssip good || rc=$?
cat "$WORK/good.out"
grep -qx 'registered 200' "$WORK/good.out" ||
	fail "JsSIP did not register: $(cat "$WORK/good.out")"
grep -qx 'unregistered 200' "$WORK/good.out" ||
	fail "JsSIP did not de-register: $(cat "$WORK/good.out")"
[ $rc -eq 0 ] || fail "register.js exited $rc"
ok "JsSIP registered (200) and de-registered (200) through the wsf"

# What crossed the wire, from the trace.
raw() { # jq filter on the trace -> the raw SIP of the first match
	jq -rs "map(select($1)) | .[0].raw // empty" "$TRACE" | base64 -d
}
reg=$(raw '.node == "wsf" and .dir == "recv" and .transport == "wss" and
	(.summary | startswith("REGISTER"))')
grep -q '^User-Agent: JsSIP' <<<"$reg" || fail "no JsSIP REGISTER at the wsf"
grep -qi '^Via: SIP/2.0/WSS [^ ]*\.invalid;' <<<"$reg" ||
	fail "JsSIP's Via is not WSS .invalid: $reg"
! grep -qi '^Authorization:' <<<"$reg" ||
	fail "JsSIP's first REGISTER has an Authorization: $reg"
fwd=$(raw '.node == "pcscf" and .dir == "recv" and
	(.summary | startswith("REGISTER"))')
grep -q '^Path: <sip:[^@]*@127.0.0.1:[0-9]*;transport=udp;lr;ob>' <<<"$fwd" ||
	fail "no flow-token Path from the wsf: $fwd"
n200=$(jq -r 'select(.node == "wsf" and .dir == "send" and
	.transport == "wss" and (.summary | startswith("SIP/2.0 200")))' \
	"$TRACE" | grep -c '"node"' || true)
[ "$n200" -ge 2 ] || fail "the wsf sent $n200 200 OK over wss, expected 2"
ok "trace: JsSIP's REGISTER over wss (Via .invalid, no Authorization), Path with ;ob, $n200 200 OK back"

# A wrong password: JsSIP reports the failure, nothing registered.
rc=0; run_jssip bad PASSWORD=wrong || rc=$?
grep -q '^FAIL: registration failed' "$WORK/bad.out" ||
	fail "wrong password: $(cat "$WORK/bad.out")"
[ $rc -ne 0 ] || fail "wrong password: register.js exited 0"
ok "JsSIP with a wrong password: $(cat "$WORK/bad.out")"

for p in wsf pcscf scscf hss; do stop $p; done
ok "all processes exited cleanly on SIGTERM"
