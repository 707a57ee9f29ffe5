//! Daily use as a new team found it: reasons travel with statuses, action lists of a
//! usable size, forms that make sense, imports people can fix, exports people open.

use crate::dashboard::seeded;
use crate::helpers::html as Html;

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
}
