-- Runs, their steps and metadata; pipelines, test cases and test results.
-- Times are Unix milliseconds (UTC). IDs are stored lower-case.

CREATE TABLE pipelines (
	slug       TEXT PRIMARY KEY,
	id         TEXT NOT NULL,
	dataset_id TEXT NOT NULL,
	created_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE runs (
	seq               INTEGER PRIMARY KEY, -- arrival order
	id                TEXT NOT NULL UNIQUE,
	sent_id           TEXT NOT NULL,       -- the id as the client spelled it
	slug              TEXT NOT NULL,
	collection_method TEXT NOT NULL,
	previous_run_id   TEXT,                -- NULL when the run starts a thread
	thread_id         TEXT NOT NULL,       -- the first run's id (maybe not stored yet)
	user_id           TEXT NOT NULL,
	session_id        TEXT NOT NULL,
	start_ms          INTEGER NOT NULL,
	end_ms            INTEGER NOT NULL,
	latency_ms        INTEGER NOT NULL,
	step_count        INTEGER NOT NULL,
	cost_usd          REAL,                -- NULL when no step has a cost
	prompt_tokens     INTEGER,             -- NULL when no step has usage
	completion_tokens INTEGER,
	total_tokens      INTEGER,
	tokens_estimated  INTEGER NOT NULL,
	error             TEXT NOT NULL,       -- the run's or its first failing step's
	run_error         TEXT,                -- the run's own error field
	metadata          TEXT NOT NULL,       -- JSON object of metadata value objects
	received_ms       INTEGER NOT NULL
);
CREATE UNIQUE INDEX runs_previous ON runs(previous_run_id) WHERE previous_run_id IS NOT NULL;
CREATE INDEX runs_time ON runs(start_ms, seq);
CREATE INDEX runs_slug ON runs(slug, start_ms, seq);
CREATE INDEX runs_user ON runs(user_id, start_ms, seq);
-- Only runs that name a previous run: a thread's first run is found by its id.
CREATE INDEX runs_thread ON runs(thread_id) WHERE previous_run_id IS NOT NULL;

-- A step's key is its run's seq shifted left by 20 bits, plus its index:
-- a run's steps are one range of the table's own B-tree, appended in order.
CREATE TABLE steps (
	key               INTEGER PRIMARY KEY, -- run_seq << 20 | idx
	idx               INTEGER NOT NULL,
	provider_name     TEXT NOT NULL,
	invocation        TEXT NOT NULL,
	model             TEXT NOT NULL,
	model_params      TEXT NOT NULL, -- raw JSON as sent
	inputs            TEXT NOT NULL,
	outputs           TEXT NOT NULL,
	context           TEXT NOT NULL, -- {"userId", "render", "metadata"} as decoded
	elapsed_ms        INTEGER NOT NULL,
	start_ms          INTEGER NOT NULL,
	end_ms            INTEGER NOT NULL,
	error             TEXT,
	cost_usd          REAL,
	usage             TEXT,          -- JSON of facts.Usage, NULL when none
	ttft_ms           REAL,
	closed_early      INTEGER NOT NULL
);

-- Run metadata, one row per key, for the runs list's key/value filter and
-- its session filter (the key sessionId). The value is the string,
-- "true"/"false", or the URL.
CREATE TABLE run_metadata (
	key      TEXT NOT NULL,
	value    TEXT NOT NULL,
	start_ms INTEGER NOT NULL,
	run_seq  INTEGER NOT NULL REFERENCES runs(seq),
	PRIMARY KEY (key, value, start_ms, run_seq) -- the filter's order: the table is its own index
) WITHOUT ROWID;

-- One row per thread of two runs or more (counting runs that arrived before
-- the run they name), kept up to date as runs arrive in any order.
CREATE TABLE threads (
	thread_id TEXT PRIMARY KEY,
	turns     INTEGER NOT NULL,
	first_ms  INTEGER NOT NULL,
	last_ms   INTEGER NOT NULL,
	last_seq  INTEGER NOT NULL, -- the latest run, for its pipeline and user
	cost_usd  REAL
) WITHOUT ROWID;
CREATE INDEX threads_recent ON threads(last_ms, thread_id) WHERE turns > 1;

CREATE TABLE test_cases (
	seq              INTEGER PRIMARY KEY,
	id               TEXT NOT NULL UNIQUE,
	slug             TEXT NOT NULL REFERENCES pipelines(slug),
	name             TEXT NOT NULL,
	inputs           TEXT NOT NULL,
	expected_outputs TEXT,
	created_ms       INTEGER NOT NULL,
	updated_ms       INTEGER NOT NULL
);
CREATE INDEX test_cases_slug ON test_cases(slug, seq);

CREATE TABLE test_results (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	slug        TEXT NOT NULL,
	name        TEXT NOT NULL,
	branch      TEXT NOT NULL,
	git_commit  TEXT NOT NULL,
	metadata    TEXT NOT NULL,
	run_count   INTEGER NOT NULL,
	error_count INTEGER NOT NULL,
	cost_usd    REAL,
	received_ms INTEGER NOT NULL
);

CREATE TABLE test_runs (
	result_seq INTEGER NOT NULL REFERENCES test_results(seq),
	idx        INTEGER NOT NULL,
	id         TEXT NOT NULL,
	case_id    TEXT NOT NULL,
	inputs     TEXT NOT NULL,
	outputs    TEXT,
	error      TEXT,
	PRIMARY KEY (result_seq, idx)
) WITHOUT ROWID;
