-- Reproduction runs (reproductions/records.py): one row per `kb repro run`, whatever its outcome.
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    reproduction TEXT NOT NULL,                    -- lora, kd, llm-int8, flashattention
    paper_arxiv  TEXT,                             -- the reproduced paper's arXiv id
    paper_id     INTEGER REFERENCES papers(id) ON DELETE SET NULL,
    preset       TEXT NOT NULL,
    params       TEXT NOT NULL DEFAULT '{}',       -- JSON: the full configuration used
    seed         INTEGER NOT NULL DEFAULT 0,
    device       TEXT NOT NULL,                    -- as asked (auto/cpu/cuda), then as used
    status       TEXT NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'passed', 'failed', 'error', 'cancelled')),
    passed       INTEGER,                          -- 1/0 once finished: did the paper's claim hold
    metrics      TEXT NOT NULL DEFAULT '{}',       -- JSON: the measured numbers
    details      TEXT NOT NULL DEFAULT '{}',       -- JSON: claim table, curves, notes
    claim        TEXT NOT NULL,
    error        TEXT,                             -- why it failed, was cancelled or refused
    pid          INTEGER,                          -- the worker process while running
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    seconds      REAL,
    versions     TEXT NOT NULL DEFAULT '{}',       -- JSON: python, torch, transformers, peft, ...
    data_hash    TEXT,                             -- sha256 of the data set built at run time
    log_path     TEXT                              -- the run's log (stderr) beside its JSON event log
);
CREATE INDEX runs_paper ON runs(paper_id, started_at);
CREATE INDEX runs_reproduction ON runs(reproduction, started_at);
