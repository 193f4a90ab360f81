-- Durable check-ins (issue 4). A schedule is the standing request; a run is one firing of it.
CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY,
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL,
    sender      TEXT NOT NULL,          -- who asked: 'human' or the calling pane's agent/pane id
    sender_kind TEXT NOT NULL,          -- human | pane
    target      TEXT NOT NULL,          -- as written (agent name, session:window[.pane], %N)
    note        TEXT NOT NULL,
    due_at      REAL NOT NULL,          -- the next due time (the last one, once finished)
    every       REAL,                   -- seconds between repeats; NULL for once
    state       TEXT NOT NULL,          -- pending | fired | delivered | failed | cancelled | missed
    result      TEXT,                   -- what the last firing did, in words
    fired_at    REAL,                   -- when the last firing was claimed
    late        INTEGER NOT NULL DEFAULT 0,
    held_since  REAL,                   -- when a leader first held it because the target was busy
    runs        INTEGER NOT NULL DEFAULT 0
);
-- The leader's only query on the hot path: what is pending and due. Partial: done rows cost nothing.
CREATE INDEX schedules_due ON schedules(due_at) WHERE state = 'pending';
CREATE INDEX schedules_updated ON schedules(updated_at);

-- Exactly once: a run is inserted (claim) in the same transaction that moves its schedule from
-- pending to fired, and is finished (record) after delivery. A run still 'claimed' whose claimer
-- died is recovered by looking for its message: the first messages row from 'schedule:<id>'
-- with an id above after_message (the highest message id when the claim committed).
CREATE TABLE schedule_runs (
    id            INTEGER PRIMARY KEY,
    schedule_id   INTEGER NOT NULL REFERENCES schedules(id),
    slot          REAL NOT NULL,        -- the due time this run fires for
    claimed_at    REAL NOT NULL,
    claimed_by    TEXT NOT NULL,        -- the claiming leader: host:pid:nonce
    claimer_host  TEXT NOT NULL,
    claimer_pid   INTEGER NOT NULL,
    after_message INTEGER NOT NULL,
    first_seen    REAL NOT NULL,        -- when a leader first saw it due (held_since or claimed_at)
    attempts      INTEGER NOT NULL DEFAULT 1,
    state         TEXT NOT NULL,        -- claimed | delivered | typed_not_submitted | failed
    message_id    INTEGER,
    result        TEXT,
    late          INTEGER NOT NULL DEFAULT 0,
    finished_at   REAL,
    UNIQUE (schedule_id, slot)
);
CREATE INDEX schedule_runs_open ON schedule_runs(id) WHERE state = 'claimed';
CREATE INDEX schedule_runs_schedule ON schedule_runs(schedule_id, id);
CREATE INDEX messages_sender ON messages(sender, id);
