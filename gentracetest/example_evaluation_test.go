package gentracetest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gentrace/gentrace-go/gentracetest"
)

// An evaluation test seeds test cases, lets the code under test fetch them
// and post its results, and checks what arrived.
func ExampleServer_AddTestCases() {
	srv := gentracetest.NewServer()
	defer srv.Close()

	cases := srv.AddTestCases("guess-the-year", gentracetest.Case{
		Name:            "go",
		Inputs:          map[string]any{"question": "When was Go released?"},
		ExpectedOutputs: map[string]any{"answer": "2009"},
	})

	call := func(method, path, body string) string {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprint(resp.StatusCode, " ", len(b) > 0)
	}
	fmt.Println(call(http.MethodGet, "/v1/test-case?pipelineSlug=guess-the-year", ""))
	fmt.Println(call(http.MethodPost, "/v1/test-result-simple", `{
		"pipelineSlug": "guess-the-year",
		"testRuns": [{"caseId": "`+cases[0].ID+`", "inputs": {"question": "When was Go released?"}, "outputs": {"answer": "2009"}}]
	}`))

	res := srv.TestResults()[0]
	fmt.Println(res.PipelineSlug, res.TestRuns[0].CaseID == cases[0].ID, res.TestRuns[0].Outputs["answer"])
	// Output:
	// 200 true
	// 200 true
	// guess-the-year true 2009
}
