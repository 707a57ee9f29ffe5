//! Writes read what guards them inside their own transaction: a change committed after
//! the handler's first read but before its write takes the lock still decides the write.

use std::time::Duration;

use crate::helpers::{spawn_app, unique};

const P: &str = "2021-2";

/// Holds SQLite's write lock from a connection of the test, runs `change` in it once the
/// request is waiting for the lock, and commits: the request's transaction starts after.
async fn commit_while_waiting<F: std::future::Future>(
    app: &crate::helpers::TestApp,
    request: F,
    change: &str,
    binds: &[i64],
) -> F::Output {
    let mut holder = app.db().acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let hold = async {
        // Long enough for the handler to read the step and reach `db::write` on an idle
        // machine; were it slower, it would read after the commit and be refused anyway.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mut q = sqlx::query(sqlx::AssertSqlSafe(change.to_string()));
        for b in binds {
            q = q.bind(*b);
        }
        assert_eq!(q.execute(&mut *holder).await.unwrap().rows_affected(), 1);
        sqlx::query("COMMIT").execute(&mut *holder).await.unwrap();
    };
    let (out, ()) = tokio::join!(request, hold);
    out
}

#[tokio::test]
async fn an_unassignment_committed_while_a_save_waits_refuses_the_save() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let version = staf.progress_version(step, P).await;
    let path = format!("/langkah/{step}/progres");
    let fields = [
        ("periode", P),
        ("version", version.as_str()),
        ("status", "berjalan"),
        ("realization", "40"),
        ("narrative", "Disimpan setelah PIC dilepas"),
    ];
    let res = commit_while_waiting(
        &app,
        staf.post(&path, &fields),
        "DELETE FROM step_assignments WHERE step_id = ? AND user_id = ?",
        &[step, staf.user_id],
    )
    .await;
    assert_eq!(res.status(), 403);
    let saved: i64 = sqlx::query_scalar("SELECT count(*) FROM progress WHERE step_id = ?")
        .bind(step)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(
        saved, 0,
        "nothing is saved by a PIC released before the save"
    );
}

#[tokio::test]
async fn an_unassignment_committed_while_an_evidence_link_waits_refuses_the_link() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let label = unique("tautan");
    let path = format!("/langkah/{step}/tautan");
    let fields = [
        ("periode", P),
        ("url", "https://contoh.go.id/sk.pdf"),
        ("label", label.as_str()),
    ];
    let res = commit_while_waiting(
        &app,
        staf.post(&path, &fields),
        "DELETE FROM step_assignments WHERE step_id = ? AND user_id = ?",
        &[step, staf.user_id],
    )
    .await;
    assert_eq!(res.status(), 403);
    let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence WHERE label = ?")
        .bind(&label)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(linked, 0);
}
