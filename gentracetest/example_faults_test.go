package gentracetest_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// A retry test queues faults, then checks that the client's retries stored
// the run once.
func ExampleServer_FailNextWithRetryAfter() {
	srv := gentracetest.NewServer()
	defer srv.Close()

	srv.FailNextWithRetryAfter(1, http.StatusTooManyRequests, "2")
	srv.LoseResponseNext(1) // stored, but the client sees a broken connection

	post := func() {
		body := `{"id": "9b2f3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d", "stepRuns": []}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println("connection error")
			return
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for range 3 { // what a client's retry loop would do
		post()
	}
	fmt.Printf("%+v\n", srv.Stats())
	// Output:
	// 429 Retry-After="2"
	// connection error
	// 200 Retry-After=""
	// {Requests:3 Stored:1 Duplicates:1 Rejected:0 Faults:2 TestResults:0}
}
