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
# Then (issue [token], TR 23.701 Figure 6.X.2.1.2.1-1) alice logs in at a
# real bin/wws, and JsSIP registers and de-registers with the token alone
# (its authorization_jwt setting: `Authorization: Bearer <JWT>`, then TS
# 24.371's `Bearer access_token="<JWT>"`); the wsf has the WWS introspect
# it and registers alice as trusted node authentication (auth-done, SAR
# only): the trusted path is wired here as the runner does it.
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

# The core with the trusted path of the token flow: the P-CSCF keeps
# auth-done only from the wsf's SIP port, the S-CSCF honours it only from
# the P-CSCF (what imstb's launcher sets for every run).
HSS_PORT=$(free_port); SCSCF_PORT=$(free_port); PCSCF_PORT=$(free_port)
WSS_PORT=$(free_port); WS_PORT=$(free_port); WSF_SIP=$(free_port)
WWS_PORT=$(free_port)
WWS=https://127.0.0.1:$WWS_PORT
TRACE=$WORK/trace.jsonl
start hss hss-sim --set port=$HSS_PORT --set db=$WORK/hss.db \
	--set trace_file=$TRACE
wait_port $HSS_PORT tcp
start scscf scscf-sim --set port=$SCSCF_PORT --set hss_port=$HSS_PORT \
	--set db=$WORK/scscf.db --set trace_file=$TRACE \
	--set service_route="sip:orig@127.0.0.1:$SCSCF_PORT;lr" \
	--set trust_auth_done=true --set trusted_peers=127.0.0.1:$PCSCF_PORT
wait_port $SCSCF_PORT udp
start pcscf pcscf-sim --set port=$PCSCF_PORT --set scscf_port=$SCSCF_PORT \
	--set trace_file=$TRACE \
	--set path_uri="sip:term@127.0.0.1:$PCSCF_PORT;lr" \
	--set trusted_edges=127.0.0.1:$WSF_SIP
wait_port $PCSCF_PORT udp
start wws wws --set port=$WWS_PORT --set db=$WORK/wws.db \
	--set cert=$WORK/wws/cert.pem --set key=$WORK/wws/key.pem \
	--set signing_key=$WORK/wws/signing.pem --set issuer=$WWS \
	--set pbkdf2_iterations=1000 --set trace_file=$TRACE \
	--set wsf_url=wss://127.0.0.1:$WSS_PORT
wait_port $WWS_PORT tcp
start wsf wsf --set wss_port=$WSS_PORT --set ws_port=$WS_PORT \
	--set sip_port=$WSF_SIP --set pcscf_port=$PCSCF_PORT \
	--set cert=$WORK/wsf/cert.pem --set key=$WORK/wsf/key.pem \
	--set allowed_origins=$WWS --set trace_file=$TRACE \
	--set token_check=introspect --set trusted_wws=$WWS
wait_port $WSS_PORT tcp

run_jssip() { # NAME ENV...: runs register.js, output in WORK/NAME.out
	local name=$1; shift
	env WSF_URL=wss://127.0.0.1:$WSS_PORT ORIGIN=$WWS \
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

# The token flow: a web login at the WWS, then JsSIP with the token only.
count401() { # 401s the wsf sent to a client so far
	jq -r 'select(.node == "wsf" and .dir == "send" and
		.transport == "wss" and (.summary | startswith("SIP/2.0 401")))
		| .summary' "$TRACE" | wc -l
}
n401=$(count401)
b64url() { # RFC 4648 section 5, unpadded (a JWT part) -> bytes
	local s
	s=$(tr '_-' '/+')
	while [ $((${#s} % 4)) -ne 0 ]; do s="$s="; done
	base64 -d <<<"$s"
}
login() { # the token of alice's web login (steps 2-3)
	curl -sk --max-time 10 -H 'Content-Type: application/json' \
		-d '{"id":"alice@web.example.com","password":"alice-web"}' \
		"$WWS/login" | jq -re .token
}
for form in bearer access_token; do
	tok=$(login) || fail "no token from the wws's /login"
	rc=0; run_jssip "token-$form" TOKEN="$tok" TOKEN_FORM=$form || rc=$?
	out=$(cat "$WORK/token-$form.out")
	grep -qx 'registered 200' <<<"$out" ||
		fail "JsSIP with a token ($form) did not register: $out"
	grep -qx 'unregistered 200' <<<"$out" ||
		fail "JsSIP with a token ($form) did not de-register: $out"
	[ $rc -eq 0 ] || fail "register.js with a token exited $rc"
	jti=$(cut -d. -f2 <<<"$tok" | b64url | jq -r .jti || true)
	[ -n "$jti" ] && [ "$jti" != null ] || fail "token without a jti: $tok"
	# JsSIP's REGISTER carried exactly this token, in this form (the
	# trace shows its header and claims; the signature is redacted).
	tokp=${tok%.*}.
	want="Authorization: Bearer $tokp"
	[ $form = access_token ] && want="Authorization: Bearer access_token=\"$tokp"
	reg=$(jq -r --arg t "$tokp" 'select(.node == "wsf" and .dir == "recv"
		and .transport == "wss" and (.raw | @base64d | contains($t)))
		| .raw' "$TRACE" | head -1 | base64 -d)
	grep -qF "$want" <<<"$reg" || fail "no JsSIP REGISTER with $want: $reg"
	grep -q '^User-Agent: JsSIP' <<<"$reg" || fail "not JsSIP's: $reg"
	# Steps 6-7 for this token; then TNA towards IMS.
	intro=$(jq -r --arg t "$tokp" 'select(.node == "wws" and .dir == "recv"
		and (.summary | startswith("POST /introspect"))
		and (.raw | @base64d | contains($t))) | .raw' "$TRACE" |
		head -1 | base64 -d)
	grep -q '^Authorization: Basic ' <<<"$intro" ||
		fail "no introspection of the token by the wsf: $intro"
	ok "JsSIP registered (200) and de-registered (200) with a token ($form: $(cut -c1-40 <<<"$want")...), introspected at the WWS"
done
tna=$(jq -r 'select(.node == "scscf" and .dir == "recv" and
	(.summary | startswith("REGISTER")) and
	(.raw | @base64d | contains("integrity-protected=\"auth-done\"")))
	| .raw' "$TRACE" | base64 -d)
grep -q '^Authorization: Digest username="alice@ims.example.com"' <<<"$tna" ||
	fail "no TNA REGISTER (auth-done) at the S-CSCF"
! grep -qi 'Bearer' <<<"$tna" || fail "a token reached the S-CSCF: $tna"
[ "$(count401)" -eq "$n401" ] ||
	fail "a 401 to JsSIP in the token runs ($(count401) - $n401)"
ok "trace: the token never left the wsf; the S-CSCF got TNA REGISTERs (auth-done); no 401 for the token runs"

for p in wsf wws pcscf scscf hss; do stop $p; done
ok "all processes exited cleanly on SIGTERM"
