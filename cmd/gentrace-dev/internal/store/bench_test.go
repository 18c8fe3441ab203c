package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gentrace/gentrace-go/internal/benchkit"
	"github.com/gentrace/gentrace-go/internal/contract"
	"github.com/google/uuid"
)

// BenchmarkAddRun stores 3-step runs from several goroutines at once, as
// the API's handlers do, and reports the process's CPU time per run beside
// the wall time (steadier on a shared machine).
func BenchmarkAddRun(b *testing.B) {
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrent=%d", conc), func(b *testing.B) {
			s, _ := open(b)
			runs := make([]contract.Run, b.N)
			for i := range runs {
				runs[i] = run(b, uuid.NewString(), "", t0.Add(time.Duration(i)*time.Second), 3, func(m map[string]any) {
					m["metadata"] = map[string]any{"env": map[string]any{"type": "string", "value": "prod"}}
				})
			}
			work := make(chan int)
			var wg sync.WaitGroup
			for range conc {
				wg.Go(func() {
					for i := range work {
						if _, err := s.AddRun(context.Background(), runs[i], t0); err != nil {
							b.Error(err)
						}
					}
				})
			}
			b.ResetTimer()
			cpu := benchkit.ProcessCPU()
			for i := range b.N {
				work <- i
			}
			close(work)
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64((benchkit.ProcessCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/run")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}
