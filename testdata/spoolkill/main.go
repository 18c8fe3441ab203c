// Command spoolkill is the program of the spool's kill test
// (TestSpoolSurvivesSIGKILL in spool_test.go): it submits runs through a
// client with a spool, printing each run's ID once Submit returned, then
// delivers them. The test kills it mid-delivery and starts it again on the
// same spool, with -n 0, to deliver what the first one left.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	gentrace "github.com/gentrace/gentrace-go"
)

func main() {
	dir := flag.String("dir", "", "spool directory")
	url := flag.String("url", "", "Gentrace base URL")
	key := flag.String("key", "", "API key")
	n := flag.Int("n", 0, "runs to submit")
	flag.Parse()
	c, err := gentrace.New(
		gentrace.WithAPIKey(*key),
		gentrace.WithBaseURL(*url),
		gentrace.WithSpool(*dir),
		gentrace.WithWorkers(2),
		gentrace.WithRetry(50, 10*time.Millisecond, 100*time.Millisecond),
		gentrace.WithErrorHandler(func(err error) { fmt.Fprintln(os.Stderr, "background:", err) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("recovered %d\n", c.Stats().Recovered)
	ctx := context.Background()
	p, err := c.NewPipeline("spool-kill")
	if err != nil {
		log.Fatal(err)
	}
	for i := range *n {
		_, r, err := p.Start(ctx, gentrace.RunContext{})
		if err != nil {
			log.Fatal(err)
		}
		if err := r.Checkpoint(map[string]any{"i": i}, map[string]any{"answer": i * i}); err != nil {
			log.Fatal(err)
		}
		id, err := r.Submit(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("submitted %s\n", id)
	}
	fmt.Println("all submitted")
	if err := c.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	if err := c.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	s := c.Stats()
	fmt.Printf("done delivered=%d failed=%d dropped=%d\n", s.Delivered, s.Failed, s.Dropped)
}
