-- Full text extracted from each paper's PDF, and the edges of the dependency graph.

-- One row per paper: the attachment last extracted, and how it went.
CREATE TABLE documents (
    paper_id      INTEGER PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
    attachment_id INTEGER REFERENCES attachments(id) ON DELETE SET NULL,
    content_hash  TEXT,
    status        TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    reason        TEXT,                            -- for failed: encrypted, corrupt, empty, no_text, timeout, not_pdf, too_large
    message       TEXT,
    page_count    INTEGER,
    title         TEXT,                            -- as detected in the PDF
    extracted_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE sections (
    id          INTEGER PRIMARY KEY,
    paper_id    INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    title       TEXT NOT NULL,
    level       INTEGER NOT NULL,
    kind        TEXT NOT NULL,                     -- abstract | body | references | appendix
    start_page  INTEGER NOT NULL,
    end_page    INTEGER NOT NULL
);
CREATE INDEX sections_paper ON sections(paper_id, position);

CREATE TABLE refs (
    id          INTEGER PRIMARY KEY,
    paper_id    INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    raw         TEXT NOT NULL,
    title       TEXT,
    authors     TEXT NOT NULL DEFAULT '[]',
    year        INTEGER,
    arxiv_id    TEXT,
    doi         TEXT,
    cited_paper_id INTEGER REFERENCES papers(id) ON DELETE SET NULL   -- the library paper it names, if any
);
CREATE INDEX refs_paper ON refs(paper_id, position);
CREATE INDEX refs_cited ON refs(cited_paper_id);

CREATE TABLE captions (
    id          INTEGER PRIMARY KEY,
    paper_id    INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('figure', 'table')),
    label       TEXT NOT NULL,
    text        TEXT NOT NULL,
    page        INTEGER NOT NULL,
    bbox        TEXT                               -- JSON [x0, y0, x1, y1] in PDF points
);
CREATE INDEX captions_paper ON captions(paper_id, position);

-- An edge means "dst builds on src": src should be read first.
--   cites:  dst's reference list cites src          (source 'references')
--   prereq: src is a prerequisite of dst             (source 'user'; 'user-removed' hides a curated edge)
-- Curated prerequisites (kb/data/prerequisites.json) and plan order are applied when the
-- graph is built, so they follow papers added later without being copied here.
CREATE TABLE paper_edges (
    id          INTEGER PRIMARY KEY,
    src_paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    dst_paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('cites', 'prereq', 'plan')),
    source      TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (src_paper_id, dst_paper_id, kind),
    CHECK (src_paper_id != dst_paper_id)
);
CREATE INDEX paper_edges_dst ON paper_edges(dst_paper_id, kind);
