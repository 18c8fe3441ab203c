#!/usr/bin/env bash
# tiktoken-compare.sh compares internal/tokens (this module's tokenizer, with
# the embedded vocabularies) with two npm tokenizers on the texts in
# bench/texts/: tiktoken, the WebAssembly build of OpenAI's own tokenizer,
# and gpt-tokenizer, the fastest pure-JavaScript one. Token counts must be
# equal; the table shows the throughput of all three (first pass and with
# piece caches warm) and their cold-start times. Every side runs in this one
# invocation, on the same machine and texts.
#
#	bench/tiktoken-compare.sh            # from anywhere in the repository
#	COLD_RUNS=9 bench/tiktoken-compare.sh
#
# It needs Go, Node.js 18+ and npm; it installs the npm packages into
# bench/node_modules from package-lock.json. It exits non-zero if any count
# differs.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$bench")"
cold_runs="${COLD_RUNS:-5}"
encodings=(cl100k_base o200k_base)
libraries=(tiktoken gpt-tokenizer)

cd "$bench"
if [[ ! -d node_modules/tiktoken || ! -d node_modules/gpt-tokenizer ]]; then
	npm ci --no-audit --no-fund --loglevel=error
fi

# The long text is generated, not stored: same bytes on every machine.
(cd "$root" && go run ./bench/cmd/gentext) > texts/long.txt
texts=(texts/english.txt texts/multilingual.txt texts/code.txt texts/long.txt)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/counttokens" ./bench/cmd/counttokens)
results="$work/results.jsonl"

for enc in "${encodings[@]}"; do
	# Cold starts alternate between the sides so that none gets a warmer
	# machine; each is a fresh process, and the table shows the median.
	for _ in $(seq "$cold_runs"); do
		"$work/counttokens" cold "$enc" >>"$results"
		for lib in "${libraries[@]}"; do
			node count.mjs cold "$lib" "$enc" >>"$results"
		done
	done
	"$work/counttokens" warm "$enc" "${texts[@]}" >>"$results"
	for lib in "${libraries[@]}"; do
		node count.mjs warm "$lib" "$enc" "${texts[@]}" >>"$results"
	done
done

echo "internal/tokens (Go) vs npm tiktoken $(node -p 'require("./node_modules/tiktoken/package.json").version') (WebAssembly)" \
	"and gpt-tokenizer $(node -p 'require("./node_modules/gpt-tokenizer/package.json").version') (JavaScript)," \
	"$(go version | cut -d' ' -f3), node $(node --version), $(nproc) CPUs"
echo
"$work/counttokens" table "$results" | tee "$work/table.txt"
! grep -q "counted differently" "$work/table.txt"
