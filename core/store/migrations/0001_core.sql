-- Deliveries and the room's event log: the records every later feature builds on.
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    sender      TEXT NOT NULL,          -- 'human', 'schedule:<id>', or the sending pane's agent/pane id
    sender_kind TEXT NOT NULL,          -- human | schedule | pane
    target      TEXT NOT NULL,          -- as the sender wrote it
    pane_id     TEXT,                   -- resolved pane, when resolution succeeded
    agent       TEXT,                   -- @orc-name of the resolved pane, if any
    text        TEXT NOT NULL,
    enter       INTEGER NOT NULL DEFAULT 1,
    status      TEXT NOT NULL,          -- queued | typing | delivered | typed_not_submitted | failed
    reason      TEXT,
    batch       TEXT                    -- shared by the messages of one broadcast
);
CREATE INDEX messages_created ON messages(created_at);
CREATE INDEX messages_agent ON messages(agent, created_at);

CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    at       REAL NOT NULL,
    kind     TEXT NOT NULL,
    agent    TEXT,
    pane_id  TEXT,
    data     TEXT NOT NULL DEFAULT '{}'  -- JSON
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_pane ON events(pane_id, at);
