#!/usr/bin/env bash
# make style: the house rules a compiler does not check (STYLE.md rule 14).
# Prints file:line: rule for each fault; exits 1 if there is any.
set -u
export LC_ALL=C # byte-wise awk; UTF-8 continuation bytes are skipped below
cd "$(dirname "$0")/../.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
bad=0
report() { echo "$1"; bad=1; }

for f in $files; do
	# Trailing whitespace, // comments, lines over 80 columns (tab = 8).
	awk -v f="$f" '
		/[ \t]+$/ { print f ":" NR ": trailing whitespace" }
		/^[^"]*\/\// && !/https?:\/\// { print f ":" NR ": // comment" }
		{ line = $0; w = 0
		  for (i = 1; i <= length(line); i++) {
			c = substr(line, i, 1)
			if (c == "\t") w = int(w / 8) * 8 + 8
			else if (c !~ /[\200-\277]/) w++ # UTF-8: count characters
		  }
		  if (w > 80) print f ":" NR ": longer than 80 columns (" w ")" }
	' "$f" | while read -r l; do echo "$l"; done > /tmp/style.$$
	if [ -s /tmp/style.$$ ]; then cat /tmp/style.$$; bad=1; fi
	rm -f /tmp/style.$$
	n=$(wc -l < "$f")
	case "$f" in
	*.c) [ "$n" -le 800 ] || report "$f: $n lines (at most 800 per .c)" ;;
	lib/*.h) [ "$n" -le 300 ] || report "$f: $n lines (at most 300 per public header)" ;;
	esac
	grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets|strtok)\s*\(' "$f" |
		grep -v 'snprintf\|vsnprintf' |
		while IFS=: read -r ln _; do echo "$f:$ln: banned call"; done > /tmp/style.$$
	if [ -s /tmp/style.$$ ]; then cat /tmp/style.$$; bad=1; fi
	rm -f /tmp/style.$$
done
# Every SQL statement is parameterised (issue 9).
bash tests/tools/sql.sh >/dev/null || { bash tests/tools/sql.sh; bad=1; }
[ $bad -eq 0 ] && echo "style: ok ($(echo "$files" | wc -w) files)"
exit $bad
