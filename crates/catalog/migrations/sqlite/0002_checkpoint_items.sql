-- Item records an interrupted job had already stored, so that its resumption reads none of them again.
CREATE TABLE checkpoint_items (
    job         TEXT NOT NULL,
    resource    TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (job, resource, item_id)
);
