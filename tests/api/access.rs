//! Every route × every role (and anonymous): allowed, 403, or sent to sign in; and
//! every route as each role of one unit against another unit's items: not found.
//! A route the app has but this table lacks fails the test.

use std::collections::HashMap;

use crate::helpers::{Session, TestApp, csrf_from, fingerprint, location, spawn_app};

#[derive(Clone, Copy, Debug)]
pub(crate) enum Who {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Only these roles. "admin" stands for the unit's admin and the instansi's;
    /// "pimpinan" for the unit's leader and, on GET, the instansi's (who only reads).
    Roles(&'static [&'static str]),
    /// Only the instansi's admin.
    Instansi,
    /// Exactly these roles (as the test names them).
    Only(&'static [&'static str]),
    /// Anyone holding a signed link; without one, refused for everybody (403).
    Link,
}

const ADMIN: Who = Who::Roles(&["admin"]);
const INSTANSI: Who = Who::Instansi;

/// (method, route pattern, who may use it). Path parameters are filled in by `sample`.
pub(crate) const TABLE: &[(&str, &str, Who)] = &[
    ("GET", "/", Who::SignedIn),
    ("GET", "/healthz", Who::Public),
    ("GET", "/static/{name}", Who::Public),
    ("GET", "/favicon.ico", Who::Public),
    ("GET", "/login", Who::Public),
    ("POST", "/login", Who::Public),
    ("GET", "/akun/kata-sandi", Who::SignedIn),
    ("POST", "/akun/kata-sandi", Who::SignedIn),
    ("GET", "/katalog", Who::SignedIn),
    ("GET", "/katalog/komponen/{id}", Who::SignedIn),
    ("GET", "/katalog/ekspor.csv", Who::SignedIn),
    ("GET", "/admin/pengguna", ADMIN),
    ("GET", "/admin/pengguna/baru", ADMIN),
    ("POST", "/admin/pengguna/baru", ADMIN),
    ("GET", "/admin/pengguna/{id}", ADMIN),
    ("POST", "/admin/pengguna/{id}", ADMIN),
    ("POST", "/admin/pengguna/{id}/kata-sandi", ADMIN),
    ("POST", "/admin/pengguna/{id}/buka-kunci", ADMIN),
    ("GET", "/audit", Who::Roles(&["admin", "pimpinan"])),
    ("GET", "/admin/periode", ADMIN),
    ("POST", "/admin/periode", ADMIN),
    ("GET", "/tugas", Who::SignedIn),
    (
        "GET",
        "/dashboard",
        Who::Roles(&["admin", "pimpinan", "penilai"]),
    ),
    (
        "GET",
        "/dashboard/daftar",
        Who::Roles(&["admin", "pimpinan", "penilai"]),
    ),
    ("GET", "/laporan", Who::SignedIn),
    ("GET", "/laporan/target.xlsx", Who::SignedIn),
    ("GET", "/laporan/target.csv", Who::SignedIn),
    ("GET", "/laporan/cetak", Who::SignedIn),
    ("GET", "/laporan/bukti.zip", Who::SignedIn),
    ("GET", "/admin/bobot", INSTANSI),
    ("GET", "/admin/target", ADMIN),
    ("POST", "/admin/target/{jenis}/baru", ADMIN),
    ("GET", "/admin/target/{jenis}/{id}", ADMIN),
    ("POST", "/admin/target/{jenis}/{id}", ADMIN),
    ("POST", "/admin/target/{jenis}/{id}/pindah", ADMIN),
    ("POST", "/admin/target/{jenis}/{id}/status", ADMIN),
    ("GET", "/admin/target-salin", ADMIN),
    ("POST", "/admin/target-salin", ADMIN),
    ("GET", "/admin/target-impor", ADMIN),
    ("POST", "/admin/target-impor", ADMIN),
    ("GET", "/admin/unit", INSTANSI),
    ("POST", "/admin/unit", INSTANSI),
    ("GET", "/admin/unit/{id}", INSTANSI),
    ("POST", "/admin/unit/{id}", INSTANSI),
    ("POST", "/admin/unit/{id}/status", INSTANSI),
    ("POST", "/admin/bobot", INSTANSI),
    // The staff member of this test is assigned to the sample step; other staff
    // would get 403 from the step's own rights.
    ("GET", "/langkah/{id}", Who::SignedIn),
    ("POST", "/langkah/{id}/progres", Who::Roles(&["staf"])),
    (
        "POST",
        "/langkah/{id}/reviu",
        Who::Roles(&["penilai", "pimpinan"]),
    ),
    ("POST", "/langkah/{id}/bukti", Who::Roles(&["staf"])),
    ("POST", "/langkah/{id}/tautan", Who::Roles(&["staf"])),
    ("GET", "/bukti/{id}/unduh", Who::SignedIn),
    ("GET", "/bukti/{id}/lihat", Who::SignedIn),
    ("GET", "/bukti/{id}/hapus", Who::Roles(&["admin", "staf"])),
    ("POST", "/bukti/{id}/hapus", Who::Roles(&["admin", "staf"])),
    (
        "POST",
        "/bukti/{id}/pulihkan",
        Who::Roles(&["admin", "staf"]),
    ),
    ("GET", "/penugasan", Who::Roles(&["admin", "pimpinan"])),
    (
        "POST",
        "/penugasan/area",
        Who::Roles(&["admin", "pimpinan"]),
    ),
    (
        "POST",
        "/penugasan/alih",
        Who::Roles(&["admin", "pimpinan"]),
    ),
    (
        "POST",
        "/langkah/{id}/pic",
        Who::Roles(&["admin", "pimpinan"]),
    ),
    (
        "POST",
        "/langkah/{id}/unit",
        Who::Roles(&["admin", "pimpinan"]),
    ),
    ("GET", "/reviu", Who::Roles(&["pimpinan", "penilai"])),
    (
        "GET",
        "/reviu/berikutnya",
        Who::Roles(&["pimpinan", "penilai"]),
    ),
    ("POST", "/langkah/{id}/ajukan", Who::Roles(&["staf"])),
    ("GET", "/lke", Who::SignedIn),
    ("GET", "/lke/{tahun}", Who::SignedIn),
    ("GET", "/lke/{tahun}/lembar-kerja.xlsx", Who::SignedIn),
    (
        "GET",
        "/lke/{tahun}/impor",
        Who::Roles(&["admin", "penilai"]),
    ),
    (
        "POST",
        "/lke/{tahun}/impor",
        Who::Roles(&["admin", "penilai"]),
    ),
    ("GET", "/lke/{tahun}/kelompok", Who::SignedIn),
    ("POST", "/lke/{tahun}/kelompok/{id}", INSTANSI),
    ("GET", "/lke/{tahun}/soal", Who::SignedIn),
    ("GET", "/lke/{tahun}/soal/{id}", Who::SignedIn),
    (
        "POST",
        "/lke/{tahun}/soal/{id}/jawaban",
        Who::Roles(&["admin", "staf"]),
    ),
    (
        "POST",
        "/lke/{tahun}/soal/{id}/tpi",
        Who::Roles(&["penilai"]),
    ),
    (
        "POST",
        "/lke/{tahun}/soal/{id}/pic",
        Who::Roles(&["admin", "pimpinan"]),
    ),
    (
        "POST",
        "/lke/{tahun}/penugasan",
        Who::Roles(&["admin", "pimpinan"]),
    ),
    ("GET", "/lke/{tahun}/catatan-tpi", Who::SignedIn),
    ("POST", "/lke/{tahun}/kirim", ADMIN),
    ("POST", "/lke/{tahun}/buka", ADMIN),
    ("POST", "/lke/{tahun}/final", Who::Roles(&["penilai"])),
    ("POST", "/lke/{tahun}/buka-tpi", Who::Roles(&["penilai"])),
    ("POST", "/lke/{tahun}/tenggat", ADMIN),
    ("POST", "/langkah/{id}/soal", ADMIN),
    (
        "GET",
        "/lke/{tahun}/bukti.zip",
        Who::Roles(&["admin", "pimpinan", "penilai"]),
    ),
    ("POST", "/lke/{tahun}/bawa", ADMIN),
    ("GET", "/lke/{tahun}/tindak-lanjut", ADMIN),
    ("POST", "/lke/{tahun}/tindak-lanjut", ADMIN),
    ("GET", "/admin/predikat", ADMIN),
    ("POST", "/admin/predikat", ADMIN),
    ("GET", "/admin/lke", INSTANSI),
    ("POST", "/admin/lke", INSTANSI),
    ("GET", "/unit/pilih", Who::SignedIn),
    // PortalRB's API: no session, its own Bearer token (401 without one, for anybody)
    ("GET", "/api/portalrb/pengusulan/unit-wbk", Who::Public),
    ("GET", "/api/portalrb/pengusulan/unit-wbbm", Who::Public),
    (
        "GET",
        "/api/portalrb/lke/jawaban-unit/{unit_id}",
        Who::Public,
    ),
    ("GET", "/api/portalrb/{*rest}", Who::Public),
    ("GET", "/api/portalrb/", Who::Public),
    ("GET", "/api/portalrb", Who::Public),
    ("GET", "/notifikasi", Who::SignedIn),
    ("GET", "/notifikasi/{id}/buka", Who::SignedIn),
    ("POST", "/notifikasi/{id}/baca", Who::SignedIn),
    ("POST", "/notifikasi/baca-semua", Who::SignedIn),
    ("GET", "/admin/surel", INSTANSI),
    ("POST", "/admin/surel/{id}/ulang", INSTANSI),
    ("GET", "/akun/notifikasi", Who::SignedIn),
    ("POST", "/akun/notifikasi", Who::SignedIn),
    ("GET", "/akun/surel/verifikasi", Who::Public),
    ("GET", "/lupa-sandi", Who::Public),
    ("POST", "/lupa-sandi", Who::Public),
    ("GET", "/reset-sandi", Who::Public),
    ("POST", "/reset-sandi", Who::Public),
    ("GET", "/akun/surel/batalkan", Who::Public),
    ("POST", "/akun/surel/batalkan", Who::Public),
    ("GET", "/admin/portalrb", INSTANSI),
    ("POST", "/admin/portalrb/jendela", INSTANSI),
    ("POST", "/admin/portalrb/usul", INSTANSI),
    ("POST", "/admin/portalrb/token", INSTANSI),
    ("POST", "/admin/portalrb/token/cabut", INSTANSI),
    ("GET", "/admin/portalrb/{tahun}/{kode}", INSTANSI),
    ("GET", "/admin/portalrb/{tahun}/{kode}/json", INSTANSI),
    // the evaluators' signed evidence pages
    ("GET", "/evaluasi/{kode}/{tahun}/{soal}", Who::Link),
    (
        "GET",
        "/evaluasi/{kode}/{tahun}/{soal}/bukti/{id}",
        Who::Link,
    ),
    (
        "GET",
        "/instansi/rekap",
        Who::Only(&["admin", "pimpinan-instansi", "penilai"]),
    ),
    (
        "GET",
        "/instansi/rekap.csv",
        Who::Only(&["admin", "pimpinan-instansi", "penilai"]),
    ),
    (
        "GET",
        "/instansi/rekap.xlsx",
        Who::Only(&["admin", "pimpinan-instansi", "penilai"]),
    ),
    (
        "GET",
        "/reviu/semua",
        Who::Only(&["admin", "pimpinan-instansi", "pimpinan", "penilai"]),
    ),
    ("GET", "/admin/unit-kerja", INSTANSI),
    ("POST", "/admin/unit-kerja/salin-target", INSTANSI),
    ("GET", "/admin/pengguna/impor", INSTANSI),
    ("POST", "/admin/pengguna/impor", INSTANSI),
    ("POST", "/admin/unit-kerja", INSTANSI),
    ("POST", "/admin/unit-kerja/{kode}/nama", INSTANSI),
    ("POST", "/admin/unit-kerja/{kode}/nonaktif", INSTANSI),
    // sign-out last: it ends the session the other rows use
    ("POST", "/logout", Who::SignedIn),
];

/// "admin" is the instansi's admin; "admin-unit" the first unit's.
const ROLES: [&str; 6] = [
    "admin",
    "admin-unit",
    "pimpinan-instansi",
    "pimpinan",
    "staf",
    "penilai",
];

/// Whether `role` may use a route: the table's rule, read for the roles per unit.
pub(crate) fn may(who: Who, role: &str, method: &str, path: &str) -> bool {
    // their own password, sign-out, their own notifications and mail settings
    let read_only_post_ok = matches!(
        path,
        "/akun/kata-sandi"
            | "/logout"
            | "/akun/notifikasi"
            | "/notifikasi/baca-semua"
            | "/notifikasi/{id}/baca"
    );
    match (who, role) {
        (Who::Public, _) => true,
        (Who::Instansi, r) => r == "admin",
        (Who::Link, _) => false,
        (Who::Only(roles), r) => roles.contains(&r),
        // the instansi's leader reads every unit and changes nothing
        (_, "pimpinan-instansi") if method == "POST" && !read_only_post_ok => false,
        (Who::SignedIn, _) => true,
        (Who::Roles(roles), "admin-unit") => roles.contains(&"admin"),
        (Who::Roles(roles), "pimpinan-instansi") => roles.contains(&"pimpinan"),
        (Who::Roles(roles), r) => roles.contains(&r),
    }
}

pub(crate) async fn sample(app: &TestApp, pattern: &str, step: i64, evidence: i64) -> String {
    let component: i64 = sqlx::query_scalar("SELECT min(id) FROM components")
        .fetch_one(app.db())
        .await
        .unwrap();
    let ids: HashMap<&str, i64> = HashMap::from([
        ("/katalog/komponen/{id}", component),
        ("/langkah/{id}", step),
        ("/langkah/{id}/progres", step),
        ("/langkah/{id}/reviu", step),
        ("/langkah/{id}/bukti", step),
        ("/langkah/{id}/tautan", step),
        ("/langkah/{id}/pic", step),
        ("/langkah/{id}/unit", step),
        ("/langkah/{id}/soal", step),
        ("/langkah/{id}/ajukan", step),
        ("/bukti/{id}/unduh", evidence),
        ("/bukti/{id}/lihat", evidence),
        ("/bukti/{id}/hapus", evidence),
        ("/bukti/{id}/pulihkan", evidence),
        ("/admin/target/{jenis}/baru", 0),
        ("/admin/target/{jenis}/{id}", step),
        ("/admin/target/{jenis}/{id}/pindah", step),
        ("/admin/unit/{id}", 3),
        ("/admin/unit/{id}/status", 3),
        // the first admin account: edits with an empty form are refused by validation
        ("/admin/pengguna/{id}", 1),
        ("/admin/pengguna/{id}/kata-sandi", 1),
        ("/admin/pengguna/{id}/buka-kunci", 1),
        ("/lke/{tahun}/kelompok/{id}", 1),
        ("/lke/{tahun}/soal/{id}", 1),
        ("/lke/{tahun}/soal/{id}/jawaban", 1),
        ("/lke/{tahun}/soal/{id}/tpi", 1),
        ("/lke/{tahun}/soal/{id}/pic", 1),
        ("/evaluasi/{kode}/{tahun}/{soal}/bukti/{id}", evidence),
    ]);
    match ids.get(pattern) {
        Some(id) => pattern
            .replace("{jenis}", "langkah")
            .replace("{tahun}", "2026")
            .replace("{kode}", "balitnak")
            .replace("{soal}", "1")
            .replace("{id}", &id.to_string()),
        None => pattern
            .replace("{name}", "style.css")
            .replace("{tahun}", "2026")
            // an unknown code: the form is refused without retiring the unit in use
            .replace("{kode}", "tidak-ada")
            .replace("{unit_id}", "balitnak")
            .replace("{soal}", "1")
            .replace("{*rest}", "lain"),
    }
}

pub(crate) enum Outcome {
    Allowed,
    Forbidden,
    ToLogin,
}

pub(crate) async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    csrf: &str,
) -> (Outcome, u16) {
    let res = match method {
        "GET" => client.get(format!("{base}{path}")).send().await.unwrap(),
        _ => client
            .post(format!("{base}{path}"))
            .form(&[("csrf_token", csrf)])
            .send()
            .await
            .unwrap(),
    };
    let status = res.status().as_u16();
    let outcome = if status == 403 {
        Outcome::Forbidden
    } else if status == 303 && {
        // the sign-in page itself, not the "you have signed out" confirmation
        let to = location(&res);
        to == "/login" || to.starts_with("/login?next=")
    } {
        Outcome::ToLogin
    } else {
        Outcome::Allowed
    };
    assert!(status < 500, "{method} {path}: {status}");
    (outcome, status)
}

#[tokio::test]
async fn every_route_for_every_role() {
    let app = spawn_app().await;

    // The table covers exactly the app's routes.
    let app_routes: Vec<(String, String)> =
        zi_tracker::app::routes(&zi_tracker::Config::new("127.0.0.1:0", "unused"))
            .into_iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
    for (m, p) in &app_routes {
        assert!(
            TABLE.iter().any(|(tm, tp, _)| tm == m && tp == p),
            "route {m} {p} has no entry in the access table of this test"
        );
    }
    assert_eq!(
        app_routes.len(),
        TABLE.len(),
        "the table lists routes the app does not have"
    );

    let mut sessions: Vec<(&str, Session)> = Vec::new();
    for role in ROLES {
        sessions.push((role, app.signed_in(role).await));
    }
    // the staff member holds the sample step, which has one evidence link
    let staff_id = sessions
        .iter()
        .find(|(r, _)| *r == "staf")
        .unwrap()
        .1
        .user_id;
    let step: i64 = sqlx::query_scalar("SELECT min(id) FROM action_steps")
        .fetch_one(app.db())
        .await
        .unwrap();
    sqlx::query("INSERT INTO step_assignments (step_id, user_id) VALUES (?, ?)")
        .bind(step)
        .bind(staff_id)
        .execute(app.db())
        .await
        .unwrap();
    let evidence: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
         VALUES (?, 2, 'link', 'Contoh', 'https://contoh.go.id/a', ?, '2021-08-01T00:00:00Z') RETURNING id",
    )
    .bind(step)
    .bind(staff_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    let anon = app.client();
    let anon_csrf = csrf_from(
        &anon
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );

    for (method, pattern, who) in TABLE {
        let path = sample(&app, pattern, step, evidence).await;
        // anonymous
        let before = fingerprint(app.db()).await;
        let (outcome, status) = call(&anon, &app.base, method, &path, &anon_csrf).await;
        if !matches!(outcome, Outcome::Allowed) {
            assert_eq!(
                fingerprint(app.db()).await,
                before,
                "anon {method} {path} was refused but changed data"
            );
        }
        match who {
            Who::Public => assert!(
                matches!(outcome, Outcome::Allowed),
                "anon {method} {path}: {status}"
            ),
            Who::Link => assert!(
                matches!(outcome, Outcome::Forbidden),
                "anon {method} {path}: {status}"
            ),
            _ => assert!(
                matches!(outcome, Outcome::ToLogin),
                "anon {method} {path}: {status}"
            ),
        }
        for (role, s) in &sessions {
            let before = fingerprint(app.db()).await;
            let (outcome, status) = call(&s.client, &app.base, method, &path, &s.csrf).await;
            if !matches!(outcome, Outcome::Allowed) {
                assert_eq!(
                    fingerprint(app.db()).await,
                    before,
                    "{role} {method} {path} was refused but changed data"
                );
            }
            let allowed = may(*who, role, method, pattern);
            if allowed {
                assert!(
                    matches!(outcome, Outcome::Allowed),
                    "{role} {method} {path}: {status}"
                );
            } else {
                assert!(
                    matches!(outcome, Outcome::Forbidden),
                    "{role} {method} {path}: {status}"
                );
            }
        }
    }
}

/// The forms a route's own test would post, so that a refusal is the token's doing and
/// not the validation's.
fn fields_for(pattern: &str) -> Vec<(&'static str, &'static str)> {
    match pattern {
        "/langkah/{id}/progres" => vec![
            ("periode", "2021-2"),
            ("version", "0"),
            ("status", "berjalan"),
            ("realization", "10"),
            ("narrative", "uji token"),
        ],
        "/langkah/{id}/tautan" => vec![("periode", "2021-2"), ("url", "https://contoh.go.id/b")],
        "/langkah/{id}/reviu" => vec![
            ("periode", "2021-2"),
            ("version", "1"),
            ("verdict", "diterima"),
        ],
        "/admin/periode" => vec![("periode", "2021-2"), ("tenggat", "2021-12-01")],
        "/admin/unit" => vec![
            ("code", "uji-token"),
            ("name", "Unit Uji Token"),
            ("kind", "lainnya"),
        ],
        "/admin/target-salin" => vec![("dari", "2021"), ("ke", "2031")],
        "/bukti/{id}/hapus" => vec![("note", "uji")],
        _ => Vec::new(),
    }
}

/// Every POST route refuses a request without the session's token and one carrying
/// another session's token (403), and neither changes anything.
#[tokio::test]
async fn every_post_route_refuses_a_missing_or_foreign_csrf_token() {
    let app = spawn_app().await;
    let mut own: Vec<(&str, Session)> = Vec::new();
    let mut foreign: Vec<(&str, Session)> = Vec::new();
    for role in ROLES {
        own.push((role, app.signed_in(role).await));
        foreign.push((role, app.signed_in(role).await));
    }
    let staff_id = own.iter().find(|(r, _)| *r == "staf").unwrap().1.user_id;
    let step: i64 = sqlx::query_scalar("SELECT min(id) FROM action_steps")
        .fetch_one(app.db())
        .await
        .unwrap();
    app.assign(step, staff_id).await;
    let evidence: i64 = sqlx::query_scalar(
        "INSERT INTO evidence (step_id, semester, kind, label, url, uploaded_by, uploaded_at)
         VALUES (?, 2, 'link', 'Contoh', 'https://contoh.go.id/a', ?, '2021-08-01T00:00:00Z') RETURNING id",
    )
    .bind(step)
    .bind(staff_id)
    .fetch_one(app.db())
    .await
    .unwrap();
    let mut checked = 0;
    for (method, pattern, who) in TABLE {
        if *method != "POST" {
            continue;
        }
        let path = sample(&app, pattern, step, evidence).await;
        let fields = fields_for(pattern);
        if *pattern == "/login" {
            // the sign-in form's token is a double-submit cookie
            let client = app.client();
            let other = app.client();
            let page = other.get(app.url("/login")).send().await.unwrap();
            let other_token = csrf_from(&page.text().await.unwrap());
            client.get(app.url("/login")).send().await.unwrap();
            for token in [None, Some(other_token.as_str())] {
                let mut form = vec![("username", "admin"), ("password", "salah-salah-salah")];
                if let Some(t) = token {
                    form.push(("csrf_token", t));
                }
                let before = fingerprint(app.db()).await;
                let res = client
                    .post(app.url("/login"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 403, "POST /login with token {token:?}");
                assert_eq!(fingerprint(app.db()).await, before);
            }
            checked += 1;
            continue;
        }
        let role = match who {
            Who::Roles(r) => r[0],
            _ => "staf",
        };
        let s = &own.iter().find(|(r, _)| *r == role).unwrap().1;
        let other = &foreign.iter().find(|(r, _)| *r == role).unwrap().1;
        // missing, another session's, and the right one but only in the query string
        for (how, token, in_query) in [
            ("missing", None, false),
            ("foreign", Some(other.csrf.as_str()), false),
            ("query-string", Some(s.csrf.as_str()), true),
        ] {
            let mut form: Vec<(&str, &str)> = fields.clone();
            let mut url = app.url(&path);
            match (token, in_query) {
                (Some(t), false) => form.push(("csrf_token", t)),
                (Some(t), true) => url = format!("{url}?csrf_token={t}"),
                _ => {}
            }
            let before = fingerprint(app.db()).await;
            let res = s.client.post(url).form(&form).send().await.unwrap();
            assert_eq!(res.status(), 403, "{role} POST {path} with a {how} token");
            assert_eq!(
                fingerprint(app.db()).await,
                before,
                "{role} POST {path} changed data without its token"
            );
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        TABLE.iter().filter(|(m, _, _)| *m == "POST").count()
    );
    // and the session that was not signed out with a foreign token is still alive
    let staf = &own.iter().find(|(r, _)| *r == "staf").unwrap().1;
    assert_eq!(staf.get("/tugas").await.status(), 200);
}

/// Only a step's PIC writes its progress and evidence: another staff member can
/// neither read nor change it, and leadership, reviewers and admins, who read every
/// step, change nothing either, whatever the form says.
#[tokio::test]
async fn only_the_pic_changes_a_step() {
    let app = spawn_app().await;
    let pic = app.signed_in("staf").await;
    let stranger = app.signed_in("staf").await;
    let readers = [
        app.signed_in("pimpinan").await,
        app.signed_in("admin").await,
        app.signed_in("penilai").await,
    ];
    let step = app.step_id("II", 1, 1, 1).await;
    app.assign(step, pic.user_id).await;
    let res = pic
        .post(
            &format!("/langkah/{step}/progres"),
            &fields_for("/langkah/{id}/progres"),
        )
        .await;
    assert_eq!(res.status(), 303, "the PIC saves");
    let evidence: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(evidence, 0);
    let before = fingerprint(app.db()).await;
    assert_eq!(
        stranger.get(&format!("/langkah/{step}")).await.status(),
        403
    );
    for (path, fields) in [
        (
            format!("/langkah/{step}/progres"),
            vec![
                ("periode", "2021-2"),
                ("version", "1"),
                ("status", "selesai"),
                ("realization", "100"),
                ("narrative", "bukan tugas saya"),
            ],
        ),
        (
            format!("/langkah/{step}/tautan"),
            fields_for("/langkah/{id}/tautan"),
        ),
    ] {
        let res = stranger.post(&path, &fields).await;
        assert_eq!(res.status(), 403, "{path}");
    }
    let res = stranger
        .upload(
            step,
            "2021-2",
            "bukti.pdf",
            crate::helpers::pdf_bytes("orang lain"),
            None,
        )
        .await;
    assert_eq!(res.status(), 403);
    for reader in &readers {
        assert_eq!(reader.get(&format!("/langkah/{step}")).await.status(), 200);
        let res = reader
            .post(
                &format!("/langkah/{step}/progres"),
                &[
                    ("periode", "2021-2"),
                    ("version", "1"),
                    ("status", "selesai"),
                    ("realization", "100"),
                    ("narrative", "bukan PIC"),
                ],
            )
            .await;
        assert_eq!(res.status(), 403, "{} saves progress", reader.username);
        let res = reader
            .upload(
                step,
                "2021-2",
                "bukti.pdf",
                crate::helpers::pdf_bytes("bukan PIC"),
                None,
            )
            .await;
        assert_eq!(res.status(), 403, "{} uploads", reader.username);
    }
    assert_eq!(fingerprint(app.db()).await, before);
}

/// Separation of duties: only staff hold steps; nobody reviews a step they hold or a
/// progress version they saved; a staff member changing role hands their steps over.
#[tokio::test]
async fn duties_stay_separate() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let pimpinan = app.signed_in("pimpinan").await;
    let staf = app.signed_in("staf").await;
    let other = app.signed_in("staf").await;
    let step = app.step_id("III", 2, 1, 1).await;

    // only staff are offered as PICs, and only staff can be made one
    let (_, page) = admin
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    let offered = crate::helpers::html::texts(&page, "select[name=user_id] option");
    assert!(
        offered.iter().any(|o| o.contains(&staf.username)),
        "{offered:?}"
    );
    for not_staff in [&admin.username, &pimpinan.username] {
        assert!(
            !offered.iter().any(|o| o.contains(not_staff.as_str())),
            "{offered:?}"
        );
    }
    for who in [pimpinan.user_id, admin.user_id] {
        let res = admin
            .post(
                &format!("/langkah/{step}/pic"),
                &[("periode", "2021-2"), ("user_id", &who.to_string())],
            )
            .await;
        assert_eq!(res.status(), 400, "a non-staff PIC is refused");
    }
    // even a (legacy) assignment gives no write to a pimpinan, and no review of it
    app.assign(step, pimpinan.user_id).await;
    let res = pimpinan
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", "2021-2"),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "10"),
                ("narrative", "bukan tugas pimpinan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);

    // the staff member saves; the same person, made a reviewer, cannot accept it
    app.assign(step, staf.user_id).await;
    assert_eq!(
        staf.save_progress(step, "2021-2", "berjalan", "40", "dikerjakan")
            .await
            .status(),
        303
    );
    let review_v1 = [
        ("periode", "2021-2"),
        ("version", "1"),
        ("verdict", "diterima"),
        ("note", ""),
    ];
    let res = pimpinan
        .post(&format!("/langkah/{step}/reviu"), &review_v1)
        .await;
    assert_eq!(res.status(), 403, "a holder does not review");
    let edit = format!("/admin/pengguna/{}", staf.user_id);
    let fields = |handover: &str| {
        vec![
            ("display_name", format!("Pengguna {}", staf.username)),
            ("role", "penilai".to_string()),
            ("unit_id", String::new()),
            ("active", "on".to_string()),
            ("alihkan_ke", handover.to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let admin = &admin;
        let edit = edit.clone();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post(&edit, &pairs).await
        }
    };
    let res = post(fields("")).await;
    assert_eq!(res.status(), 409);
    let body = res.text().await.unwrap();
    assert!(body.contains("masih PIC 1 langkah aksi"), "warned");
    assert!(body.contains("name=\"alihkan_ke\""), "offered a handover");
    let role: String = sqlx::query_scalar("SELECT role FROM user_units WHERE user_id = ?")
        .bind(staf.user_id)
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(role, "staf", "nothing changed yet");
    let res = post(fields(&other.user_id.to_string())).await;
    assert_eq!(res.status(), 303);
    let holders: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM step_assignments WHERE step_id = ? ORDER BY user_id",
    )
    .bind(step)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert!(holders.contains(&other.user_id) && !holders.contains(&staf.user_id));
    // the new reviewer signs in again (role change) and still may not judge own work
    let reviewer = app
        .sign_in(&staf.username, crate::helpers::PASSWORD)
        .await
        .unwrap();
    let res = reviewer
        .post(&format!("/langkah/{step}/reviu"), &review_v1)
        .await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("tidak dapat mereviu progres yang Anda simpan sendiri")
    );
    let reviews: i64 = sqlx::query_scalar("SELECT count(*) FROM reviews")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(reviews, 0);
}
