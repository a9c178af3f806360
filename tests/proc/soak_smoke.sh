#!/usr/bin/env bash
# The soak in small (about 20 s): 200 users over UDP, TCP and WSS register,
# are refreshed twice by the UE (expires 6 s), de-register, some again,
# with web logins at the WWS; every outcome counted, no failure, RSS flat,
# no descriptor beyond the live connections, every process exits 0 with no
# sanitizer report. The full run is `make soak` (tests/soak/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
export SOAK_USERS=200 SOAK_SECONDS=20 SOAK_EXPIRES=6 SOAK_MARGIN=3 \
	SOAK_SAMPLE_S=1 SOAK_WEB_S=2 SOAK_OUT=build/soak-smoke
exec bash tests/soak/soak.sh "${BIN:-bin}"
