-- Small per-database preferences (the UI's theme, ...): one row per key, text values.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
