#!/usr/bin/env bash
# tiktoken-compare.sh compares internal/tokens (tiktoken-go with the
# embedded vocabularies) with the npm package tiktoken, the WebAssembly build
# of OpenAI's own tokenizer, on the texts in bench/texts/: token counts must
# match, and the table shows the throughput and cold-start time of both.
#
#	bench/tiktoken-compare.sh            # from anywhere in the repository
#	COLD_RUNS=9 bench/tiktoken-compare.sh
#
# It needs Go, Node.js 18+ and npm; it installs tiktoken into
# bench/node_modules from package-lock.json.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$bench")"
cold_runs="${COLD_RUNS:-5}"
encodings=(cl100k_base o200k_base)

cd "$bench"
if [[ ! -d node_modules/tiktoken ]]; then
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
	# Cold starts alternate between the sides so that neither gets a warmer
	# machine; each is a fresh process, and the table shows the median.
	for _ in $(seq "$cold_runs"); do
		"$work/counttokens" cold "$enc" >>"$results"
		node count.mjs cold "$enc" >>"$results"
	done
	"$work/counttokens" warm "$enc" "${texts[@]}" >>"$results"
	node count.mjs warm "$enc" "${texts[@]}" >>"$results"
done

echo "internal/tokens (Go) vs npm tiktoken $(node -p 'require("./node_modules/tiktoken/package.json").version') (WebAssembly), $(go version | cut -d' ' -f3), node $(node --version)"
echo
"$work/counttokens" table "$results"
