#!/usr/bin/env bash
# Keeps the examples of a document honest: each fenced code block that
# follows a marker line must be in the repository as shown.
#
#   <!-- the whole of PATH -->   the block is PATH, byte for byte
#   <!-- lines of PATH -->       the block's lines (leading blanks aside, empty
#                                lines skipped) are lines of PATH, in order
#
# PATH is relative to the repository's root. The examples themselves are
# built and tested like any other code (the PL031 server of
# docs/device-servers.md by qemu.linux), so the document shows what runs.
#
# usage: doc-examples.sh ROOT DOC...
set -euo pipefail

root=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checked=0

# The lines of file $1, leading blanks removed, empty ones dropped.
trimmed() {
	sed -e 's/^[[:space:]]*//' -e '/^$/d' "$1"
}

for doc in "$@"; do
	# Split the document's marked blocks into $work/N.block, with N.mode and N.path.
	rm -f "$work"/*
	awk -v dir="$work" '
		match($0, /^<!-- (the whole|lines) of [^ ]+ -->$/) {
			n++
			split($0, w, " ")
			mode = (w[2] == "the") ? "whole" : "lines"
			path = (mode == "whole") ? w[5] : w[4]
			print mode > (dir "/" n ".mode")
			print path > (dir "/" n ".path")
			printf "" > (dir "/" n ".block")
			want = 1
			next
		}
		want == 1 && /^```/ { want = 2; next }
		want == 2 && /^```$/ { want = 0; next }
		want == 2 { print > (dir "/" n ".block") }
	' "$doc"
	for mode_file in "$work"/*.mode; do
		[[ -e $mode_file ]] || continue
		n=${mode_file%.mode}
		mode=$(<"$mode_file")
		path=$(<"$n.path")
		checked=$((checked + 1))
		if [[ ! -f $root/$path ]]; then
			printf 'FAIL %s: example of %s: no such file\n' "$doc" "$path"
			failures=$((failures + 1))
		elif [[ $mode == whole ]]; then
			if ! diff -u --label "$path" --label "$doc" "$root/$path" "$n.block"; then
				printf 'FAIL %s: the example is not the whole of %s\n' "$doc" "$path"
				failures=$((failures + 1))
			fi
		elif ! awk 'NR == FNR { want[++count] = $0; next }
			    next_line < count && $0 == want[next_line + 1] { next_line++ }
			    END { exit next_line == count ? 0 : 1 }
			    BEGIN { next_line = 0 }' \
			<(trimmed "$n.block") <(trimmed "$root/$path"); then
			printf 'FAIL %s: the example'"'"'s lines are not lines of %s, in order\n' \
				"$doc" "$path"
			failures=$((failures + 1))
		fi
	done
done

if ((checked == 0)); then
	printf 'FAIL no marked example in %s\n' "$*"
	exit 1
fi
if ((failures > 0)); then
	printf '%d of %d example(s) differ\n' "$failures" "$checked"
	exit 1
fi
printf 'ok   %d example(s) as in the repository\n' "$checked"
