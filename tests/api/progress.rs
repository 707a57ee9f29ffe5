use std::collections::HashSet;

use crate::helpers::{location, ooxml_bytes, pdf_bytes, sha256_hex, spawn_app};

const P: &str = "2021-2";

async fn progress_rows(app: &crate::helpers::TestApp, step: i64) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT h.version, h.narrative FROM progress_history h JOIN progress p ON p.id = h.progress_id
         WHERE p.step_id = ? ORDER BY h.version",
    )
    .bind(step)
    .fetch_all(app.db())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_pic_is_assigned_sees_the_step_records_progress_and_keeps_every_version() {
    let app = spawn_app().await;
    let pimpinan = app.signed_in("pimpinan").await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;

    // pimpinan assigns from the step page
    let res = pimpinan
        .post(
            &format!("/langkah/{step}/pic"),
            &[
                ("periode", P),
                ("user_id", &staf.user_id.to_string()),
                ("action", "tambah"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);

    // a fresh install in 2026 opens on 2021's Semester II
    let (status, tasks) = staf.get_text("/tugas").await;
    assert_eq!(status, 200);
    assert!(tasks.contains("Semester II 2021"), "{tasks}");
    assert!(tasks.contains("Penetapan SK dan Menyusun SOP pemilihan tim kerja ZI"));
    assert!(tasks.contains("1 langkah aksi ditugaskan kepada Anda"));
    assert!(tasks.contains("Belum dimulai"));

    let (status, page) = staf.get_text(&format!("/langkah/{step}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Langkah Aksi I.1.a.1"));
    assert!(page.contains("name=\"version\" value=\"0\""));

    for (version, narrative, realization) in [
        (0, "Rapat penyusunan SK", "40"),
        (1, "SK ditetapkan", "100"),
    ] {
        let res = staf
            .post(
                &format!("/langkah/{step}/progres"),
                &[
                    ("periode", P),
                    ("version", &version.to_string()),
                    ("status", if version == 0 { "berjalan" } else { "selesai" }),
                    ("realization", realization),
                    ("narrative", narrative),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "save from version {version}");
        assert_eq!(
            location(&res),
            format!("/langkah/{step}?periode=2021-2&pesan=progres-disimpan")
        );
    }
    assert_eq!(
        progress_rows(&app, step).await,
        vec![
            (1, "Rapat penyusunan SK".into()),
            (2, "SK ditetapkan".into())
        ]
    );
    let (_, page) = staf
        .get_text(&format!(
            "/langkah/{step}?periode=2021-2&pesan=progres-disimpan"
        ))
        .await;
    assert!(page.contains("Progres telah disimpan."));
    assert!(
        page.contains("Rapat penyusunan SK"),
        "history shows the older version"
    );
    assert!(page.contains("(versi 2)"));
    let (_, tasks) = staf.get_text("/tugas").await;
    assert!(tasks.contains("Selesai") && tasks.contains("100%"));

    // Semester I is separate, and can be opened from the page
    let (status, s1) = staf
        .get_text(&format!("/langkah/{step}?periode=2021-1"))
        .await;
    assert_eq!(status, 200);
    assert!(s1.contains("Belum ada progres yang dicatat untuk periode ini"));

    let audit: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ? AND object_id = ?")
            .bind(zi_tracker::audit::Action::ProgressSaved.as_str())
            .bind(step)
            .fetch_one(app.db())
            .await
            .unwrap();
    assert_eq!(audit, 2);
    let assigned: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::AssignmentAdded.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(assigned, 1);
}

#[tokio::test]
async fn bad_progress_input_is_refused_on_the_same_form_and_nothing_is_saved() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("II", 2, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let path = format!("/langkah/{step}/progres");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("status", "hebat"),
                ("realization", "10"),
                ("narrative", "uraian saya"),
            ],
            "Pilih salah satu status yang tersedia.",
        ),
        (
            &[
                ("status", "berjalan"),
                ("realization", "150"),
                ("narrative", "uraian saya"),
            ],
            "Realisasi harus bilangan bulat dari 0 sampai 100",
        ),
        (
            &[
                ("status", "berjalan"),
                ("realization", "sepuluh"),
                ("narrative", "uraian saya"),
            ],
            "Realisasi harus bilangan bulat dari 0 sampai 100",
        ),
        (
            &[
                ("status", "tidak_dapat"),
                ("realization", "0"),
                ("narrative", "uraian saya"),
                ("reason", " "),
            ],
            "Alasan wajib diisi",
        ),
        (
            &[
                ("status", "selesai"),
                ("realization", "100"),
                ("narrative", ""),
            ],
            "isi uraian kegiatan atau lampirkan bukti dukung",
        ),
    ];
    for (fields, message) in cases {
        let mut form = vec![("periode", P), ("version", "0")];
        form.extend_from_slice(fields);
        let res = staf.post(&path, &form).await;
        assert_eq!(res.status(), 400, "{message}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{message}: {body}");
        // the user's input is kept
        let typed = fields.iter().find(|(k, _)| *k == "realization").unwrap().1;
        assert!(body.contains(&format!("value=\"{typed}\"")), "{typed}");
    }
    assert!(progress_rows(&app, step).await.is_empty());

    // not assigned, or a reviewer: 403 and nothing saved
    let other = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    for s in [&other, &penilai] {
        let res = s
            .post(
                &path,
                &[
                    ("periode", P),
                    ("version", "0"),
                    ("status", "berjalan"),
                    ("realization", "10"),
                    ("narrative", "x"),
                ],
            )
            .await;
        assert_eq!(res.status(), 403);
    }
    // an unassigned staff member cannot even read the step
    assert_eq!(other.get(&format!("/langkah/{step}")).await.status(), 403);
    assert!(progress_rows(&app, step).await.is_empty());

    // a period outside the step's year, an unknown one
    let res = staf
        .post(
            &path,
            &[
                ("periode", "2030-1"),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "10"),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Tidak ada target untuk tahun 2030")
    );
    assert_eq!(staf.get("/tugas?periode=2021-9").await.status(), 404);
}

#[tokio::test]
async fn a_save_over_a_newer_version_is_refused_and_shows_the_newer_values() {
    let app = spawn_app().await;
    let a = app.signed_in("staf").await;
    let b = app.signed_in("staf").await;
    let step = app.step_id("III", 1, 1, 1).await;
    app.assign(step, a.user_id).await;
    app.assign(step, b.user_id).await;
    let path = format!("/langkah/{step}/progres");
    let res = a
        .post(
            &path,
            &[
                ("periode", P),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "30"),
                ("narrative", "Versi dari A"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // B read the page before A saved
    let res = b
        .post(
            &path,
            &[
                ("periode", P),
                ("version", "0"),
                ("status", "selesai"),
                ("realization", "100"),
                ("narrative", "Versi dari B"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    let body = res.text().await.unwrap();
    assert!(body.contains("Perubahan Anda belum disimpan."));
    assert!(body.contains("Versi dari A"), "newer values are shown");
    assert!(
        body.contains(">Versi dari B</textarea>"),
        "B's input is kept"
    );
    assert!(body.contains("name=\"version\" value=\"1\""));
    assert_eq!(
        progress_rows(&app, step).await,
        vec![(1, "Versi dari A".into())]
    );
}

#[tokio::test]
async fn parallel_saves_from_stale_and_fresh_versions_lose_nothing() {
    let app = spawn_app().await;
    let step = app.step_id("IV", 2, 1, 1).await;
    let mut writers = Vec::new();
    for _ in 0..4 {
        let s = app.signed_in("staf").await;
        app.assign(step, s.user_id).await;
        writers.push(s);
    }
    let writers = std::sync::Arc::new(writers);
    let mut tasks = Vec::new();
    for round in 0..8 {
        for w in 0..4 {
            let writers = writers.clone();
            tasks.push(tokio::spawn(async move {
                let s = &writers[w];
                // half read the current version, half post from a fixed stale one
                let version = if (round + w) % 2 == 0 {
                    let (_, page) = s.get_text(&format!("/langkah/{step}?periode=2021-2")).await;
                    let marker = "name=\"version\" value=\"";
                    let start = page.find(marker).unwrap() + marker.len();
                    page[start..start + page[start..].find('"').unwrap()].to_string()
                } else {
                    "1".to_string()
                };
                let stale = version == "1";
                let narrative = format!("simpan r{round} w{w}");
                let res = s
                    .post(
                        &format!("/langkah/{step}/progres"),
                        &[
                            ("periode", "2021-2"),
                            ("version", &version),
                            ("status", "berjalan"),
                            ("realization", "50"),
                            ("narrative", &narrative),
                        ],
                    )
                    .await;
                (res.status().as_u16(), narrative, stale)
            }));
        }
    }
    let mut accepted = HashSet::new();
    let mut refused = 0;
    let mut stale_accepted = 0;
    for t in tasks {
        let (status, narrative, stale) = t.await.unwrap();
        match status {
            303 => {
                accepted.insert(narrative);
                stale_accepted += usize::from(stale);
            }
            409 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    let history = progress_rows(&app, step).await;
    assert!(!accepted.is_empty());
    assert_eq!(accepted.len() + refused, 32);
    // 16 saves claim version 1: only one can find version 1 current, so at least 15
    // are refused; fresh reads racing each other add more refusals.
    assert!(stale_accepted <= 1, "{stale_accepted} stale saves accepted");
    assert!(refused >= 15, "only {refused} saves refused");
    // every accepted save is in the history, once, with contiguous versions
    assert_eq!(history.len(), accepted.len());
    assert_eq!(
        history.iter().map(|h| h.0).collect::<Vec<_>>(),
        (1..=history.len() as i64).collect::<Vec<_>>()
    );
    let in_history: HashSet<String> = history.into_iter().map(|h| h.1).collect();
    assert_eq!(in_history, accepted);
}

#[tokio::test]
async fn evidence_files_are_typed_by_their_bytes_hashed_and_downloadable_only_by_readers() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("V", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;

    let pdf = pdf_bytes("bukti pertama");
    let res = staf
        .upload(step, P, "../../SK Tim <ZI>.pdf", pdf.clone(), None)
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/langkah/{step}?periode=2021-2&pesan=bukti-diunggah")
    );
    let (id, label, stored, sha, size, mime): (i64, String, String, String, i64, String) = sqlx::query_as(
        "SELECT id, label, stored_name, sha256, size, media_type FROM evidence WHERE step_id = ?",
    )
    .bind(step)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(
        label, "SK Tim ZI.pdf",
        "path and markup characters dropped from the label"
    );
    assert_eq!(sha, sha256_hex(&pdf));
    assert_eq!(size, pdf.len() as i64);
    assert_eq!(mime, "application/pdf");
    assert!(!stored.contains("SK"), "the stored name is generated");
    let on_disk =
        std::fs::read(zi_tracker::evidence::stored_path(&app.data_dir(), &stored)).unwrap();
    assert_eq!(sha256_hex(&on_disk), sha);

    let res = staf.get(&format!("/bukti/{id}/unduh")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cd.starts_with("attachment;") && cd.contains("filename*=UTF-8''SK%20Tim%20ZI.pdf"),
        "{cd}"
    );
    let downloaded = res.bytes().await.unwrap();
    assert_eq!(sha256_hex(&downloaded), sha);

    // readers: leadership and reviewers yes, other staff no, anonymous to sign-in
    assert_eq!(
        app.signed_in("penilai")
            .await
            .get(&format!("/bukti/{id}/unduh"))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.signed_in("staf")
            .await
            .get(&format!("/bukti/{id}/unduh"))
            .await
            .status(),
        403
    );
    let anon = app
        .client()
        .get(app.url(&format!("/bukti/{id}/unduh")))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 303);

    // the same bytes again under another name: recognised
    let res = staf.upload(step, P, "salinan.pdf", pdf.clone(), None).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("Berkas yang sama persis sudah menjadi bukti dukung langkah ini: &#34;SK Tim ZI.pdf&#34;") , "duplicate named");

    // Office files by their parts; a plain zip or a renamed text file is refused
    let res = staf
        .upload(
            step,
            P,
            "laporan.docx",
            ooxml_bytes(Some("word/document.xml")),
            None,
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = staf
        .upload(
            step,
            P,
            "data.xlsx",
            ooxml_bytes(Some("xl/workbook.xml")),
            None,
        )
        .await;
    assert_eq!(res.status(), 303);
    for (name, bytes) in [
        ("palsu.docx", ooxml_bytes(None)),
        ("surat.pdf", b"bukan PDF, hanya teks".to_vec()),
        ("skrip.png", b"<script>alert(1)</script>".to_vec()),
    ] {
        let res = staf.upload(step, P, name, bytes, None).await;
        assert_eq!(res.status(), 400, "{name}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Jenis berkas tidak diizinkan")
        );
    }
    // an empty upload
    let res = staf.upload(step, P, "kosong.pdf", Vec::new(), None).await;
    assert_eq!(res.status(), 400);
    let types: Vec<String> =
        sqlx::query_scalar("SELECT media_type FROM evidence WHERE step_id = ? ORDER BY id")
            .bind(step)
            .fetch_all(app.db())
            .await
            .unwrap();
    assert_eq!(types.len(), 3);
    assert!(
        types[1].ends_with("wordprocessingml.document")
            && types[2].ends_with("spreadsheetml.sheet")
    );

    // someone not assigned cannot upload, and no bytes are left behind
    let other = app.signed_in("staf").await;
    let res = other
        .upload(step, P, "x.pdf", pdf_bytes("lain"), None)
        .await;
    assert_eq!(res.status(), 403);
    let tmp = app.data_dir().join("evidence").join("tmp");
    assert!(tmp.is_dir(), "the upload folder exists: {}", tmp.display());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

#[tokio::test]
async fn oversized_and_interrupted_uploads_save_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::helpers::config(dir.path().join("data"));
    config.max_upload_bytes = 64 * 1024;
    let running = zi_tracker::start(config).await.unwrap();
    let app = crate::helpers::TestApp {
        base: format!("http://{}", running.addr),
        initial_admin_password: None,
        dir,
        server: Some(running),
    };
    let staf = app.signed_in("staf").await;
    let step = app.step_id("V", 2, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let mut big = pdf_bytes("besar");
    big.resize(70 * 1024, b' ');
    let res = staf.upload(step, P, "besar.pdf", big, None).await;
    assert_eq!(res.status(), 413);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Berkas terlalu besar. Ukuran maksimal 64 KB")
    );

    // A body cut off half way: the client promises more than it sends, then stops.
    let (cookie, csrf) = raw_sign_in(&app, &staf.username).await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let boundary = "----batas";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"periode\"\r\n\r\n2021-2\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"putus.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&pdf_bytes("terputus"));
    body.resize(body.len() + 8 * 1024, b'x');
    let head = format!(
        "POST /langkah/{step}/bukti HTTP/1.1\r\nHost: {addr}\r\nCookie: zi_sesi={cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len() + 40 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("Unggahan terputus"));

    let evidence: i64 = sqlx::query_scalar("SELECT count(*) FROM evidence")
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(evidence, 0);
    let tmp = app.data_dir().join("evidence").join("tmp");
    assert!(tmp.is_dir(), "the upload folder exists: {}", tmp.display());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
}

/// Signs in without a cookie jar and returns the raw session cookie and CSRF token.
async fn raw_sign_in(app: &crate::helpers::TestApp, username: &str) -> (String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(app.url("/login")).send().await.unwrap();
    let pre = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let token = crate::helpers::csrf_from(&res.text().await.unwrap());
    let res = client
        .post(app.url("/login"))
        .header("cookie", &pre)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", crate::helpers::PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("zi_sesi="))
        .unwrap();
    let raw = session
        .trim_start_matches("zi_sesi=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let page = client
        .get(app.url("/tugas"))
        .header("cookie", format!("zi_sesi={raw}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (raw, crate::helpers::csrf_from(&page))
}

#[tokio::test]
async fn links_must_be_http_and_removal_is_soft_and_replacement_versions() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("VI", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let path = format!("/langkah/{step}/tautan");
    for (url, msg) in [
        (
            "javascript:alert(1)",
            "Tautan harus diawali http:// atau https://.",
        ),
        (
            "ftp://contoh.go.id/a",
            "Tautan harus diawali http:// atau https://.",
        ),
        ("bukan tautan", "Alamat tautan tidak valid."),
        ("", "Isi alamat tautan bukti dukung."),
    ] {
        let res = staf
            .post(
                &path,
                &[("periode", P), ("url", url), ("label", "Foto kegiatan")],
            )
            .await;
        assert_eq!(res.status(), 400, "{url}");
        let body = res.text().await.unwrap();
        assert!(body.contains(msg), "{url}: {body}");
        assert!(body.contains("value=\"Foto kegiatan\""), "label kept");
    }
    let res = staf
        .post(
            &path,
            &[
                ("periode", P),
                ("url", "https://drive.contoh.go.id/foto"),
                ("label", "Foto kegiatan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = staf
        .post(
            &path,
            &[
                ("periode", P),
                ("url", "https://drive.contoh.go.id/foto"),
                ("label", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 409, "the same link twice");

    // a file, then its replacement
    let res = staf
        .upload(step, P, "sk-lama.pdf", pdf_bytes("lama"), None)
        .await;
    assert_eq!(res.status(), 303);
    let old: i64 = sqlx::query_scalar("SELECT id FROM evidence WHERE label = 'sk-lama.pdf'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let res = staf
        .upload(step, P, "sk-baru.pdf", pdf_bytes("baru"), Some(old))
        .await;
    assert_eq!(res.status(), 303);
    let (replaces, note): (Option<i64>, Option<String>) = sqlx::query_as(
        "SELECT n.replaces_id, o.removed_note FROM evidence n JOIN evidence o ON o.id = ? WHERE n.label = 'sk-baru.pdf'",
    )
    .bind(old)
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(replaces, Some(old));
    assert_eq!(note.as_deref(), Some("Diganti dengan versi baru"));
    // the old version cannot come back over its replacement
    let res = staf.post(&format!("/bukti/{old}/pulihkan"), &[]).await;
    assert_eq!(res.status(), 409);

    // removing asks first, then keeps the item recoverable
    let link: i64 = sqlx::query_scalar("SELECT id FROM evidence WHERE kind = 'link'")
        .fetch_one(app.db())
        .await
        .unwrap();
    let (status, confirm) = staf.get_text(&format!("/bukti/{link}/hapus")).await;
    assert_eq!(status, 200);
    assert!(confirm.contains("Hapus bukti dukung?") && confirm.contains("Batal"));
    let res = staf
        .post(&format!("/bukti/{link}/hapus"), &[("note", "salah unggah")])
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = staf
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    assert!(
        page.contains("<del>Foto kegiatan</del>"),
        "removed items stay in the history"
    );
    assert!(page.contains("salah unggah"));
    assert!(page.contains("Bukti Dukung (1)"));
    let res = staf.post(&format!("/bukti/{link}/pulihkan"), &[]).await;
    assert_eq!(res.status(), 303);
    let (_, page) = staf
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    assert!(page.contains("Bukti Dukung (2)"));
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'evidence_%' ORDER BY id",
    )
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "evidence_added",
            "evidence_added",
            "evidence_added",
            "evidence_removed",
            "evidence_restored"
        ]
    );
    // a reviewer cannot remove evidence
    let penilai = app.signed_in("penilai").await;
    assert_eq!(
        penilai
            .post(&format!("/bukti/{link}/hapus"), &[])
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn a_reviewer_asks_for_a_fix_the_pic_sees_it_first_and_answers() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    let first = app.step_id("I", 2, 1, 1).await;
    let second = app.step_id("I", 3, 1, 1).await;
    app.assign(first, staf.user_id).await;
    app.assign(second, staf.user_id).await;
    for step in [first, second] {
        let res = staf
            .post(
                &format!("/langkah/{step}/progres"),
                &[
                    ("periode", P),
                    ("version", "0"),
                    ("status", "selesai"),
                    ("realization", "100"),
                    ("narrative", "Dokumen selesai"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
    }
    let review = format!("/langkah/{second}/reviu");
    // a fix without a note is refused; a stale version too
    let res = penilai
        .post(
            &review,
            &[
                ("periode", P),
                ("version", "1"),
                ("verdict", "perbaikan"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Tuliskan catatan perbaikan")
    );
    let res = penilai
        .post(
            &review,
            &[
                ("periode", P),
                ("version", "0"),
                ("verdict", "diterima"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = penilai
        .post(
            &review,
            &[
                ("periode", P),
                ("version", "1"),
                ("verdict", "perbaikan"),
                ("note", "Lampirkan notulen rapat"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // staff cannot give verdicts
    assert_eq!(
        staf.post(
            &review,
            &[("periode", P), ("version", "1"), ("verdict", "diterima")]
        )
        .await
        .status(),
        403
    );

    let (_, tasks) = staf.get_text("/tugas").await;
    assert!(tasks.contains("Perlu perbaikan") && tasks.contains("Lampirkan notulen rapat"));
    // the step asked to fix comes first in its component
    let fix_at = tasks.find("Rapat Evaluasi pembangunan WBK/WBBM").unwrap();
    let done_at = tasks.find("Penyusunan dokumen rencana kerja").unwrap();
    assert!(fix_at < done_at, "asked-to-fix first");
    assert!(tasks.contains("1 perlu perhatian"));

    // the PIC answers with a new save: back to review
    let res = staf
        .post(
            &format!("/langkah/{second}/progres"),
            &[
                ("periode", P),
                ("version", "1"),
                ("status", "selesai"),
                ("realization", "100"),
                ("narrative", "Notulen dilampirkan"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, tasks) = staf.get_text("/tugas").await;
    assert!(!tasks.contains("Perlu perbaikan"));
    assert!(tasks.contains("Belum direviu"));
    let (_, page) = staf
        .get_text(&format!("/langkah/{second}?periode=2021-2"))
        .await;
    assert!(page.contains("Progres versi terbaru belum direviu."));
    assert!(
        page.contains("Lampirkan notulen rapat"),
        "the old verdict stays in the history"
    );

    let res = penilai
        .post(
            &review,
            &[
                ("periode", P),
                ("version", "2"),
                ("verdict", "diterima"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, tasks) = staf.get_text("/tugas").await;
    assert!(tasks.contains("Diterima"));
    let reviews: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = ?")
        .bind(zi_tracker::audit::Action::ReviewGiven.as_str())
        .fetch_one(app.db())
        .await
        .unwrap();
    assert_eq!(reviews, 2);
}

#[tokio::test]
async fn bulk_assignment_handover_and_deadlines() {
    let app = spawn_app().await;
    let admin = app.signed_in("admin").await;
    let leaving = app.signed_in("staf").await;
    let successor = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    let area: i64 = sqlx::query_scalar(
        "SELECT a.id FROM areas a JOIN components c ON c.id = a.component_id
         WHERE c.year = 2021 AND c.numeral = 'III' AND a.position = 3",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    let res = admin
        .post(
            "/penugasan/area",
            &[
                ("area_id", &area.to_string()),
                ("user_id", &leaving.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, tasks) = leaving.get_text("/tugas").await;
    assert!(tasks.contains("6 langkah aksi ditugaskan kepada Anda"));
    // reviewers are not PICs
    let res = admin
        .post(
            "/penugasan/area",
            &[
                ("area_id", &area.to_string()),
                ("user_id", &penilai.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);

    let res = admin
        .post(
            "/penugasan/alih",
            &[
                ("tahun", "2021"),
                ("from_user", &leaving.user_id.to_string()),
                ("to_user", &successor.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, tasks) = leaving.get_text("/tugas").await;
    assert!(tasks.contains("0 langkah aksi ditugaskan"));
    let (_, tasks) = successor.get_text("/tugas").await;
    assert!(tasks.contains("6 langkah aksi ditugaskan kepada Anda"));
    let (status, page) = admin.get_text("/penugasan?tahun=2021").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("Pengguna {}", successor.username)));

    // a deadline, shown where progress is
    let res = admin
        .post(
            "/admin/periode",
            &[("periode", "2021-2"), ("tenggat", "2022-01-31")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, tasks) = successor.get_text("/tugas").await;
    assert!(tasks.contains("Tenggat pelaporan: <strong>31 Januari 2022</strong>"));
    let res = admin
        .post(
            "/admin/periode",
            &[("periode", "2021-2"), ("tenggat", "31/13/2022")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("harus berupa tanggal yang valid")
    );
    let (_, page) = admin.get_text("/admin/periode").await;
    assert!(
        page.contains("31 Januari 2022"),
        "the bad value changed nothing"
    );

    let (_, audit) = admin.get_text("/audit?aksi=assignment_handover").await;
    assert!(audit.contains("dialihkan ke"));
}

#[tokio::test]
async fn leadership_sets_the_responsible_unit_and_releases_a_pic() {
    let app = spawn_app().await;
    let pimpinan = app.signed_in("pimpinan").await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("II", 1, 1, 1).await;
    let path = format!("/langkah/{step}");
    let res = pimpinan
        .post(
            &format!("{path}/pic"),
            &[
                ("periode", P),
                ("user_id", &staf.user_id.to_string()),
                ("action", "tambah"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = pimpinan
        .post(&format!("{path}/unit"), &[("periode", P), ("unit_id", "1")])
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = pimpinan
        .get_text(&format!("{path}?periode=2021-2&pesan=unit-disimpan"))
        .await;
    assert!(page.contains("<dt>Unit penanggung jawab</dt><dd>Balai Penelitian Ternak</dd>"));
    assert!(page.contains("Unit penanggung jawab telah disimpan."));
    // an unknown unit is refused; clearing is allowed
    assert_eq!(
        pimpinan
            .post(
                &format!("{path}/unit"),
                &[("periode", P), ("unit_id", "999")]
            )
            .await
            .status(),
        400
    );
    assert_eq!(
        pimpinan
            .post(&format!("{path}/unit"), &[("periode", P), ("unit_id", "")])
            .await
            .status(),
        303
    );
    let (_, page) = pimpinan.get_text(&format!("{path}?periode=2021-2")).await;
    assert!(!page.contains("Unit penanggung jawab</dt>"));

    // releasing the PIC takes the step off their list, and they lose write access
    let res = pimpinan
        .post(
            &format!("{path}/pic"),
            &[
                ("periode", P),
                ("user_id", &staf.user_id.to_string()),
                ("action", "hapus"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, tasks) = staf.get_text("/tugas").await;
    assert!(tasks.contains("0 langkah aksi ditugaskan"));
    assert_eq!(staf.get(&path).await.status(), 403);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object_id = ? AND object_type = 'step' ORDER BY id",
    )
    .bind(step)
    .fetch_all(app.db())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "assignment_added",
            "responsible_unit_set",
            "responsible_unit_set",
            "assignment_removed"
        ]
    );
}

/// The version check in the store itself, without the web layer: a save from an
/// older version writes nothing and reports the newer one.
#[tokio::test]
async fn the_store_refuses_a_save_from_an_older_version() {
    use zi_tracker::periods::Period;
    use zi_tracker::step::{ProgressValues, SaveOutcome, Status, store_progress};
    let app = spawn_app().await;
    let (user, _) = app.create_user("staf").await;
    let step = app.step_id("III", 1, 1, 1).await;
    let actor = zi_tracker::audit::Actor::cli();
    let values = |n: &str| ProgressValues {
        status: Status::Berjalan,
        realization: 20,
        narrative: n.into(),
        reason: String::new(),
    };
    let period = Period::new(2021, 2);
    // each save on its own write transaction, as the web layer does it
    let save = |expected: i64, narrative: &'static str| {
        let db = app.db().clone();
        let actor = actor.clone();
        let v = values(narrative);
        async move {
            let mut tx = zi_tracker::db::write(&db).await.unwrap();
            let (out, entry) = store_progress(
                &mut tx,
                user,
                (step, "III.1.a.1"),
                period,
                expected,
                &v,
                "2021-08-01T00:00:00Z",
            )
            .await
            .unwrap();
            match entry {
                Some(e) => tx.commit(&actor, e).await.unwrap(),
                None => tx.rollback().await.unwrap(),
            }
            out
        }
    };
    for (expected, narrative) in [(0, "pertama"), (1, "kedua")] {
        let out = save(expected, narrative).await;
        assert!(matches!(out, SaveOutcome::Saved(v) if v == expected + 1));
    }
    for stale in [0, 1] {
        match save(stale, "basi").await {
            SaveOutcome::Stale(newer) => {
                assert_eq!(newer.version, 2);
                assert_eq!(newer.narrative, "kedua");
            }
            SaveOutcome::Saved(v) => panic!("a save from version {stale} became {v}"),
            SaveOutcome::Unknown => panic!("version 2 exists"),
        }
    }
    assert!(
        matches!(save(3, "basi").await, SaveOutcome::Stale(newer) if newer.version == 2),
        "a version from the future is refused too"
    );
    assert_eq!(
        progress_rows(&app, step).await,
        [(1, "pertama".to_string()), (2, "kedua".to_string())]
    );
}

/// A file is named by what its bytes are: whatever the uploader called it, the name
/// shown, downloaded and archived ends in the true type's extension.
#[tokio::test]
async fn evidence_is_named_by_its_bytes_everywhere() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("II", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let long = format!("{} akhir.pdf", "Notulen rapat koordinasi".repeat(5));
    let cases: Vec<(String, Vec<u8>, String)> = vec![
        (
            "Notulen.html".into(),
            pdf_bytes("html"),
            "Notulen.html.pdf".into(),
        ),
        (
            "SK Tim.hta".into(),
            pdf_bytes("hta"),
            "SK Tim.hta.pdf".into(),
        ),
        (
            "Laporan.bat".into(),
            pdf_bytes("bat"),
            "Laporan.bat.pdf".into(),
        ),
        ("x.exe".into(), pdf_bytes("exe"), "x.exe.pdf".into()),
        (
            "rekap.docx".into(),
            ooxml_bytes(Some("xl/workbook.xml")),
            "rekap.docx.xlsx".into(),
        ),
        (long.clone(), pdf_bytes("panjang"), String::new()),
    ];
    for (name, bytes, _) in &cases {
        let res = staf.upload(step, P, name, bytes.clone(), None).await;
        assert_eq!(res.status(), 303, "{name}");
    }
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, label FROM evidence WHERE step_id = ? ORDER BY id")
            .bind(step)
            .fetch_all(app.db())
            .await
            .unwrap();
    for ((id, label), (name, _, expected)) in rows.iter().zip(&cases) {
        if expected.is_empty() {
            assert!(
                label.ends_with(".pdf") && label.chars().count() <= 120,
                "{label}"
            );
        } else {
            assert_eq!(label, expected, "{name}");
        }
        let res = staf.get(&format!("/bukti/{id}/unduh")).await;
        let cd = res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        let ascii = cd
            .split("filename=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let ext = label.rsplit('.').next().unwrap();
        assert!(ascii.ends_with(&format!(".{ext}")), "{cd}");
        assert!(!cd.contains(".html\"") && !cd.contains(".exe\""), "{cd}");
    }
    let (_, page) = staf.get_text(&format!("/langkah/{step}?periode={P}")).await;
    assert!(page.contains(">Notulen.html.pdf</a>"));

    // the archive keeps every extension, the long name's too
    let res = staf.get(&format!("/laporan/bukti.zip?periode={P}")).await;
    let bytes = res.bytes().await.unwrap();
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let files: Vec<String> = zip
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .filter(|n| n.contains('/'))
        .collect();
    assert_eq!(files.len(), 6, "{files:?}");
    for f in &files {
        assert!(f.ends_with(".pdf") || f.ends_with(".xlsx"), "{f}");
    }
    assert!(
        files.iter().any(|f| f.ends_with("….pdf")),
        "the long one: {files:?}"
    );

    // bytes that only start like a PDF are refused
    let fake = b"%PDF-1.4\n<html><script>alert(1)</script></html>".to_vec();
    let res = staf.upload(step, P, "palsu.pdf", fake, None).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Jenis berkas tidak diizinkan")
    );
}
