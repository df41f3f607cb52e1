-- Notes, the flash cards parsed from them, FSRS card state and the append-only review log.
-- The notes themselves live as Markdown files the user owns; these tables only mirror them.

-- One row per note file seen in the notes folder (path relative to it).
CREATE TABLE notes (
    path        TEXT PRIMARY KEY,
    paper_id    INTEGER REFERENCES papers(id) ON DELETE SET NULL,
    mtime_ns    INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL DEFAULT 0,
    hash        TEXT,                              -- sha1 of the text when last parsed
    issues      TEXT NOT NULL DEFAULT '[]',        -- JSON: problems found when last parsed
    missing     INTEGER NOT NULL DEFAULT 0,        -- 1 once the file has gone from disk
    synced_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX notes_paper ON notes(paper_id);

-- A card belongs to a paper (or, for a note that names no paper, to its note path). Cards are
-- never deleted: a card gone from its note, or whose note is gone, is suspended with a reason.
CREATE TABLE cards (
    id           INTEGER PRIMARY KEY,
    paper_id     INTEGER REFERENCES papers(id) ON DELETE SET NULL,
    note_path    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('basic', 'cloze')),
    key          TEXT NOT NULL,                    -- content hash: exact identity across syncs
    front        TEXT NOT NULL,
    back         TEXT NOT NULL,
    source       TEXT NOT NULL,                    -- the card as written (cloze markup kept)
    cloze_index  INTEGER,
    line         INTEGER NOT NULL,
    suspended    INTEGER NOT NULL DEFAULT 0,
    suspended_reason TEXT,                         -- 'removed from note', 'note missing', 'duplicate note'
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX cards_paper ON cards(paper_id);
CREATE INDEX cards_note ON cards(note_path);

-- FSRS state of cards reviewed at least once; a card without a row is new.
CREATE TABLE card_state (
    card_id      INTEGER PRIMARY KEY REFERENCES cards(id),
    state        INTEGER NOT NULL,                 -- fsrs.State: 1 learning, 2 review, 3 relearning
    step         INTEGER,
    stability    REAL,
    difficulty   REAL,
    due          TEXT NOT NULL,                    -- ISO 8601 UTC
    last_review  TEXT
);
CREATE INDEX card_state_due ON card_state(due);

-- Every review, in order; what the FSRS optimizer needs (card, time, rating, duration) and
-- the state before it (so a review can be undone without rewriting history).
CREATE TABLE review_log (
    id            INTEGER PRIMARY KEY,
    card_id       INTEGER NOT NULL REFERENCES cards(id),
    reviewed_at   TEXT NOT NULL,                   -- ISO 8601 UTC
    rating        INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    state_before  INTEGER,                         -- NULL for a new card
    state         INTEGER NOT NULL,
    stability     REAL,
    difficulty    REAL,
    due           TEXT NOT NULL,
    elapsed_days  REAL,                            -- days since the previous review
    duration_ms   INTEGER,
    card_before   TEXT                             -- fsrs Card JSON before the review; NULL when new
);
CREATE INDEX review_log_card ON review_log(card_id, reviewed_at);
CREATE INDEX review_log_time ON review_log(reviewed_at);

-- Undo appends here instead of deleting from the log.
CREATE TABLE review_undo (
    review_id  INTEGER PRIMARY KEY REFERENCES review_log(id),
    undone_at  TEXT NOT NULL
);

CREATE TRIGGER review_log_no_update BEFORE UPDATE ON review_log
BEGIN
    SELECT RAISE(ABORT, 'review_log is append-only');
END;
CREATE TRIGGER review_log_no_delete BEFORE DELETE ON review_log
BEGIN
    SELECT RAISE(ABORT, 'review_log is append-only');
END;
CREATE TRIGGER cards_no_delete BEFORE DELETE ON cards
WHEN EXISTS (SELECT 1 FROM review_log WHERE card_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'a reviewed card keeps its history: suspend it instead');
END;

-- Parameters fitted by `kb review optimize` from this user's own reviews; the latest is used.
CREATE TABLE fsrs_parameters (
    id          INTEGER PRIMARY KEY,
    fitted_at   TEXT NOT NULL,
    n_reviews   INTEGER NOT NULL,
    parameters  TEXT NOT NULL                      -- JSON list of 21 floats
);
