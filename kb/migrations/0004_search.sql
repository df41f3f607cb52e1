-- Full-text index: chunks of each PDF (the unit both indexes share), the lexical index over
-- them and over paper-level text (titles, abstracts, notes, annotations), and per-attachment
-- index state. Vectors live in Chroma under the chunk ids; everything here is rebuildable.

-- One row per attachment ever indexed. No foreign keys on purpose: when a paper or attachment
-- is deleted this row outlives it, so the next `kb index` knows which vectors to drop.
CREATE TABLE index_state (
    attachment_id INTEGER PRIMARY KEY,
    paper_id      INTEGER NOT NULL,
    path          TEXT NOT NULL,
    size          INTEGER,                         -- with mtime_ns: the no-change check without hashing
    mtime_ns      INTEGER,
    content_hash  TEXT,                            -- sha256 of the bytes that were indexed
    model         TEXT,                            -- embedding model the vectors came from
    status        TEXT NOT NULL CHECK (status IN ('pending', 'indexed', 'failed')),
    reason        TEXT,                            -- for failed: encrypted, corrupt, empty, no_text, timeout, ...
    message       TEXT,
    chunk_count   INTEGER NOT NULL DEFAULT 0,
    indexed_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX index_state_paper ON index_state(paper_id);

CREATE TABLE chunks (
    id            INTEGER PRIMARY KEY,             -- also the vector id in Chroma ("c<id>")
    paper_id      INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,                -- order within the attachment
    page          INTEGER NOT NULL,                -- 1-based
    section       TEXT,
    char_start    INTEGER NOT NULL,                -- span within the page's text
    char_end      INTEGER NOT NULL,
    text          TEXT NOT NULL,
    UNIQUE (attachment_id, seq)
);
CREATE INDEX chunks_paper ON chunks(paper_id);

-- Trigram tokens match inside words and work for Chinese as well as English.
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='trigram');
CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Word tokens (stemmed) for queries without Chinese: an OR of a few words is a handful of
-- posting lists here, where the trigram index must intersect every trigram of every word.
CREATE VIRTUAL TABLE chunks_words USING fts5(text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_words_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_words(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER chunks_words_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_words(chunks_words, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Paper-level text: kind is title | abstract | note | annotation; key tells rows of one kind
-- apart (the annotation's rowid; '' for the others).
CREATE TABLE search_docs (
    id        INTEGER PRIMARY KEY,
    paper_id  INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('title', 'abstract', 'note', 'annotation')),
    key       TEXT NOT NULL DEFAULT '',
    page      TEXT,                                -- an annotation's page label
    text      TEXT NOT NULL,
    UNIQUE (paper_id, kind, key)
);
CREATE VIRTUAL TABLE search_docs_fts USING fts5(text, content='search_docs', content_rowid='id', tokenize='trigram');
CREATE TRIGGER search_docs_fts_insert AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_docs_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER search_docs_fts_delete AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_docs_fts(search_docs_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER search_docs_fts_update AFTER UPDATE OF text ON search_docs BEGIN
    INSERT INTO search_docs_fts(search_docs_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO search_docs_fts(rowid, text) VALUES (new.id, new.text);
END;
