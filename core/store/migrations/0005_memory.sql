-- The room's memory (issue 8): notes and settle summaries, pane history, and FTS5 indexes over
-- them and over the messages and events that core/store.py records.
--
-- Every index is an *external-content* FTS5 table kept in step by triggers: the text is stored
-- once (in its own table), the triggers index it inside the writer's transaction whichever
-- process or module writes the row (a CLI `orc send` indexes its message without knowing about
-- memory), and deleting a row (retention) unindexes it. Contentless tables would need every
-- writer to call memory code and could not produce snippets.

CREATE TABLE memory_notes (
    id      INTEGER PRIMARY KEY,
    at      REAL NOT NULL,
    kind    TEXT NOT NULL,          -- note (a person or agent wrote it) | summary (memory bridge)
    agent   TEXT,                   -- who it is about / from; NULL for a person outside tmux
    pane_id TEXT,
    tag     TEXT,
    text    TEXT NOT NULL
);
CREATE INDEX memory_notes_at ON memory_notes(kind, at);

-- Distinct screen contents, addressed by hash: a screen that comes back (A, B, A) is stored once.
CREATE TABLE pane_screens (
    id    INTEGER PRIMARY KEY,
    hash  BLOB NOT NULL UNIQUE,     -- blake2b of the plain text (colours do not make a change)
    ansi  BLOB NOT NULL,            -- zlib-compressed screen as captured (colours if it had them)
    bytes INTEGER NOT NULL          -- compressed size, for statistics
);

-- One row each time a pane's screen changed (throttled while it keeps changing). Search indexes
-- `added`, the lines this screen showed that the pane's previous one did not: a scrolling log
-- is indexed once per line, not once per screen it stays on (10x less index, and a hit is the
-- moment the text appeared rather than fifty screens that still show it).
CREATE TABLE pane_history (
    id        INTEGER PRIMARY KEY,
    at        REAL NOT NULL,
    pane_id   TEXT NOT NULL,
    agent     TEXT,                 -- @orc-name at that moment, NULL for unmanaged panes
    target    TEXT NOT NULL,        -- session:window.pane at that moment
    screen_id INTEGER NOT NULL REFERENCES pane_screens(id),
    added     TEXT NOT NULL         -- plain-text lines new on this screen
);
CREATE INDEX pane_history_pane ON pane_history(pane_id, at);
CREATE INDEX pane_history_screen ON pane_history(screen_id);
CREATE INDEX pane_history_at ON pane_history(at);

CREATE VIRTUAL TABLE memory_notes_fts USING fts5(text, content='memory_notes', content_rowid='id');
CREATE TRIGGER memory_notes_ai AFTER INSERT ON memory_notes BEGIN
    INSERT INTO memory_notes_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER memory_notes_ad AFTER DELETE ON memory_notes BEGIN
    INSERT INTO memory_notes_fts(memory_notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER memory_notes_au AFTER UPDATE OF text ON memory_notes BEGIN
    INSERT INTO memory_notes_fts(memory_notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO memory_notes_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE VIRTUAL TABLE pane_history_fts USING fts5(added, content='pane_history', content_rowid='id');
CREATE TRIGGER pane_history_ai AFTER INSERT ON pane_history BEGIN
    INSERT INTO pane_history_fts(rowid, added) VALUES (new.id, new.added);
END;
CREATE TRIGGER pane_history_ad AFTER DELETE ON pane_history BEGIN
    INSERT INTO pane_history_fts(pane_history_fts, rowid, added) VALUES ('delete', old.id, old.added);
END;

-- Messages change status after they are queued; only a change of text is re-indexed.
CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
END;

CREATE VIRTUAL TABLE events_fts USING fts5(kind, data, content='events', content_rowid='id');
CREATE TRIGGER events_fts_ai AFTER INSERT ON events BEGIN
    INSERT INTO events_fts(rowid, kind, data) VALUES (new.id, new.kind, new.data);
END;
CREATE TRIGGER events_fts_ad AFTER DELETE ON events BEGIN
    INSERT INTO events_fts(events_fts, rowid, kind, data) VALUES ('delete', old.id, old.kind, old.data);
END;
CREATE TRIGGER events_fts_au AFTER UPDATE OF kind, data ON events BEGIN
    INSERT INTO events_fts(events_fts, rowid, kind, data) VALUES ('delete', old.id, old.kind, old.data);
    INSERT INTO events_fts(rowid, kind, data) VALUES (new.id, new.kind, new.data);
END;

-- Rows written before this migration.
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO events_fts(events_fts) VALUES ('rebuild');
