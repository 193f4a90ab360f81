-- The approval policy (issue 24, core/services/policy/): timed grants made from the inbox or
-- `orc policy grant`, and the audit of every automatic answer (what rule, what the prompt
-- showed, the screen, and how the answer went).
CREATE TABLE policy_grants (
    id         INTEGER PRIMARY KEY,
    at         REAL NOT NULL,
    expires_at REAL NOT NULL,
    rule       TEXT NOT NULL,            -- JSON: an allow rule (core/services/policy/rules.py)
    made_by    TEXT NOT NULL
);
CREATE INDEX policy_grants_expires ON policy_grants(expires_at);

CREATE TABLE policy_answers (
    id         INTEGER PRIMARY KEY,
    at         REAL NOT NULL,
    agent      TEXT NOT NULL,
    pane_id    TEXT NOT NULL,
    rule       TEXT NOT NULL,
    tool       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    evidence   TEXT NOT NULL,            -- JSON list: the prompt's lines on the screen
    screen     TEXT NOT NULL,            -- the whole screen the decision was made on
    message_id INTEGER,                  -- the `answer` row in messages
    status     TEXT NOT NULL,            -- delivered | failed
    detail     TEXT
);
CREATE INDEX policy_answers_at ON policy_answers(at);
