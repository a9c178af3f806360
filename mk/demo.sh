#!/usr/bin/env bash
# make demo: replay every scenario in scenarios/ through the real processes
# with bin/imstb, print each step's verdict and its ladder diagram, and
# leave an HTML report, a pcapng and a JUnit file under var/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-bin}
OUT=var/demo
mkdir -p "$OUT"
rc=0
"$BIN/imstb" run --html "$OUT/report.html" --pcap "$OUT/run.pcapng" \
	--junit "$OUT/junit.xml" scenarios/ || rc=$?
cat <<EOM

Artefacts of this run:
  $OUT/report.html   every ladder as SVG; click an arrow to see the message
  $OUT/run.pcapng    every message with its real addresses (tshark -r, Wireshark)
  $OUT/junit.xml     one testcase per scenario
Start the testbed by hand with: bin/imstb up   (Ctrl-C stops it)
EOM
exit $rc
