#!/usr/bin/env bash
# consumer.sh checks what a program that imports only the core package
# gets (issue 13, SPEC §8): a scratch module at the oldest supported Go
# keeps its go line through `go mod tidy`, and its module graph has no
# OpenTelemetry, openai-go or goleak; its binary embeds no tokenizer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat > go.mod <<MOD
module example.com/consumer

go 1.24

require github.com/gentrace/gentrace-go v0.0.0-00010101000000-000000000000

replace github.com/gentrace/gentrace-go => $root
MOD
cat > main.go <<'GO'
package main

import (
	"context"
	"fmt"

	gentrace "github.com/gentrace/gentrace-go"
)

func main() {
	client, err := gentrace.New(gentrace.WithAPIKey("k"), gentrace.WithBaseURL("http://127.0.0.1:1/api"))
	if err != nil {
		panic(err)
	}
	defer client.Shutdown(context.Background())
	p, _ := client.NewPipeline("consumer")
	_, run, _ := p.Start(context.Background(), gentrace.RunContext{})
	fmt.Println(run.IsRecording())
}
GO
export GOWORK=off GOFLAGS=-mod=mod
go mod tidy
if ! grep -qx 'go 1.24' go.mod; then
  echo "go mod tidy changed the consumer's go line:"; grep '^go ' go.mod; exit 1
fi
if go list -m all | grep -E 'opentelemetry|openai/openai-go|goleak'; then
  echo "the consumer's module graph has the modules above"; exit 1
fi
if go list -deps . | grep -E 'tiktoken|internal/tokens|golang.org/x/image'; then
  echo "a program importing only the core links a tokenizer or image decoders"; exit 1
fi
go build -o consumer . && ./consumer >/dev/null
echo "consumer: go 1.24 kept; no OpenTelemetry, openai-go or goleak in the graph; $(go list -m all | wc -l) modules"
