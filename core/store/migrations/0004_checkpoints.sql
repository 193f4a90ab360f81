-- Git checkpoints (issue 5). A row is written as 'pending' before git runs, so a crash mid-way
-- leaves a truthful record; 'taken' rows are the log. An unchanged tree deletes its pending row.
CREATE TABLE checkpoints (
    id            INTEGER PRIMARY KEY,
    at            REAL NOT NULL,
    repo          TEXT NOT NULL,          -- working tree root, absolute
    branch        TEXT NOT NULL DEFAULT '',  -- checked-out branch, 'HEAD' when detached
    mode          TEXT NOT NULL,          -- snapshot (refs/orc/checkpoints/<branch>) | commit
    status        TEXT NOT NULL,          -- pending | taken | failed
    commit_sha    TEXT,
    parent        TEXT,                   -- previous checkpoint of the branch, or HEAD
    head          TEXT,                   -- HEAD when it was taken
    ref           TEXT,
    agent         TEXT,                   -- the agent or person who asked; NULL for the timer
    reason        TEXT NOT NULL,          -- timer | manual | before-risky | before-restore | message
    message       TEXT NOT NULL DEFAULT '',
    skipped       TEXT NOT NULL DEFAULT '',  -- commit mode: why a snapshot was taken instead
    error         TEXT,
    files_changed INTEGER NOT NULL DEFAULT 0,
    insertions    INTEGER NOT NULL DEFAULT 0,
    deletions     INTEGER NOT NULL DEFAULT 0,
    diffstat      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX checkpoints_repo ON checkpoints(repo, id);
CREATE INDEX checkpoints_commit ON checkpoints(commit_sha);
