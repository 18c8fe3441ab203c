package store

// The statements the writer runs, prepared once at Open (see Store.prepared).

const (
	// sqlRunLookup answers, for a run id (?1) and its previous run id (?2):
	// is the run stored, the previous run's thread if it is stored, the run
	// already stored after that previous run, if any, and whether runs that
	// arrived earlier made a thread under the run's id.
	sqlRunLookup = `SELECT (SELECT 1 FROM runs WHERE id = ?1), (SELECT thread_id FROM runs WHERE id = ?2),
		(SELECT sent_id FROM runs WHERE previous_run_id = ?2), (SELECT 1 FROM threads WHERE thread_id = ?1)`
	sqlThreadRoot = `SELECT seq, start_ms, cost_usd FROM runs WHERE id = ?`
	sqlInsertRun  = `INSERT INTO runs (id, sent_id, slug, collection_method, previous_run_id, thread_id,
		user_id, session_id, start_ms, end_ms, latency_ms, step_count, cost_usd,
		prompt_tokens, completion_tokens, total_tokens, tokens_estimated, error, run_error, metadata, received_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertStep = `INSERT INTO steps (key, idx, provider_name, invocation, model, model_params, inputs, outputs,
		context, elapsed_ms, start_ms, end_ms, error, cost_usd, usage, ttft_ms, closed_early)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertMetadata = `INSERT INTO run_metadata (run_seq, key, value, start_ms) VALUES (?, ?, ?, ?)`
	sqlMoveThread     = `UPDATE runs SET thread_id = ? WHERE thread_id = ? AND previous_run_id IS NOT NULL`
	sqlThreadRow      = `SELECT turns, first_ms, last_ms, last_seq, cost_usd FROM threads WHERE thread_id = ?`
	sqlDeleteThread   = `DELETE FROM threads WHERE thread_id = ?`
	sqlAddToThread    = `INSERT INTO threads (thread_id, turns, first_ms, last_ms, last_seq, cost_usd)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (thread_id) DO UPDATE SET
			turns = turns + excluded.turns,
			first_ms = min(first_ms, excluded.first_ms),
			last_seq = CASE WHEN excluded.last_ms >= last_ms THEN excluded.last_seq ELSE last_seq END,
			last_ms = max(last_ms, excluded.last_ms),
			cost_usd = CASE WHEN cost_usd IS NULL THEN excluded.cost_usd
				WHEN excluded.cost_usd IS NULL THEN cost_usd
				ELSE cost_usd + excluded.cost_usd END`
	sqlEnsurePipeline = `INSERT INTO pipelines (slug, id, dataset_id, created_ms) VALUES (?, ?, ?, ?)
		ON CONFLICT (slug) DO NOTHING`

	sqlInsertTestCase = `INSERT INTO test_cases (id, slug, name, inputs, expected_outputs, created_ms, updated_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlPipelineExists   = `SELECT 1 FROM pipelines WHERE slug = ?`
	sqlCaseOfPipeline   = `SELECT 1 FROM test_cases WHERE id = ? AND slug = ?`
	sqlInsertTestResult = `INSERT INTO test_results (id, slug, name, branch, git_commit, metadata, run_count, error_count, cost_usd, received_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlInsertTestRun = `INSERT INTO test_runs (result_seq, idx, id, case_id, inputs, outputs, error)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
)

var writeStatements = []string{
	sqlRunLookup, sqlThreadRoot, sqlInsertRun, sqlInsertStep, sqlInsertMetadata,
	sqlMoveThread, sqlThreadRow, sqlDeleteThread, sqlAddToThread, sqlEnsurePipeline,
	sqlInsertTestCase, sqlPipelineExists, sqlCaseOfPipeline, sqlInsertTestResult, sqlInsertTestRun,
}
