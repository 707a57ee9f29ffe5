-- The unit boundary, written once. Every catalogue item belongs to a work unit and a
-- target year through its component; queries scope a unit through these views rather
-- than retyping the area > component joins. SQLite flattens such views into the
-- query that reads them, so the same indexes serve as before.

-- An area with its component, year and unit.
CREATE VIEW unit_areas AS
SELECT a.id AS area_id, a.position AS a_pos, a.name AS area_name,
       a.retired_at AS area_retired_at,
       c.id AS component_id, c.position AS c_pos, c.numeral, c.name AS component_name,
       c.year, c.unit_id
FROM areas a
JOIN components c ON c.id = a.component_id;

-- An indicator in its area; retired when it or its area is.
CREATE VIEW unit_indicators AS
SELECT i.id AS indicator_id, i.position AS i_pos, i.text AS indicator_text,
       i.retired_at AS indicator_retired_at,
       ua.area_id, ua.a_pos, ua.area_name, ua.area_retired_at,
       ua.component_id, ua.c_pos, ua.numeral, ua.component_name, ua.year, ua.unit_id,
       (i.retired_at IS NOT NULL OR ua.area_retired_at IS NOT NULL) AS retired
FROM indicators i
JOIN unit_areas ua ON ua.area_id = i.area_id;

-- An action step in its indicator; retired when it, its indicator or its area is.
CREATE VIEW unit_steps AS
SELECT s.id AS step_id, s.position AS s_pos, s.text AS step_text, s.authority_text,
       s.retired_at AS step_retired_at,
       ui.indicator_id, ui.i_pos, ui.indicator_text, ui.indicator_retired_at,
       ui.area_id, ui.a_pos, ui.area_name, ui.area_retired_at,
       ui.component_id, ui.c_pos, ui.numeral, ui.component_name, ui.year, ui.unit_id,
       (s.retired_at IS NOT NULL OR ui.retired) AS retired
FROM action_steps s
JOIN unit_indicators ui ON ui.indicator_id = s.indicator_id;

-- The review that stands for a step's period: the latest verdict on it, when it was
-- given on the current progress version (a newer save leaves none standing until the
-- next review). Verdicts are only ever given on the current version, so this is also
-- the latest verdict of that version. `resubmitted`: the PIC has answered it ("Ajukan
-- ulang"), so a fix request no longer waits on them.
CREATE VIEW standing_reviews AS
SELECT r.id, r.step_id, r.semester, r.progress_version, r.verdict, r.note,
       r.reviewer_id, r.reviewed_at,
       EXISTS (SELECT 1 FROM resubmissions x WHERE x.review_id = r.id) AS resubmitted
FROM reviews r
WHERE r.id = (SELECT max(r2.id) FROM reviews r2
               WHERE r2.step_id = r.step_id AND r2.semester = r.semester)
  AND r.progress_version = (SELECT p.version FROM progress p
                             WHERE p.step_id = r.step_id AND p.semester = r.semester);
