-- 0002: the version table becomes a stream that live pages follow.
--
-- SQLite needs no lock or trigger for this: every write starts with BEGIN IMMEDIATE, so appends
-- already commit one at a time in position order, and the server process that wrote a version
-- announces it to its own subscribers after the commit (SQLite has no LISTEN/NOTIFY). What
-- remains is the index the activity page uses to filter the change feed by who made the change.
CREATE INDEX task_versions_actor_idx ON task_versions (actor, position DESC);
