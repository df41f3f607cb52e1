-- Papers, reading plans and the links between them.
CREATE TABLE papers (
    id            INTEGER PRIMARY KEY,
    citekey       TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    title_norm    TEXT NOT NULL,
    authors       TEXT NOT NULL DEFAULT '[]',      -- JSON list of "Given Family" strings
    year          INTEGER,
    venue         TEXT,
    arxiv_id      TEXT,                            -- bare id without version: 2106.09685
    doi           TEXT,                            -- lower-cased, without https://doi.org/
    abstract      TEXT,
    url           TEXT,
    zotero_key    TEXT,
    zotero_library TEXT,                           -- "user:123", "group:456", "local", "sqlite"
    status        TEXT NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'reading', 'read', 'reviewed')),
    status_at     TEXT,
    source        TEXT NOT NULL DEFAULT 'plan',    -- where it first came from: plan, zotero, pdf, demo, catalog
    added_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE UNIQUE INDEX papers_arxiv ON papers(arxiv_id) WHERE arxiv_id IS NOT NULL;
CREATE UNIQUE INDEX papers_doi ON papers(doi) WHERE doi IS NOT NULL;
CREATE INDEX papers_title_norm ON papers(title_norm);
CREATE UNIQUE INDEX papers_zotero ON papers(zotero_library, zotero_key) WHERE zotero_key IS NOT NULL;

-- Append-only: every change of reading status, so a brief can say what was read this week.
CREATE TABLE status_history (
    id        INTEGER PRIMARY KEY,
    paper_id  INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    status    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX status_history_paper ON status_history(paper_id, at);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY,
    paper_id      INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    path          TEXT NOT NULL,                   -- absolute path of a local file
    content_type  TEXT NOT NULL DEFAULT 'application/pdf',
    zotero_key    TEXT,
    content_hash  TEXT,                            -- sha256 of the file when last indexed
    added_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (paper_id, path)
);

CREATE TABLE plans (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    title        TEXT,
    source_path  TEXT,
    source_name  TEXT,                             -- the base name of the file's plans (one file can hold several)
    part         INTEGER NOT NULL DEFAULT 1,       -- which plan of that file (1-based)
    parts        INTEGER NOT NULL DEFAULT 1,       -- how many plans the file held at the last import
    lang         TEXT NOT NULL DEFAULT 'en',       -- 'zh' or 'en': the language most of the plan is written in
    encoding     TEXT,                             -- how the file was decoded: utf-8, gb18030, ...
    content_hash TEXT,                             -- sha256 of this plan's text at the last import
    start_date   TEXT,                             -- YYYY-MM-DD: the first day of week 1
    start_date_source TEXT NOT NULL DEFAULT 'import' CHECK (start_date_source IN ('import', 'plan', 'user')),
    imported_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX plans_source ON plans(source_name, part);

CREATE TABLE plan_items (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    item_key    TEXT NOT NULL,                     -- stable across re-imports: content + section, not position
    position    INTEGER NOT NULL,                  -- order in the file
    kind        TEXT NOT NULL CHECK (kind IN ('paper', 'book', 'course', 'tutorial', 'task', 'other')),
    text        TEXT NOT NULL,                     -- the line as written (Markdown markup removed)
    title       TEXT,                              -- papers, books, courses, tutorials: the cleaned title
    phase       TEXT,                              -- month / phase heading as written
    month_start INTEGER,
    month_end   INTEGER,
    week_label  TEXT,                              -- week heading as written
    week_start  INTEGER,                           -- week numbers counted from the start of the plan
    week_end    INTEGER,
    date_start  TEXT,                              -- MM-DD or YYYY-MM-DD when the week heading gives dates
    date_end    TEXT,
    section     TEXT,                              -- 论文阅读, Papers, 编程实践, ...
    topic       TEXT,                              -- the nearest heading that is not a month/phase/week
    line        INTEGER,                           -- 1-based line number in the file
    note        TEXT,                              -- paragraphs written under the item
    done        INTEGER NOT NULL DEFAULT 0,        -- a ticked checkbox
    arxiv_id    TEXT,
    doi         TEXT,
    year        INTEGER,
    authors     TEXT,                              -- JSON list, as written
    venue       TEXT,
    paper_id    INTEGER REFERENCES papers(id) ON DELETE SET NULL,
    UNIQUE (plan_id, item_key)
);
CREATE INDEX plan_items_paper ON plan_items(paper_id);
CREATE INDEX plan_items_week ON plan_items(plan_id, week_start);
