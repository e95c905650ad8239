-- The catalog schema (SQLite). Times are unix milliseconds, sizes bytes.

CREATE TABLE repositories (
    id          TEXT PRIMARY KEY NOT NULL,
    location    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE connectors (
    name        TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL,
    spec        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE runs (
    id            TEXT PRIMARY KEY NOT NULL,
    repository_id TEXT NOT NULL REFERENCES repositories (id),
    connector     TEXT,
    tenant_id     TEXT,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'success', 'partial', 'failed')),
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    manifest_id   TEXT,
    stats         TEXT NOT NULL
);
CREATE INDEX runs_by_repository ON runs (repository_id, started_at);
CREATE INDEX runs_by_connector ON runs (connector, started_at);

-- repository_id is copied from the run at insert time, so that per-repository queries
-- need no join.
CREATE TABLE item_versions (
    version_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id        TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    repository_id TEXT NOT NULL,
    resource      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    path          TEXT NOT NULL,
    size          INTEGER NOT NULL CHECK (size >= 0),
    content_hash  TEXT NOT NULL,
    modified_at   INTEGER,
    deleted_at    INTEGER
);
CREATE INDEX item_versions_by_item ON item_versions (repository_id, resource, item_id);
CREATE INDEX item_versions_by_run ON item_versions (run_id);
CREATE INDEX item_versions_by_hash ON item_versions (content_hash);

CREATE TABLE cursors (
    connector   TEXT NOT NULL,
    resource    TEXT NOT NULL,
    scope       TEXT NOT NULL,
    cursor      TEXT NOT NULL,
    run_id      TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (connector, resource, scope)
);

CREATE TABLE checkpoints (
    job         TEXT NOT NULL,
    resource    TEXT NOT NULL,
    state       TEXT NOT NULL,
    run_id      TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (job, resource)
);

-- item_id '' holds the whole resource.
CREATE TABLE legal_holds (
    repository_id TEXT NOT NULL REFERENCES repositories (id),
    resource      TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    reason        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, resource, item_id)
);
