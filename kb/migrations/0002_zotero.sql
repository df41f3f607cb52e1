-- Zotero: per-library sync state, the items as Zotero knows them, collections, tags,
-- annotations, full text Zotero already extracted, and plan-item matching results.

CREATE TABLE zotero_libraries (
    id          TEXT PRIMARY KEY,                  -- "user:123", "group:456", "local", "sqlite", "bibtex:<file>"
    source      TEXT NOT NULL,                     -- web, local, sqlite, bibtex
    version     INTEGER NOT NULL DEFAULT 0,        -- last library version fully applied
    server_id   TEXT,                              -- local API: versions only hold for this server id
    synced_at   TEXT
);

CREATE TABLE zotero_items (
    library     TEXT NOT NULL,
    key         TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    item_type   TEXT NOT NULL,
    parent_key  TEXT,
    paper_id    INTEGER REFERENCES papers(id) ON DELETE SET NULL,
    title       TEXT,
    doi         TEXT,
    arxiv_id    TEXT,
    content_hash TEXT NOT NULL,                    -- of the item as fetched: unchanged items are skipped
    data        TEXT NOT NULL DEFAULT '{}',        -- the source's JSON, kept for write-back
    file_path   TEXT,                              -- attachments: the local file, once we have it
    PRIMARY KEY (library, key)
);
CREATE INDEX zotero_items_paper ON zotero_items(paper_id);
CREATE INDEX zotero_items_parent ON zotero_items(library, parent_key);

CREATE TABLE zotero_collections (
    library     TEXT NOT NULL,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_key  TEXT,
    version     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (library, key)
);
CREATE INDEX zotero_collections_name ON zotero_collections(name);

CREATE TABLE zotero_collection_items (
    library        TEXT NOT NULL,
    collection_key TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    PRIMARY KEY (library, collection_key, item_key)
);
CREATE INDEX zotero_collection_items_item ON zotero_collection_items(library, item_key);

CREATE TABLE zotero_tags (
    library   TEXT NOT NULL,
    item_key  TEXT NOT NULL,
    tag       TEXT NOT NULL,
    type      INTEGER NOT NULL DEFAULT 0,          -- 0 manual, 1 automatic (as Zotero)
    PRIMARY KEY (library, item_key, tag)
);
CREATE INDEX zotero_tags_tag ON zotero_tags(tag);

CREATE TABLE annotations (
    id            INTEGER PRIMARY KEY,
    paper_id      INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    library       TEXT NOT NULL,
    zotero_key    TEXT NOT NULL,
    attachment_key TEXT,
    type          TEXT NOT NULL,                   -- highlight|underline|note|image|ink|text
    text          TEXT,
    comment       TEXT,
    color         TEXT,                            -- '#ffd400'
    page_label    TEXT,
    page_index    INTEGER,
    sort_index    TEXT,
    date_added    TEXT,
    date_modified TEXT,
    UNIQUE (library, zotero_key)
);
CREATE INDEX annotations_paper ON annotations(paper_id, sort_index);

-- Text Zotero already extracted (.zotero-ft-cache), for the full-text area to reuse.
CREATE TABLE zotero_fulltext (
    library        TEXT NOT NULL,
    attachment_key TEXT NOT NULL,
    paper_id       INTEGER REFERENCES papers(id) ON DELETE CASCADE,
    text           TEXT NOT NULL,
    PRIMARY KEY (library, attachment_key)
);

-- Plan items that could not be matched to one Zotero item: listed by `kb plan unmatched`.
CREATE TABLE zotero_matches (
    plan_item_id  INTEGER PRIMARY KEY REFERENCES plan_items(id) ON DELETE CASCADE,
    state         TEXT NOT NULL CHECK (state IN ('matched', 'ambiguous', 'unmatched')),
    method        TEXT,                            -- doi, arxiv, title, paper
    score         REAL,
    library       TEXT,
    zotero_key    TEXT,
    candidates    TEXT NOT NULL DEFAULT '[]',      -- JSON [{library, key, title, score}]
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Summaries pushed to Zotero as child notes (`kb zotero push --summaries`): which note holds
-- which paper's summary, at which version, so a re-push updates it rather than adding another.
CREATE TABLE zotero_summaries (
    library      TEXT NOT NULL,
    paper_id     INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    note_key     TEXT NOT NULL,
    version      INTEGER,
    content_hash TEXT NOT NULL,
    pushed_at    TEXT NOT NULL,
    PRIMARY KEY (library, paper_id)
);
