-- 0003: free text holds no control characters.
--
-- The same rule as migrations/postgres/0003, written for SQLite. SQLite cannot add a CHECK
-- constraint to an existing table (only rebuilding the table could, and rebuilding would copy
-- history), so a BEFORE INSERT trigger enforces it, raising the same rule names the store maps
-- back to form fields. Like PostgreSQL's NOT VALID constraints, it binds only rows appended from
-- now on. Titles and actors are one line; descriptions and notes keep newline (10), carriage
-- return (13) and tab (9).
--
-- Two SQLite details: text functions stop at a NUL, so NUL is found by searching the text's
-- bytes (instr on a BLOB); GLOB character classes take ranges of characters, so the other
-- controls are one class. A NULL description or note matches nothing.
CREATE TRIGGER task_versions_plain_text
BEFORE INSERT ON task_versions
BEGIN
    SELECT RAISE(ABORT, 'title_plain: the title holds a control character')
    WHERE instr(CAST(NEW.title AS BLOB), x'00') > 0
       OR NEW.title GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*');
    SELECT RAISE(ABORT, 'actor_plain: the actor holds a control character')
    WHERE instr(CAST(NEW.actor AS BLOB), x'00') > 0
       OR NEW.actor GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*');
    SELECT RAISE(ABORT, 'description_plain: the description holds a control character')
    WHERE instr(CAST(NEW.description AS BLOB), x'00') > 0
       OR NEW.description GLOB ('*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31) || char(127) || '-' || char(159) || ']*');
    SELECT RAISE(ABORT, 'note_plain: the note holds a control character')
    WHERE instr(CAST(NEW.note AS BLOB), x'00') > 0
       OR NEW.note GLOB ('*[' || char(1) || '-' || char(8) || char(11) || char(12) || char(14) || '-' || char(31) || char(127) || '-' || char(159) || ']*');
END;
