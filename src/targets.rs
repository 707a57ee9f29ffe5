//! Target years as a whole: copying a year's catalogue into a new year.

use sqlx::SqliteConnection;

/// Copies components, areas, indicators, steps, their authority units and the
/// component weights of `from` into the empty year `to`; optionally the assignments.
/// Returns the number of steps copied. Runs on the caller's transaction.
pub async fn copy_year(
    conn: &mut SqliteConnection,
    from: i64,
    to: i64,
    with_assignments: bool,
) -> sqlx::Result<u64> {
    sqlx::query("INSERT INTO target_years (year, title) VALUES (?, ?)")
        .bind(to)
        .bind(format!(
            "Target Prioritas Pembangunan Zona Integritas Tahun {to}"
        ))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO components (year, position, numeral, name)
         SELECT ?, position, numeral, name FROM components WHERE year = ? ORDER BY position",
    )
    .bind(to)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO areas (component_id, position, name)
         SELECT cn.id, a.position, a.name FROM areas a
         JOIN components co ON co.id = a.component_id AND co.year = ?1
         JOIN components cn ON cn.year = ?2 AND cn.position = co.position
         ORDER BY co.position, a.position",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO indicators (area_id, position, text)
         SELECT an.id, i.position, i.text FROM indicators i
         JOIN areas ao ON ao.id = i.area_id
         JOIN components co ON co.id = ao.component_id AND co.year = ?1
         JOIN components cn ON cn.year = ?2 AND cn.position = co.position
         JOIN areas an ON an.component_id = cn.id AND an.position = ao.position
         ORDER BY co.position, ao.position, i.position",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    let steps = sqlx::query(
        "INSERT INTO action_steps (indicator_id, position, text, authority_text)
         SELECT inew.id, s.position, s.text, s.authority_text FROM action_steps s
         JOIN indicators io ON io.id = s.indicator_id
         JOIN areas ao ON ao.id = io.area_id
         JOIN components co ON co.id = ao.component_id AND co.year = ?1
         JOIN components cn ON cn.year = ?2 AND cn.position = co.position
         JOIN areas an ON an.component_id = cn.id AND an.position = ao.position
         JOIN indicators inew ON inew.area_id = an.id AND inew.position = io.position
         ORDER BY co.position, ao.position, io.position, s.position",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // old step id -> new step id, by position along the hierarchy
    let map = "SELECT so.id AS old_id, sn.id AS new_id FROM action_steps so
         JOIN indicators io ON io.id = so.indicator_id
         JOIN areas ao ON ao.id = io.area_id
         JOIN components co ON co.id = ao.component_id AND co.year = ?1
         JOIN components cn ON cn.year = ?2 AND cn.position = co.position
         JOIN areas an ON an.component_id = cn.id AND an.position = ao.position
         JOIN indicators inew ON inew.area_id = an.id AND inew.position = io.position
         JOIN action_steps sn ON sn.indicator_id = inew.id AND sn.position = so.position";
    sqlx::query(&format!(
        "INSERT INTO step_authorities (step_id, unit_id)
         SELECT m.new_id, sa.unit_id FROM step_authorities sa JOIN ({map}) m ON m.old_id = sa.step_id"
    ))
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await?;
    if with_assignments {
        sqlx::query(&format!(
            "INSERT INTO step_assignments (step_id, user_id, assigned_by)
             SELECT m.new_id, sa.user_id, sa.assigned_by FROM step_assignments sa
             JOIN ({map}) m ON m.old_id = sa.step_id
             JOIN users u ON u.id = sa.user_id AND u.active = 1"
        ))
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO component_weights (year, numeral, weight)
         SELECT ?, numeral, weight FROM component_weights WHERE year = ?",
    )
    .bind(to)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(steps)
}
