//! The review loop closes: a fix request, the PIC's answer ("Ajukan ulang untuk
//! reviu"), the queue of steps waiting for a verdict, and the next one.

use crate::helpers::html as Html;
use crate::helpers::{fingerprint, location, pdf_bytes, spawn_app};

#[tokio::test]
async fn a_fix_request_answered_goes_back_to_the_queue_and_out_with_a_verdict() {
    let app = spawn_app().await;
    let staf = app.signed_in("staf").await;
    let penilai = app.signed_in("penilai").await;
    let s1 = app.step_id("I", 1, 1, 1).await;
    let s2 = app.step_id("I", 1, 1, 2).await;
    app.assign(s1, staf.user_id).await;
    app.assign(s2, staf.user_id).await;
    assert_eq!(
        staf.save_progress(s1, "2021-2", "berjalan", "50", "Rapat tim")
            .await
            .status(),
        303
    );
    assert_eq!(
        staf.save_progress(s2, "2021-2", "berjalan", "30", "Draf SK")
            .await
            .status(),
        303
    );

    // the queue: both, oldest first; a penilai lands on it
    let (status, page) = penilai.get_text("/reviu").await;
    assert_eq!(status, 200);
    let rows = Html::texts(&page, "table.data tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with("I.1.a.1"), "{rows:?}");
    let login = app.client();
    let res = app
        .post_login(&login, &penilai.username, crate::helpers::PASSWORD, &[])
        .await;
    assert_eq!(location(&res), "/reviu");

    // a fix request takes s1 out of the queue
    assert_eq!(
        penilai
            .review(s1, "2021-2", "perbaikan", "Lampirkan daftar hadir")
            .await
            .status(),
        303
    );
    let (_, page) = penilai.get_text("/reviu").await;
    assert_eq!(Html::texts(&page, "table.data tbody tr").len(), 1);

    // an evidence change alone does not bring it back
    let res = staf
        .upload(s1, "2021-2", "daftar-hadir.pdf", pdf_bytes("hadir"), None)
        .await;
    assert!(res.status().is_redirection());
    let (_, page) = penilai.get_text("/reviu").await;
    assert_eq!(Html::texts(&page, "table.data tbody tr").len(), 1);

    // the PIC answers: an empty answer is refused on the same form
    let before = fingerprint(app.db()).await;
    let res = staf
        .post(
            &format!("/langkah/{s1}/ajukan"),
            &[("periode", "2021-2"), ("jawaban", " ")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(!Html::texts(&res.text().await.unwrap(), "#ringkasan-galat li").is_empty());
    assert_eq!(fingerprint(app.db()).await, before);
    // another staff member (not the PIC) cannot answer
    let other = app.signed_in("staf").await;
    assert_eq!(
        other
            .post(
                &format!("/langkah/{s1}/ajukan"),
                &[("periode", "2021-2"), ("jawaban", "x")]
            )
            .await
            .status(),
        403
    );
    let res = staf
        .post(
            &format!("/langkah/{s1}/ajukan"),
            &[
                ("periode", "2021-2"),
                ("jawaban", "Daftar hadir sudah diunggah"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // answered once: no second answer to the same request
    assert_eq!(
        staf.post(
            &format!("/langkah/{s1}/ajukan"),
            &[("periode", "2021-2"), ("jawaban", "lagi")]
        )
        .await
        .status(),
        409
    );

    // back in the queue, marked; Tugas saya no longer says "Perlu perbaikan"
    let (_, page) = penilai.get_text("/reviu").await;
    let rows = Html::texts(&page, "table.data tbody tr");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().any(|r| r.contains("diajukan ulang")),
        "{rows:?}"
    );
    let (_, tasks) = staf.get_text("/tugas?periode=2021-2").await;
    let row = Html::row_cells(&tasks, "I.1.a.1");
    assert!(
        row.iter().any(|c| c == "Diajukan ulang, menunggu reviu"),
        "{row:?}"
    );

    // the step page reads as a conversation
    let (_, page) = penilai
        .get_text(&format!("/langkah/{s1}?periode=2021-2"))
        .await;
    let turns = Html::texts(&page, "ol.conversation li");
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert!(turns[0].contains("Perlu perbaikan: Lampirkan daftar hadir"));
    assert!(turns[1].contains("Diajukan ulang untuk reviu: Daftar hadir sudah diunggah"));

    // "berikutnya" walks the queue; accepting takes the step out
    let res = penilai
        .get(&format!("/reviu/berikutnya?dari={s2}&periode=2021-2"))
        .await;
    assert_eq!(
        location(&res),
        format!("/langkah/{s1}?periode=2021-2&antrian=1")
    );
    assert_eq!(
        penilai.review(s1, "2021-2", "diterima", "").await.status(),
        303
    );
    assert_eq!(
        penilai.review(s2, "2021-2", "diterima", "").await.status(),
        303
    );
    let (_, page) = penilai.get_text("/reviu").await;
    assert!(Html::texts(&page, "table.data tbody tr").is_empty());
    let res = penilai
        .get(&format!("/reviu/berikutnya?dari={s2}&periode=2021-2"))
        .await;
    assert_eq!(location(&res), "/reviu?pesan=antrean-kosong");
    // staff have no queue
    assert_eq!(staf.get("/reviu").await.status(), 403);
}
