-- Plans as people write them: why an item got its kind, every place a reference repeated in
-- the file appears (folded into one item), and the outline (the headings above it) of a course.
ALTER TABLE plan_items ADD COLUMN reason TEXT;     -- "arXiv link", "under a Papers heading", ...
ALTER TABLE plan_items ADD COLUMN places TEXT;     -- JSON list of {line, section, topic, week_label, outline}, when listed more than once
ALTER TABLE plan_items ADD COLUMN outline TEXT;    -- JSON list of the headings above the item (course outline sections)
