package gentracetest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// A test posts a run the way the SDK does and reads back what the server
// stored.
func Example() {
	srv := gentracetest.NewServer()
	defer srv.Close()

	body := `{
		"id": "0f8fad5b-d9cb-469f-a165-70867728950e",
		"slug": "guess-the-year",
		"collectionMethod": "runner",
		"metadata": {"env": {"type": "string", "value": "test"}},
		"stepRuns": [{
			"providerName": "undeclared",
			"invocation": "undeclared",
			"modelParams": {},
			"inputs": {"question": "When was Go released?"},
			"outputs": {"answer": "2009", "cost": {"type": "dollars", "value": 0.0002}},
			"context": {"userId": "user-42"},
			"elapsedTime": 12,
			"startTime": "2023-03-23T21:16:37.176Z",
			"endTime": "2023-03-23T21:16:37.188Z"
		}]
	}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/run", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(answer)))

	// Runs delivered in the background are waited for, not slept on.
	if err := srv.WaitForRuns(context.Background(), 1); err != nil {
		fmt.Println(err)
		return
	}
	run, _ := srv.Run("0f8fad5b-d9cb-469f-a165-70867728950e")
	step := run.StepRuns[0]
	fmt.Println(run.Slug, run.Metadata["env"].Value, step.Context.UserID, step.Inputs["question"], step.ElapsedTime)

	// A malformed run is refused with a message naming the field.
	bad := strings.Replace(body, `"value": "test"`, `"value": 1`, 1)
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/v1/run", strings.NewReader(bad))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err = srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	answer, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(answer)))
	fmt.Printf("%+v\n", srv.Stats())
	// Output:
	// 200 {"pipelineRunId":"0f8fad5b-d9cb-469f-a165-70867728950e"}
	// guess-the-year test user-42 When was Go released? 12
	// 400 {"message":"metadata[\"env\"].value must be a string, got number"}
	// {Requests:2 Stored:1 Duplicates:0 Rejected:1 Faults:0 TestResults:0}
}
