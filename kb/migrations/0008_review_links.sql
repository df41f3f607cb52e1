-- [[citekey]] and [[citekey|alias]] links in the user's notes (notes/links.py), mirrored at note
-- sync like the cards. A link in paper A's note to paper B is the user's own graph edge: A
-- builds on (relates to) B. The target is matched to papers.citekey when read, so a link to a
-- paper added later resolves without the note being parsed again.
CREATE TABLE note_links (
    note_path    TEXT NOT NULL,
    src_paper_id INTEGER REFERENCES papers(id) ON DELETE SET NULL,
    target       TEXT NOT NULL,                    -- the citekey as written
    line         INTEGER NOT NULL,
    PRIMARY KEY (note_path, line, target)
);
CREATE INDEX note_links_target ON note_links(target COLLATE NOCASE);
CREATE INDEX note_links_src ON note_links(src_paper_id);
-- Parse every note once more at the next sync, so links in notes written before this are found
-- (cards read the same again: nothing changes for them).
UPDATE notes SET mtime_ns = 0;

-- What the user did to a card from the review screen, apart from the cards table (which note
-- sync rewrites): suspended by the user, or buried (siblings of a card just reviewed, or by
-- hand) until a time. buried_by is the review that buried it, so undoing that review unburies.
CREATE TABLE card_flags (
    card_id       INTEGER PRIMARY KEY REFERENCES cards(id) ON DELETE CASCADE,
    user_suspended INTEGER NOT NULL DEFAULT 0,
    buried_until  TEXT,                            -- ISO 8601 UTC; NULL or past: not buried
    buried_by     INTEGER                          -- review_log id
);

-- Items ticked off in paper-kb (`kb plan done ITEM`, the Plan screen's d), by the item's stable
-- key: a re-import of the plan file (where the box may still be empty) keeps the user's tick.
CREATE TABLE plan_item_ticks (
    plan_id    INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    item_key   TEXT NOT NULL,
    done       INTEGER NOT NULL,
    ticked_at  TEXT NOT NULL,
    PRIMARY KEY (plan_id, item_key)
);
