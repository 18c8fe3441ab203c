package gentracetest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	gentrace "github.com/gentrace/gentrace-go"
	"github.com/gentrace/gentrace-go/gentracetest"
)

// A test checks what the client reported in the background: here a run
// the backend refuses for good.
func ExampleErrorLog() {
	srv := gentracetest.NewServer()
	defer srv.Close()
	srv.FailNext(1, http.StatusBadRequest) // not retried

	var errs gentracetest.ErrorLog
	gc, err := gentrace.New(gentrace.WithBaseURL(srv.URL), gentrace.WithAPIKey(srv.APIKey),
		gentrace.WithErrorHandler(errs.Add), gentrace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	defer gc.Shutdown(context.Background())
	pipeline, _ := gc.NewPipeline("support")
	_, run, _ := pipeline.Start(context.Background(), gentrace.RunContext{})
	run.End(nil)
	_ = gc.Flush(context.Background())

	for _, err := range errs.Errors() {
		var apiErr *gentrace.APIError
		if errors.As(err, &apiErr) {
			fmt.Println(apiErr.Method, apiErr.Path, apiErr.StatusCode)
		}
	}
	fmt.Println("failed:", gc.Stats().Failed)
	// Output:
	// POST /v1/run 400
	// failed: 1
}
