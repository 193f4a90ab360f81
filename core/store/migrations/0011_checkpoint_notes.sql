-- What a checkpoint does not hold, shown by `orc checkpoint log`: e.g. a submodule's or nested
-- clone's uncommitted work (core/git_checkpoint.py: nested_notes).
ALTER TABLE checkpoints ADD COLUMN notes TEXT NOT NULL DEFAULT '';
