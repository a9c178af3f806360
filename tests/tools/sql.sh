#!/usr/bin/env bash
# Every SQL statement is parameterised (issue 9, security): fails on
#  - sqlite3_mprintf/vmprintf/snprintf/str_appendf (SQL built from text),
#  - a printf-style format (snprintf, buf_printf...) that starts an SQL
#    statement (SELECT, INSERT, UPDATE, DELETE, REPLACE, CREATE, DROP,
#    PRAGMA, ALTER) and carries a conversion,
#  - sqlite3_exec/sqlite3_prepare* whose SQL argument is neither string
#    literals nor a `static const char` array of the same file (values go
#    through sqlite3_bind_*).
# Prints file:line: why for each; exits 1 if there is any.
# Usage: tests/tools/sql.sh [FILE...]   (default: every tracked .c file)
set -u
cd "$(dirname "$0")/../.."
if [ $# -gt 0 ]; then files=("$@"); else
	mapfile -t files < <(git ls-files '*.c' | grep -v '^tests/tools/')
fi
perl -e '
my $bad = 0;
for my $f (@ARGV) {
	open(my $fh, "<", $f) or next;
	local $/; my $src = <$fh>; close $fh;
	# Blank comments out (keeping newlines) so line numbers stay right.
	(my $code = $src) =~ s{/\*.*?\*/}{ (my $c = $&) =~ s/[^\n]/ /g; $c }gse;
	my %const;
	while ($code =~ /static\s+const\s+char\s*(?:\*\s*const\s*)?(\w+)\s*\[/g) {
		$const{$1} = 1;
	}
	my $line = sub { my $at = shift; my $pre = substr($code, 0, $at); 1 + ($pre =~ tr/\n//) };
	while ($code =~ /\bsqlite3_(v?mprintf|snprintf|str_v?appendf)\s*\(/g) {
		my $at = $-[0];
		print "$f:", $line->($at), ": sqlite3_$1 builds SQL text\n";
		$bad = 1;
	}
	while ($code =~ /\b(\w*printf)\s*\(([^;]*?)"\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|PRAGMA|ALTER)\b([^"]*)"/gi) {
		my ($fn, $kw, $rest, $at) = ($1, $3, $4, $-[0]);
		next unless $rest =~ /%/;
		print "$f:", $line->($at), ": SQL built with $fn\n";
		$bad = 1;
	}
	while ($code =~ /\bsqlite3_(exec|prepare\w*)\s*\(/g) {
		my ($fn, $pos, $at) = ($1, pos($code), $-[0]);
		# Split the argument list at top-level commas.
		my ($depth, $i, $cur, @args) = (1, $pos, "");
		my $instr = 0;
		while ($i < length($code) && $depth > 0) {
			my $c = substr($code, $i++, 1);
			if ($instr) {
				$cur .= $c;
				if ($c eq "\\") { $cur .= substr($code, $i++, 1); }
				elsif ($c eq "\"") { $instr = 0; }
				next;
			}
			if ($c eq "\"") { $instr = 1; $cur .= $c; next; }
			$depth++ if $c eq "(";
			$depth-- if $c eq ")";
			if (($c eq "," && $depth == 1) || $depth == 0) {
				push @args, $cur; $cur = ""; next;
			}
			$cur .= $c;
		}
		my $sql = $args[1] // "";
		$sql =~ s/^\s+|\s+$//g;
		next if $sql =~ /^("([^"\\]|\\.)*"\s*)+$/s;
		next if $sql =~ /^(\w+)(\s*\[[^\]]*\])?$/ && $const{$1};
		print "$f:", $line->($at), ": sqlite3_$fn with non-constant SQL ($sql)\n";
		$bad = 1;
	}
}
exit $bad;
' "${files[@]}" && echo "sql: ok (${#files[@]} files, every statement constant)"
