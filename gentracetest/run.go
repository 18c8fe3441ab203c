package gentracetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// A Run is a pipeline run the server stored from POST /api/v1/run.
//
// Optional fields the request left out or set to null are zero; Body holds
// the exact request bytes for assertions that need to tell them apart, or
// for golden-file comparisons. A Run shares its maps and slices with the
// server's record: treat it as read-only.
type Run struct {
	ID               string
	Slug             string
	CollectionMethod string
	PreviousRunID    string
	Metadata         map[string]MetadataValue
	StepRuns         []StepRun
	Error            string

	// Body is the request body exactly as received.
	Body []byte
	// Header is the request's header, without Authorization.
	Header http.Header
}

// A StepRun is one decoded element of a run's stepRuns.
type StepRun struct {
	ProviderName string
	Invocation   string
	// ModelParams, Inputs and Outputs are decoded with encoding/json, so
	// numbers are float64.
	ModelParams map[string]any
	Inputs      map[string]any
	Outputs     map[string]any
	Context     StepContext
	// ElapsedTime is the step's duration in milliseconds, as sent.
	ElapsedTime int64
	StartTime   time.Time
	EndTime     time.Time
	Error       string
}

// StepContext is the decoded context of a step.
type StepContext struct {
	UserID   string
	Render   *Render // nil when absent
	Metadata map[string]MetadataValue
}

// Render is a step's render hint, such as {"type": "html", "key": "page"}.
type Render struct {
	Type string
	Key  string
}

// parseRun validates a run body against the contract and decodes it. It
// checks only the body; rules that need the server's state (deduplication,
// previousRunId reuse) are applied by handleRun.
func parseRun(body []byte) (Run, error) {
	o, err := decodeBody(body)
	if err != nil {
		return Run{}, err
	}
	var run Run
	raw, _, err := o.field("id", true, false)
	if err != nil {
		return Run{}, err
	}
	if run.ID, err = parseUUID("id", raw, true); err != nil {
		return Run{}, err
	}
	if run.Slug, err = o.str("slug", false, false); err != nil {
		return Run{}, err
	}
	if run.CollectionMethod, err = o.str("collectionMethod", false, false); err != nil {
		return Run{}, err
	}
	if _, present := o.fields["collectionMethod"]; present && run.CollectionMethod != "manual" && run.CollectionMethod != "runner" {
		return Run{}, fmt.Errorf(`collectionMethod must be "manual" or "runner", got %q`, run.CollectionMethod)
	}
	if raw, ok, err := o.field("previousRunId", false, true); err != nil {
		return Run{}, err
	} else if ok {
		if run.PreviousRunID, err = parseUUID("previousRunId", raw, false); err != nil {
			return Run{}, err
		}
		if strings.EqualFold(run.PreviousRunID, run.ID) {
			return Run{}, fmt.Errorf("previousRunId must not be the run's own id %q", run.ID)
		}
	}
	if raw, ok, err := o.field("metadata", false, true); err != nil {
		return Run{}, err
	} else if ok {
		if run.Metadata, err = parseMetadata("metadata", raw); err != nil {
			return Run{}, err
		}
	}
	if run.Error, err = o.str("error", false, true); err != nil {
		return Run{}, err
	}
	raw, _, err = o.field("stepRuns", true, false)
	if err != nil {
		return Run{}, err
	}
	if err := wantKind("stepRuns", raw, "array"); err != nil {
		return Run{}, err
	}
	var steps []json.RawMessage
	if err := json.Unmarshal(raw, &steps); err != nil {
		return Run{}, fmt.Errorf("stepRuns: %v", err)
	}
	run.StepRuns = make([]StepRun, len(steps))
	for i, raw := range steps {
		if run.StepRuns[i], err = parseStep(fmt.Sprintf("stepRuns[%d]", i), raw); err != nil {
			return Run{}, err
		}
	}
	return run, nil
}

func parseStep(path string, raw json.RawMessage) (StepRun, error) {
	o, err := parseObject(path, raw)
	if err != nil {
		return StepRun{}, err
	}
	var step StepRun
	if step.ProviderName, err = o.str("providerName", true, false); err != nil {
		return StepRun{}, err
	}
	if step.Invocation, err = o.str("invocation", true, false); err != nil {
		return StepRun{}, err
	}
	for _, f := range []struct {
		key string
		dst *map[string]any
	}{
		{"modelParams", &step.ModelParams},
		{"inputs", &step.Inputs},
		{"outputs", &step.Outputs},
	} {
		obj, _, err := o.obj(f.key, true, false)
		if err != nil {
			return StepRun{}, err
		}
		if f.key == "outputs" {
			if err := checkCost(obj); err != nil {
				return StepRun{}, err
			}
		}
		if *f.dst, err = parseMap(obj.path, o.fields[f.key]); err != nil {
			return StepRun{}, err
		}
	}
	if step.Context, err = parseStepContext(o); err != nil {
		return StepRun{}, err
	}
	raw, _, err = o.field("elapsedTime", true, false)
	if err != nil {
		return StepRun{}, err
	}
	if step.ElapsedTime, err = parseMillis(o.at("elapsedTime"), raw); err != nil {
		return StepRun{}, err
	}
	for _, f := range []struct {
		key string
		dst *time.Time
	}{
		{"startTime", &step.StartTime},
		{"endTime", &step.EndTime},
	} {
		raw, _, err := o.field(f.key, true, false)
		if err != nil {
			return StepRun{}, err
		}
		if *f.dst, err = parseTime(o.at(f.key), raw); err != nil {
			return StepRun{}, err
		}
	}
	if step.Error, err = o.str("error", false, true); err != nil {
		return StepRun{}, err
	}
	return step, nil
}

func parseStepContext(step object) (StepContext, error) {
	o, ok, err := step.obj("context", false, false)
	if err != nil || !ok {
		return StepContext{}, err
	}
	var c StepContext
	if c.UserID, err = o.str("userId", false, false); err != nil {
		return StepContext{}, err
	}
	if render, ok, err := o.obj("render", false, false); err != nil {
		return StepContext{}, err
	} else if ok {
		c.Render = new(Render)
		if c.Render.Type, err = render.str("type", true, false); err != nil {
			return StepContext{}, err
		}
		if c.Render.Key, err = render.str("key", false, false); err != nil {
			return StepContext{}, err
		}
	}
	if raw, ok, err := o.field("metadata", false, true); err != nil {
		return StepContext{}, err
	} else if ok {
		if c.Metadata, err = parseMetadata(o.at("metadata"), raw); err != nil {
			return StepContext{}, err
		}
	}
	return c, nil
}

// handleRun serves POST /api/v1/run.
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request, body []byte) {
	run, err := parseRun(body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, err.Error())
		return
	}
	run.Body = body
	run.Header = recordedHeader(r)
	id := strings.ToLower(run.ID)
	prev := strings.ToLower(run.PreviousRunID)

	s.mu.Lock()
	_, duplicate := s.runIndex[id]
	other, reused := s.nextOf[prev]
	switch {
	case duplicate:
		// A retry of a run already stored: the client did not see the
		// first answer, so answer again without storing twice. This is
		// checked before reuse so that a retry naming the same previous
		// run is not mistaken for a second run in the thread.
		s.stats.Duplicates++
		s.notifyLocked()
	case prev != "" && reused:
		s.stats.Rejected++
		s.notifyLocked()
		s.mu.Unlock()
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf(
			"previousRunId %q is already the previous run of run %q: threads are singly-linked",
			run.PreviousRunID, other))
		return
	case prev != "" && s.cfg.strictThreads && !s.storedLocked(prev):
		s.stats.Rejected++
		s.notifyLocked()
		s.mu.Unlock()
		writeMessage(w, http.StatusBadRequest, fmt.Sprintf(
			"previousRunId %q names no stored run (the server checks threads: WithStrictThreads)", run.PreviousRunID))
		return
	default:
		if prev != "" {
			s.nextOf[prev] = run.ID
		}
		s.runIndex[id] = len(s.runs)
		s.runs = append(s.runs, run)
		s.notifyLocked()
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"pipelineRunId": run.ID})
}

func (s *Server) storedLocked(lowerID string) bool {
	_, ok := s.runIndex[lowerID]
	return ok
}

// Runs returns the runs stored so far, in arrival order, once per run id.
func (s *Server) Runs() []Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Run(nil), s.runs...)
}

// Run returns the stored run with the given id, compared case-insensitively,
// and whether there is one.
func (s *Server) Run(id string) (Run, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.runIndex[strings.ToLower(id)]; ok {
		return s.runs[i], true
	}
	return Run{}, false
}
