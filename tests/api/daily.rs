//! Daily use as a new team found it: reasons travel with statuses, action lists of a
//! usable size, forms that make sense, imports people can fix, exports people open.

use crate::dashboard::seeded;
use crate::helpers::html as Html;
use crate::helpers::location;

#[tokio::test]
async fn the_reason_for_a_blocked_step_travels_to_every_view() {
    let (_app, pimpinan, _, _) = seeded().await;
    // the print view
    let (_, page) = pimpinan.get_text("/laporan/cetak?periode=2021-2").await;
    let row = Html::row_cells(&page, "I.1.a.3");
    assert!(
        row.iter()
            .any(|c| c.contains("Alasan tidak dapat dilaksanakan: Menunggu pusat")),
        "{row:?}"
    );
    // the dashboard's lists, and the drill-down
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    let blocked = Html::texts(&page, "#tindak-h ~ .two-col div:nth-child(3) li");
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert!(blocked[0].contains("alasan: Menunggu pusat"), "{blocked:?}");
    assert!(
        Html::texts(&page, "#perkiraan-h ~ p")
            .join(" ")
            .contains("tidak dapat dilaksanakan dihitung")
    );
    let (_, page) = pimpinan
        .get_text("/dashboard/daftar?periode=2021-2&kriteria=tidak_dapat")
        .await;
    assert!(
        Html::row_cells(&page, "I.1.a.3")
            .iter()
            .any(|c| c.contains("Alasan: Menunggu pusat"))
    );
    // the spreadsheet
    let bytes = pimpinan
        .get("/laporan/target.xlsx?periode=2021-2")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("Target dan Progres").unwrap();
    assert!(sheet.rows().any(|r| r.iter().any(|c| {
        c.to_string()
            .ends_with("Alasan tidak dapat dilaksanakan: Menunggu pusat")
    })));
}

#[tokio::test]
async fn the_dashboard_lists_show_ten_with_a_link_to_all() {
    let (_app, pimpinan, _, _) = seeded().await;
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    // 68 steps not started: ten shown, the rest one click away
    let not_started = Html::texts(&page, "#tindak-h ~ .two-col div:nth-child(4) li");
    assert_eq!(not_started.len(), 10);
    let more = Html::texts(&page, "#tindak-h ~ .two-col div:nth-child(4) p a");
    assert_eq!(more, ["Lihat semua 68 langkah"]);
    // the workload per PIC is one click from the top
    assert!(page.contains("href=\"#pic-h\"") && page.contains("id=\"pic-h\""));
}

#[tokio::test]
async fn forms_that_make_sense() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.signed_in("admin").await;
    let staf = app.signed_in("staf").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;

    // "Selesai" means 100 %
    let res = staf
        .save_progress(step, "2021-2", "selesai", "40", "Rapat")
        .await;
    assert_eq!(res.status(), 400);
    let errors = Html::texts(&res.text().await.unwrap(), "#ringkasan-galat li");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Selesai berarti realisasi 100%")),
        "{errors:?}"
    );
    assert_eq!(
        staf.save_progress(step, "2021-2", "selesai", "100", "Rapat")
            .await
            .status(),
        303
    );

    // a new account defaults to staff
    let (_, page) = admin.get_text("/admin/pengguna/baru").await;
    assert_eq!(Html::field_value(&page, "role").as_deref(), Some("staf"));

    // choices of PIC list staff only and choose nobody by default
    let (_, page) = admin.get_text("/penugasan?tahun=2021").await;
    let first = Html::texts(&page, "select[name=user_id] option:first-child");
    assert!(
        !first.is_empty() && first.iter().all(|o| o.starts_with("— pilih")),
        "{first:?}"
    );
    assert_eq!(Html::field_value(&page, "to_user").as_deref(), Some(""));
    let (_, page) = admin
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    let chosen = Html::parse(&page)
        .select(&scraper::Selector::parse("#pic_user option[selected]").unwrap())
        .map(|o| o.value().attr("value").unwrap_or("?").to_string())
        .collect::<Vec<_>>();
    assert_eq!(chosen, [""]);

    // handing over from someone without steps says so
    let (idle_id, _) = app.create_user("staf").await;
    let res = admin
        .post(
            "/penugasan/alih",
            &[
                ("tahun", "2021"),
                ("from_user", &idle_id.to_string()),
                ("to_user", &staf.user_id.to_string()),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        "/penugasan?tahun=2021&pesan=tidak-ada-dialihkan"
    );
    let (_, page) = admin.get_text(&location(&res)).await;
    assert!(page.contains("0 langkah dialihkan"));

    // "Naik" on the first item and "Turun" on the last are not offered
    let (_, page) = admin.get_text("/admin/target?tahun=2021").await;
    let first_area = Html::texts(
        &page,
        "section:first-of-type > ol.tree > li:first-child > .row .actions button",
    );
    assert!(
        !first_area.iter().any(|b| b.starts_with("Naik")),
        "{first_area:?}"
    );
    assert!(
        first_area.iter().any(|b| b.starts_with("Turun")),
        "{first_area:?}"
    );
    let last_area = Html::texts(
        &page,
        "section:first-of-type > ol.tree > li:last-child > .row .actions button",
    );
    assert!(
        !last_area.iter().any(|b| b.starts_with("Turun")),
        "{last_area:?}"
    );

    // after a save the editor returns to the edited item
    let res = admin
        .post(
            &format!("/admin/target/langkah/{step}/pindah"),
            &[("arah", "turun")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/admin/target?tahun=2021&komponen=I&pesan=target-disimpan#item-langkah-{step}")
    );
    assert!(page.contains(&format!("id=\"item-langkah-{step}\"")));
}

#[tokio::test]
async fn the_summary_sheet_sizes_every_column() {
    let (_app, pimpinan, _, _) = seeded().await;
    let bytes = pimpinan
        .get("/laporan/target.xlsx?periode=2021-2")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    // the second sheet is "Ringkasan"
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    // <col min="2" max="6" width="…"/>: adjacent columns of one width come as a range
    let mut sized = std::collections::BTreeSet::new();
    for (i, _) in xml.match_indices("<col ") {
        let attr = |name: &str| -> u32 {
            let at = xml[i..].find(&format!("{name}=\"")).unwrap() + i + name.len() + 2;
            xml[at..at + xml[at..].find('"').unwrap()].parse().unwrap()
        };
        sized.extend(attr("min")..=attr("max"));
    }
    assert_eq!(
        sized,
        (1..=13).collect(),
        "every column of the table has a width"
    );
}

#[tokio::test]
async fn small_things() {
    let (app, pimpinan, _, _) = seeded().await;
    let penilai = app.signed_in("penilai").await;
    // one pair of brackets in the header
    let (_, page) = penilai.get_text("/reviu").await;
    let who = Html::texts(&page, "li.who").join(" ");
    assert!(who.ends_with("· Penilai (TPI)"), "{who}");
    // a step without PIC says so
    let (_, page) = pimpinan
        .get_text("/dashboard/daftar?periode=2021-2&kriteria=belum")
        .await;
    let pics = Html::texts(&page, "table tbody tr td:nth-child(3)");
    assert!(pics.iter().any(|p| p == "belum ada PIC"), "{pics:?}");
    assert!(!pics.iter().any(|p| p == "—"), "{pics:?}");
    // the per-component line counts every status
    let (_, page) = pimpinan.get_text("/dashboard?periode=2021-2").await;
    let line = Html::texts(&page, "p.bar-label")[0].clone();
    assert!(
        line.ends_with("2 selesai, 3 berjalan, 3 belum, 1 tidak dapat dilaksanakan dari 9"),
        "{line}"
    );
    assert!(
        Html::texts(&page, "#perkiraan-h ~ p")
            .join(" ")
            .contains("berbeda dari \"Rata-rata realisasi\"")
    );
    // weights name their components
    let admin = app.signed_in("admin").await;
    let (_, page) = admin.get_text("/admin/bobot?tahun=2021").await;
    assert!(
        Html::texts(&page, "label[for=bobot_I]")[0].starts_with("Komponen I. MANAJEMEN PERUBAHAN")
    );
    // a favicon
    let res = app
        .client()
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    let icon = location(&res);
    assert!(
        icon.starts_with("/static/favicon.") && icon.ends_with(".svg"),
        "{icon}"
    );
    let res = app.client().get(app.url(&icon)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(page.contains("rel=\"icon\""));
}

#[tokio::test]
async fn a_refused_form_opens_at_a_summary_at_the_top() {
    let app = crate::helpers::spawn_app().await;
    let staf = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let top = |page: &str| -> (Vec<String>, Vec<String>, bool) {
        let doc = Html::parse(page);
        let links = doc
            .select(&scraper::Selector::parse("#galat-atas li a").unwrap())
            .map(|a| a.value().attr("href").unwrap_or("").to_string())
            .collect();
        // the summary comes before the first section of the page
        let before = page.find("id=\"galat-atas\"").unwrap_or(usize::MAX)
            < page.find("id=\"progres-h\"").unwrap_or(0);
        (Html::texts(page, "#galat-atas li"), links, before)
    };
    // an upload of a type the tracker does not keep
    let res = staf
        .upload(step, "2021-2", "catatan.txt", b"hanya teks".to_vec(), None)
        .await;
    assert!(res.status().is_client_error());
    let (messages, links, before) = top(&res.text().await.unwrap());
    assert_eq!(links, ["#file"], "{messages:?}");
    assert!(before);
    // a link that is not one: the summary points at the field, the input is kept
    let res = staf
        .post(
            &format!("/langkah/{step}/tautan"),
            &[
                ("periode", "2021-2"),
                ("url", "bukan-alamat"),
                ("label", "Notulen"),
            ],
        )
        .await;
    assert!(res.status().is_client_error());
    let page = res.text().await.unwrap();
    let (_, links, before) = top(&page);
    assert_eq!(links, ["#url"]);
    assert!(before);
    assert_eq!(
        Html::field_value(&page, "url").as_deref(),
        Some("bukan-alamat")
    );
    // a review without a verdict
    assert_eq!(
        staf.save_progress(step, "2021-2", "berjalan", "40", "Rapat")
            .await
            .status(),
        303
    );
    let v = penilai.progress_version(step, "2021-2").await;
    let res = penilai
        .post(
            &format!("/langkah/{step}/reviu"),
            &[
                ("periode", "2021-2"),
                ("version", &v),
                ("verdict", ""),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let (_, links, before) = top(&res.text().await.unwrap());
    assert_eq!(links, ["#verdict-ok"]);
    assert!(before);
    // a stale save: the notice leads the page
    let res = staf
        .post(
            &format!("/langkah/{step}/progres"),
            &[
                ("periode", "2021-2"),
                ("version", "0"),
                ("status", "berjalan"),
                ("realization", "50"),
                ("narrative", "lama"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    let (messages, links, before) = top(&res.text().await.unwrap());
    assert_eq!(links, ["#bentrok"], "{messages:?}");
    assert!(before);
}

#[tokio::test]
async fn pages_of_a_usable_size() {
    let (app, _pimpinan, staf, _) = seeded().await;
    let admin = app.signed_in("admin").await;
    // Kelola Target shows one component, with links to the others
    let (_, page) = admin.get_text("/admin/target?tahun=2021").await;
    assert_eq!(Html::texts(&page, "main section > h2").len(), 1);
    let others = Html::texts(&page, "nav[aria-label=Komponen] a");
    assert_eq!(others.len(), 5, "{others:?}");
    let (_, page) = admin.get_text("/admin/target?tahun=2021&komponen=VI").await;
    assert!(Html::texts(&page, "main section > h2")[0].starts_with("VI."));
    // Tugas saya: the days left beside the deadline
    let res = admin
        .post(
            "/admin/periode",
            &[("periode", "2021-2"), ("tenggat", "2021-12-01")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = staf.get_text("/tugas?periode=2021-2").await;
    let summary = Html::texts(&page, ".summary").join(" ");
    assert!(
        summary.contains("1 Desember 2021 (sudah lewat)"),
        "{summary}"
    );
    // a staff member with nothing in the period is told where their steps are
    let copy = admin
        .post("/admin/target-salin", &[("dari", "2021"), ("ke", "2022")])
        .await;
    assert_eq!(copy.status(), 303);
    let (_, page) = staf.get_text("/tugas?periode=2022-1").await;
    let hint = Html::texts(&page, "ul.elsewhere li");
    assert_eq!(hint.len(), 1, "{hint:?}");
    assert!(hint[0].starts_with("6 langkah di tahun 2021"), "{hint:?}");
}

#[tokio::test]
async fn the_audit_trail_reads_in_indonesian_and_filters_by_date_and_person() {
    let (_app, pimpinan, _, _) = seeded().await;
    // a verdict recorded with before/after values
    let (_, page) = pimpinan.get_text("/audit?aksi=progress_saved").await;
    let cells = Html::texts(&page, "table.data tbody tr:first-child td");
    assert!(
        cells[4].contains("Progres langkah I."),
        "step codes, not ids: {cells:?}"
    );
    let after = &cells[6];
    assert!(
        !after.contains('{') && !after.contains('"'),
        "no raw JSON: {after}"
    );
    assert!(after.contains(": "), "{after}");
    // by date range (days in WIB) and by person
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .date_naive();
    let (_, page) = pimpinan
        .get_text(&format!("/audit?dari={today}&sampai={today}"))
        .await;
    assert!(!Html::texts(&page, "table.data tbody tr").is_empty());
    let yesterday = today - chrono::Duration::days(1);
    let (_, page) = pimpinan
        .get_text(&format!("/audit?sampai={yesterday}"))
        .await;
    assert!(Html::texts(&page, "table.data tbody tr").is_empty());
    assert_eq!(
        Html::field_value(&page, "sampai").as_deref(),
        Some(yesterday.to_string().as_str())
    );
    let (_, page) = pimpinan
        .get_text("/audit?pengguna=tidak-ada-orang-ini")
        .await;
    assert!(Html::texts(&page, "table.data tbody tr").is_empty());
    assert_eq!(
        zi_tracker::admin::audit::readable(
            r#"{"aktif":true,"peran":"staf","unit":[1,2],"catatan":null}"#
        ),
        "aktif: ya; catatan: —; peran: staf; unit: 1, 2"
    );
}

#[tokio::test]
async fn pdfs_and_images_open_in_the_browser_and_hashes_are_for_reviewers() {
    let app = crate::helpers::spawn_app().await;
    let staf = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    let step = app.step_id("I", 1, 1, 1).await;
    app.assign(step, staf.user_id).await;
    let res = staf
        .upload(
            step,
            "2021-2",
            "notulen.pdf",
            crate::helpers::pdf_bytes("n"),
            None,
        )
        .await;
    assert!(res.status().is_redirection());
    let res = staf
        .upload(
            step,
            "2021-2",
            "laporan.docx",
            crate::helpers::ooxml_bytes(Some("word/document.xml")),
            None,
        )
        .await;
    assert!(res.status().is_redirection());
    let ids: Vec<(i64, String)> = sqlx::query_as("SELECT id, media_type FROM evidence ORDER BY id")
        .fetch_all(app.db())
        .await
        .unwrap();
    let pdf = ids.iter().find(|(_, m)| m == "application/pdf").unwrap().0;
    let docx = ids
        .iter()
        .find(|(_, m)| m.contains("wordprocessing"))
        .unwrap()
        .0;
    let res = penilai.get(&format!("/bukti/{pdf}/lihat")).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    // a PDF: nothing may run or load (the browser's viewer refuses a sandboxed PDF)
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    // an image: in a sandbox
    let res = staf
        .upload(
            step,
            "2021-2",
            "foto.png",
            b"\x89PNG\r\n\x1a\nfoto-apel".to_vec(),
            None,
        )
        .await;
    assert!(res.status().is_redirection());
    let png: i64 =
        sqlx::query_scalar("SELECT max(id) FROM evidence WHERE media_type = 'image/png'")
            .fetch_one(app.db())
            .await
            .unwrap();
    let res = penilai.get(&format!("/bukti/{png}/lihat")).await;
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.starts_with("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    // any other type is downloaded, never shown
    let res = penilai.get(&format!("/bukti/{docx}/lihat")).await;
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        !res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox"),
        "the page's own policy, not the viewer's"
    );
    // the step page offers "Lihat" for the PDF only; SHA-256 for reviewers, not staff
    let (_, page) = penilai
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    assert!(page.contains(&format!("href=\"/bukti/{pdf}/lihat\"")));
    assert!(!page.contains(&format!("href=\"/bukti/{docx}/lihat\"")));
    assert!(
        Html::texts(&page, "ul.evidence li .meta")
            .join(" ")
            .contains("SHA-256")
    );
    let (_, page) = staf
        .get_text(&format!("/langkah/{step}?periode=2021-2"))
        .await;
    assert!(
        !Html::texts(&page, "ul.evidence li .meta")
            .join(" ")
            .contains("SHA-256")
    );
}

#[tokio::test]
async fn imports_people_can_fix_through_the_page() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.signed_in("admin").await;
    let send = |year: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", admin.csrf.clone())
            .text("tahun", year)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("target.csv"),
            );
        admin
            .client
            .post(admin.url("/admin/target-impor"))
            .multipart(form)
            .send()
    };
    let header = zi_tracker::catalogue::CSV_HEADER.join(";");
    // an empty text on file line 3: that line, one cause, no knock-on numbering error
    let bad = format!("{header}\nI;X;1;A;1;B;1;C;D\nI;X;1;A;1;;2;C2;D\nI;X;1;A;1;B;3;C3;D\n");
    let res = send("2024", bad.into_bytes()).await.unwrap();
    assert_eq!(res.status(), 400);
    let errors = Html::texts(&res.text().await.unwrap(), "#ringkasan-galat li");
    assert_eq!(errors, ["Baris 3: kolom indicator_text kosong."]);
    // the same file fixed, ';'-separated with a byte-order mark as spreadsheets save it
    let mut good = "\u{feff}".as_bytes().to_vec();
    good.extend(format!("{header}\nI;X;1;A;1;B;1;C;D\nI;X;1;A;1;B;2;C2;D\n").into_bytes());
    let res = send("2024", good).await.unwrap();
    assert_eq!(res.status(), 303);
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_steps s JOIN indicators i ON i.id = s.indicator_id
         JOIN areas a ON a.id = i.area_id JOIN components c ON c.id = a.component_id WHERE c.year = 2024",
    )
    .fetch_one(app.db())
    .await
    .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn the_menu_marks_the_page_shown_and_the_name_link_says_what_it_does() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.signed_in("admin").await;
    let current = |page: &str| Html::attr_values(page, "header nav a[aria-current=page]", "href");
    let (_, page) = admin.get_text("/lke/2026").await;
    assert_eq!(current(&page), vec!["/lke"]);
    let (_, page) = admin.get_text("/admin/unit-kerja").await;
    assert_eq!(current(&page), vec!["/admin/unit-kerja"], "not /admin/unit");
    let (_, page) = admin.get_text("/notifikasi").await;
    assert_eq!(current(&page), vec!["/notifikasi"]);
    let (_, page) = admin.get_text("/u/balitnak/dashboard").await;
    assert_eq!(
        current(&page),
        vec!["/dashboard"],
        "inside a unit's address"
    );
    let (_, page) = admin.get_text("/akun/kata-sandi").await;
    assert!(current(&page).is_empty());
    let name = Html::texts(&page, "header .who a");
    assert!(name[0].ends_with("(ganti kata sandi)"), "{name:?}");
}
