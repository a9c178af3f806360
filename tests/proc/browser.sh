#!/usr/bin/env bash
# The teaching demo in a real browser (issue [browser]): `imstb up` on free
# ports (the IMS core, the wws, the wsf, the enterprise WWS and the live
# ladder), then headless Chromium (Debian's chromium, driven by the npm
# package playwright-core: tests/browser/browser.js) logs in as alice on
# the WWS page, registers over WSS with her token, and the ladder must
# show steps 1-12 of Figure 6.X.2.1.2.1-1 in order; then carol, the
# enterprise user, on the enterprise WWS's page (Figure 6.X.2.1.3.3-1).
#  - Chromium: Debian's chromium and chromium-driver, installed here with
#    apt-get when missing and root (not in mk/deps.txt, so that a Chromium
#    that cannot be installed never stops `make check`: the test then says
#    so in one line and is skipped, exit 0);
#  - playwright-core from the npm registry into tests/browser/ (pinned in
#    package.json and package-lock.json; no browser is downloaded);
#  - the screenshots stay in this test's work directory (printed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/bin}
JS=$ROOT/tests/browser
CHROMIUM=/usr/bin/chromium
WORK=$(mktemp -d /tmp/imstb-browser.XXXXXX)
UP_PID=

cleanup() {
	local rc=$?
	if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
		kill -INT "$UP_PID" 2>/dev/null || true
		# imstb up stops its nodes (5 s grace each), then exits
		for _ in $(seq 300); do kill -0 "$UP_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$UP_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ]; then
		echo "--- logs of $WORK ---"
		for f in "$WORK"/up.log "$WORK"/var/up/*.log; do
			[ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }
		done
	fi
	rm -rf "$WORK/profile" "$WORK/var/hss" "$WORK/var/scscf"
	echo "artefacts: $WORK"
	exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

if [ ! -x "$CHROMIUM" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt_in() {
			timeout 600 apt-get install -y -qq --no-install-recommends \
				chromium chromium-driver >>"$WORK/apt.log" 2>&1
		}
		apt_in || { timeout 300 apt-get update -qq >>"$WORK/apt.log" 2>&1 && apt_in; } || true
	fi
	if [ ! -x "$CHROMIUM" ]; then
		echo "SKIP: Chromium cannot be installed here (apt-get install chromium chromium-driver)"
		exit 0
	fi
fi
command -v node >/dev/null || fail "node is missing: apt-get install nodejs"
command -v npm >/dev/null || fail "npm is missing: apt-get install npm"
if [ ! -f "$JS/node_modules/playwright-core/package.json" ]; then
	(cd "$JS" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
		>"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log"; fail "npm ci"; }
fi
ok "$("$CHROMIUM" --version 2>/dev/null | tail -1), playwright-core $(cd "$JS" && node -p 'require("playwright-core/package.json").version')"

# The testbed on free ports, from the work directory (its var/ goes there).
cd "$WORK"
"$BIN/imstb" up --ports random --scenarios "$ROOT/scenarios" >"$WORK/up.log" 2>&1 &
UP_PID=$!
for _ in $(seq 300); do
	grep -q '^  live ladder:' "$WORK/up.log" && break
	kill -0 $UP_PID 2>/dev/null || break
	sleep 0.1
done
grep -q '^  live ladder:' "$WORK/up.log" || { cat "$WORK/up.log"; fail "imstb up did not start"; }
HUB_URL=$(sed -n 's/^  live ladder: \(http[^ ]*\).*/\1/p' "$WORK/up.log")
HUB_URL=${HUB_URL%/}
WWS_URL=$(sed -n 's/^  open the WebRTC client: \(https[^ ]*\).*/\1/p' "$WORK/up.log")
ENT_URL=$(sed -n "s/^  the enterprise user's page: \(https[^ ]*\).*/\1/p" "$WORK/up.log")
[ -n "$HUB_URL" ] && [ -n "$WWS_URL" ] || { cat "$WORK/up.log"; fail "no URLs in the table"; }
ok "imstb up: ladder $HUB_URL, client $WWS_URL, enterprise ${ENT_URL:-none}"

rc=0
HUB_URL=$HUB_URL WWS_URL=$WWS_URL ENT_URL=$ENT_URL WORK=$WORK \
	CHROMIUM=$CHROMIUM NODE_PATH="$JS/node_modules" \
	timeout 300 node "$JS/browser.js" 2>&1 | tee "$WORK/browser.log" || rc=$?
[ "$rc" -eq 0 ] || fail "the browser test (exit $rc)"
ls "$WORK"/*.png >/dev/null 2>&1 || fail "no screenshot"

# The ladder's /figures and a refused cross-origin POST, from the shell.
curl -sf "$HUB_URL/figures" | jq -e '.figures | length > 0' >/dev/null ||
	fail "GET /figures"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' \
	-H 'Content-Type: application/json' -d '{"scenario":null}' "$HUB_URL/select")
[ "$code" = 403 ] || fail "a POST /select from another origin: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'scenario=' "$HUB_URL/select")
[ "$code" = 415 ] || fail "a form POST /select: $code"
ok "the ladder refuses POSTs from other origins and forms"

kill -INT $UP_PID
rc=0; wait $UP_PID || rc=$?
[ $rc -eq 0 ] || { cat "$WORK/up.log"; fail "imstb up exited $rc after SIGINT"; }
grep -q 'every node stopped cleanly' "$WORK/up.log" || fail "no clean stop"
ok "imstb up stopped cleanly"
