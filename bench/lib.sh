# Shared by the benchmarks: where the lab's dumps are, and a timer.
PY=/usr/bin/python3
KDK=${KDUMPKIT_BIN:-build/kdumpkit}

# lab_run ARCH SCENARIO METHOD: the run's folder, captured if missing
lab_run() {
	$PY tests/lab/lab.py path "$@" 2>/dev/null ||
		{ $PY tests/lab/lab.py ensure --arch "$1" --scenario "$2" --method "$3" --no-refs >&2 &&
		  $PY tests/lab/lab.py path "$@"; }
}

# measure NAME CMD...: best wall time of 3 runs in seconds, and peak RSS in
# KiB of the best one; prints "NAME seconds rss_kib"
measure() {
	local name=$1 best="" rss="" out t0 t r
	shift
	out=$(mktemp)
	for _ in 1 2 3; do
		t0=$EPOCHREALTIME
		/usr/bin/time -q -o "$out" -f '%M' "$@" > /dev/null 2>&1 < /dev/null
		t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
		read -r r < "$out"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then
			best=$t
			rss=$r
		fi
	done
	rm -f "$out"
	echo "$name $best $rss"
}

# ratio_time "NAME T ..." "NAME T ...": how many times the second (a
# reference tool) takes longer than the first (kdumpkit), from two
# `measure` lines
ratio_time() {
	read -r kn kt _ <<< "$1"
	read -r n t _ <<< "$2"
	awk -v kn="$kn" -v n="$n" -v kt="$kt" -v t="$t" 'BEGIN {
		printf "ratio %s / %s: time %.1fx\n", n, kn, t / kt }'
}
