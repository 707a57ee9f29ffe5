//! The LKE of PermenPAN-RB 90/2021 as data: the 2026 master seeded from PortalRB's
//! file, masters in and out through the command line, and the score as JSON.

use crate::helpers::{run_cli, spawn_app};

const MASTER_2026: &str = include_str!("../data/lke-2026-master.json");

fn reference() -> serde_json::Value {
    serde_json::from_str(MASTER_2026).unwrap()
}

#[tokio::test]
async fn the_2026_master_is_seeded_whole() {
    let app = spawn_app().await;
    let m = zi_tracker::lke::store::load_master(app.db(), 2026)
        .await
        .unwrap()
        .expect("2026 has a master");
    assert_eq!(m.questions.len(), 127);
    let roots: Vec<(String, f64)> = m
        .children(None)
        .iter()
        .map(|n| (n.name.clone(), n.weight))
        .collect();
    assert_eq!(
        roots,
        [
            ("A. PENGUNGKIT".to_string(), 60.0),
            ("B. HASIL".to_string(), 40.0)
        ]
    );
    assert_eq!(m.groups.len(), 9, "the count groups of the domain notes");
    // what the tables hold is the reference file, key for key
    assert_eq!(zi_tracker::lke::portalrb::export_master(&m), reference());
}

#[tokio::test]
async fn masters_go_in_and_out_through_the_command_line() {
    let mut app = spawn_app().await;
    app.stop().await;
    let dir = app.data_dir();
    let dir = dir.to_str().unwrap();
    let (status, out, err) = run_cli(
        &["lke", "export-master", "--year", "2026", "--data-dir", dir],
        None,
    );
    assert!(status.success(), "{err}");
    let exported: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(exported, reference());

    // another year from a file in PortalRB's format: import → export reproduces it
    let mut next = reference();
    next["tahun"] = serde_json::json!(2027);
    let file = app.dir.path().join("master-2027.json");
    std::fs::write(&file, serde_json::to_vec(&next).unwrap()).unwrap();
    let (status, out, err) = run_cli(
        &[
            "lke",
            "import-master",
            "--year",
            "2027",
            file.to_str().unwrap(),
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(status.success(), "{err}");
    assert!(out.contains("127 soal"), "{out}");
    let (_, out, _) = run_cli(
        &["lke", "export-master", "--year", "2027", "--data-dir", dir],
        None,
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        next
    );

    // a malformed master: every problem by its JSON path, nothing stored
    let mut bad = reference();
    bad["tahun"] = serde_json::json!(2028);
    bad["data"][0]["children"][0]["children"][0]["children"][0]["soals"][0]["jenis_jawaban"] =
        serde_json::json!("PILIHAN");
    bad["data"][0]["children"][0]["children"][0]["children"][0]["bobot_maksimal"] =
        serde_json::json!(0.75);
    std::fs::write(&file, serde_json::to_vec(&bad).unwrap()).unwrap();
    let (status, _, err) = run_cli(
        &[
            "lke",
            "import-master",
            "--year",
            "2028",
            file.to_str().unwrap(),
            "--data-dir",
            dir,
        ],
        None,
    );
    assert!(!status.success());
    assert!(
        err.contains("$.data[0].children[0].children[0].children[0].soals[0].jenis_jawaban"),
        "{err}"
    );
    assert!(
        err.contains("$.data[0].children[0].children[0]"),
        "the weights: {err}"
    );
    assert!(err.contains("tidak ada yang dimuat"), "{err}");
    let (status, _, err) = run_cli(
        &["lke", "export-master", "--year", "2028", "--data-dir", dir],
        None,
    );
    assert!(!status.success());
    assert!(err.contains("2026") && err.contains("2027"), "{err}");
}

#[tokio::test]
async fn the_score_prints_in_its_documented_shape() {
    let mut app = spawn_app().await;
    // the TPI has answered one question; the unit nothing yet
    let (tpi, _) = app.create_user("penilai").await;
    sqlx::query(
        "INSERT INTO lke_answers (unit_id, year, question_id, side, version, answer, answered_by, answered_at)
         VALUES (1, 2026, 1, 'tpi', 1, 'Ya', ?, '2026-05-01T00:00:00Z')",
    )
    .bind(tpi)
    .execute(app.db())
    .await
    .unwrap();
    app.stop().await;
    let dir = app.data_dir();
    let (status, out, err) = run_cli(
        &[
            "lke",
            "score",
            "--year",
            "2026",
            "--json",
            "--data-dir",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert!(status.success(), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&v),
        ["kesiapan", "kode_unit", "mandiri", "tahun", "tpi"]
    );
    assert_eq!(v["tahun"], 2026);
    assert_eq!(v["kode_unit"], "balitnak");
    for side in ["mandiri", "tpi"] {
        assert_eq!(keys(&v[side]), ["nodes", "total"]);
        assert!(v[side]["total"].is_number());
        assert_eq!(
            v[side]["nodes"].as_object().unwrap().len(),
            62,
            "every node"
        );
    }
    assert_eq!(v["mandiri"]["total"], 0.0);
    // node 4 (Penyusunan Tim Kerja, weight 0.5, two questions): 1 of 2 at 1 → 0.25
    assert!((v["tpi"]["nodes"]["4"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    assert!((v["tpi"]["total"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    assert_eq!(keys(&v["kesiapan"]), ["wbbm", "wbk"]);
    for c in v["kesiapan"]["wbk"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["kesiapan"]["wbbm"].as_array().unwrap())
    {
        assert_eq!(keys(c), ["batas", "kurang", "nilai", "syarat", "terpenuhi"]);
        assert!(c["nilai"].is_number() && c["batas"].is_number() && c["kurang"].is_number());
    }
    assert_eq!(v["kesiapan"]["wbk"][0]["terpenuhi"], false);
    assert!((v["kesiapan"]["wbk"][0]["kurang"].as_f64().unwrap() - 74.75).abs() < 1e-9);
}
