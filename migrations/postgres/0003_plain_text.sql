-- 0003: free text holds no control characters.
--
-- The app refuses them in its newtypes, but the rule belongs to the data, so the database checks
-- it too. Before this, a title with U+0000 was stored by SQLite and refused by PostgreSQL with a
-- driver error (its text type cannot hold NUL at all), so the two backends disagreed. Now both
-- refuse every C0 and C1 control character and DEL, by a named rule the store maps back to the
-- form field. Titles and actors are one line; descriptions and notes keep newline, carriage
-- return and tab, which a textarea sends.
--
-- NOT VALID: the rule binds every row appended from now on. Rows already in the log are history
-- and are never rewritten, so they are not re-checked (and one that broke the rule could not be
-- fixed in place anyway; a new version would carry the correction).
ALTER TABLE task_versions
    ADD CONSTRAINT title_plain CHECK (title !~ '[\x01-\x1f\x7f-\x9f]') NOT VALID,
    ADD CONSTRAINT actor_plain CHECK (actor !~ '[\x01-\x1f\x7f-\x9f]') NOT VALID,
    ADD CONSTRAINT description_plain CHECK (description !~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]') NOT VALID,
    ADD CONSTRAINT note_plain CHECK (note !~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]') NOT VALID;
