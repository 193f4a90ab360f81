-- What orc deployed, kept so a team can be rebuilt after its tmux session or server is gone
-- (issue 14): one row per team, one per agent, written before the agent is spawned.
CREATE TABLE team_records (
    name             TEXT PRIMARY KEY,
    spec_path        TEXT NOT NULL,
    root             TEXT NOT NULL,
    checkpoint_mode  TEXT NOT NULL,
    checkpoint_every TEXT NOT NULL,     -- '' = the checkpointer's default
    state            TEXT NOT NULL,     -- up | down
    updated_at       REAL NOT NULL
);

CREATE TABLE agent_records (
    team         TEXT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    parent       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    argv         TEXT NOT NULL,         -- JSON list: the spec's argv, program resolved, no hooks
    cwd          TEXT NOT NULL,
    repo         TEXT NOT NULL,
    env          TEXT NOT NULL,         -- JSON object
    isolation    TEXT NOT NULL,         -- shared | worktree
    branch       TEXT NOT NULL,
    base_branch  TEXT NOT NULL,
    base_commit  TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    state        TEXT NOT NULL,         -- running | stopped | down | discarded
    updated_at   REAL NOT NULL,
    PRIMARY KEY (team, name)
);
CREATE INDEX agent_records_name ON agent_records(name);
