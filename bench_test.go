package gentrace

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// BenchmarkSubmit measures what a caller pays to record and hand over a run:
// Start, one Checkpoint and Submit. Delivery happens on other goroutines
// against a loopback server that answers at once.
func BenchmarkSubmit(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"pipelineRunId":"x"}`)
	}))
	defer sink.Close()
	for _, steps := range []int{0, 1, 5} {
		b.Run(fmt.Sprintf("steps=%d", steps), func(b *testing.B) {
			c, err := New(WithAPIKey("k"), WithBaseURL(sink.URL+"/api"), WithQueueSize(b.N+1),
				WithQueueBytes(int64(b.N+1)*DefaultMaxRunBytes), WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Shutdown(context.Background())
			p, _ := c.NewPipeline("bench")
			ctx := context.Background()
			inputs := map[string]any{"question": "What is the capital of France?"}
			outputs := map[string]any{"answer": "Paris"}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				_, r, err := p.Start(ctx, RunContext{UserID: "u1"})
				if err != nil {
					b.Fatal(err)
				}
				for range steps {
					if err := r.Checkpoint(inputs, outputs); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.Submit(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := c.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkDelivery measures delivery throughput: runs of three steps
// submitted and flushed to gentracetest, reported as runs/s.
func BenchmarkDelivery(b *testing.B) {
	srv := gentracetest.NewServer()
	defer srv.Close()
	c, err := New(WithAPIKey(srv.APIKey), WithBaseURL(srv.URL), WithQueueSize(b.N+1),
		WithQueueBytes(int64(b.N+1)*DefaultMaxRunBytes), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	p, _ := c.NewPipeline("bench")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		_, r, _ := p.Start(ctx, RunContext{Metadata: Metadata{"i": String(fmt.Sprint(i))}})
		for range 3 {
			_ = r.Checkpoint(map[string]any{"q": "question"}, map[string]any{"a": "answer"})
		}
		if _, err := r.Submit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := srv.Stats().Stored; got != b.N {
		b.Fatalf("server stored %d runs, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "runs/s")
}

// BenchmarkCheckpoint measures recording alone: one Checkpoint with small
// inputs and outputs, snapshotted as JSON.
func BenchmarkCheckpoint(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"pipelineRunId":"x"}`)
	}))
	defer sink.Close()
	c, err := New(WithAPIKey("k"), WithBaseURL(sink.URL+"/api"), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	p, _ := c.NewPipeline("bench")
	inputs := map[string]any{"question": "What is the capital of France?", "n": 3}
	outputs := map[string]any{"answer": "Paris", "sources": []string{"a", "b"}}
	b.ReportAllocs()
	var r *Runner
	for i := range b.N {
		if i%100 == 0 {
			// Runs are ended (and delivered, off the clock) every 100
			// steps: a run left open would be delivered when collected.
			if r != nil {
				b.StopTimer()
				r.End(nil)
				b.StartTimer()
			}
			_, r, _ = p.Start(context.Background(), RunContext{})
		}
		if err := r.Checkpoint(inputs, outputs); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	r.End(nil)
	if err := c.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
}
