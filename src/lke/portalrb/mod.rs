//! PortalRB's LKE master format: reading it (with every problem reported by
//! JSON path) and writing it back.
//!
//! Format: `{"tahun", "total_soal", "generated_at", "data": [node]}`; a node is
//! `{id, nama, level, bobot_maksimal, order_index, children: [node], soals: [soal]}`;
//! a soal is `{id, teks_pertanyaan, kriteria_nilai, jenis_jawaban, bobot_maksimal,
//! skema_penilaian: [{key, label, multiplier}], excel_sheet, excel_baris,
//! excel_kolom_jawaban_unit, excel_kolom_jawaban_tpi, excel_kolom_catatan_unit,
//! excel_kolom_bukti_dukung_unit, excel_kolom_catatan_tpi}`.
//!
//! Unknown keys of nodes and soals are kept in `extra` and written back.
//! Unknown top-level keys and unknown keys inside `skema_penilaian` items are
//! dropped: the database has no column for them.
//!
//! Reading is in `parser`, writing in `export`.

mod export;
mod parser;

pub use export::*;
use parser::*;

use serde::Serialize;
use serde_json::Value;

use crate::lke::model::{Master, default_groups_for};

/// Tolerance for weight sums: weights are written with at most two decimals.
const WEIGHT_EPS: f64 = 1e-6;

const NODE_KEYS: [&str; 7] = [
    "id",
    "nama",
    "level",
    "bobot_maksimal",
    "order_index",
    "children",
    "soals",
];
const QUESTION_KEYS: [&str; 13] = [
    "id",
    "teks_pertanyaan",
    "kriteria_nilai",
    "jenis_jawaban",
    "bobot_maksimal",
    "skema_penilaian",
    "excel_sheet",
    "excel_baris",
    "excel_kolom_jawaban_unit",
    "excel_kolom_jawaban_tpi",
    "excel_kolom_catatan_unit",
    "excel_kolom_bukti_dukung_unit",
    "excel_kolom_catatan_tpi",
];

/// One thing wrong with an uploaded master.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON path, e.g. `$.data[0].children[1].soals[3].jenis_jawaban`.
    pub path: String,
    /// Indonesian, for the admin who uploaded the file.
    pub message: String,
}

/// Reads a PortalRB master for `year`. The whole file is checked before
/// returning, so the admin sees every problem at once. On success the
/// master carries [`default_groups_for`] as its count groups.
pub fn parse_master(year: i64, bytes: &[u8]) -> Result<Master, Vec<Problem>> {
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return Err(vec![json_error(&e)]),
    };
    let mut p = Parser::default();
    let Some(obj) = p.object(&root, "$") else {
        return Err(p.problems);
    };

    let tahun = p.int(obj, "tahun", "$");
    if let Some(t) = tahun
        && t != year
    {
        p.problem(
            "$.tahun",
            format!("Berkas ini untuk tahun {t}, bukan tahun {year} yang dipilih"),
        );
    }
    let total_soal = p.opt_int(obj, "total_soal", "$");
    let generated_at = p.opt_text(obj, "generated_at", "$");

    if let Some(data) = p.array(obj, "data", "$") {
        if data.is_empty() {
            p.problem("$.data", "berkas tidak memuat satu node pun");
        }
        p.node_list(data, "$.data", None);
    }

    if let Some(total) = total_soal
        && total != p.soal_count
    {
        p.problem(
            "$.total_soal",
            format!(
                "total_soal {total} tidak sama dengan jumlah soal dalam berkas ({})",
                p.soal_count
            ),
        );
    }

    if !p.problems.is_empty() {
        return Err(p.problems);
    }
    let mut master = Master::from_rows(
        year,
        total_soal,
        generated_at,
        p.nodes,
        p.questions,
        Vec::new(),
    );
    master.groups = default_groups_for(&master);
    Ok(master)
}

fn json_error(e: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "Berkas JSON terpotong (berakhir sebelum selesai)",
        Category::Syntax => "Berkas bukan JSON yang sah",
        Category::Data | Category::Io => "Berkas JSON tidak dapat dibaca",
    };
    Problem {
        path: "$".to_owned(),
        message: format!("{what}: baris {}, kolom {}", e.line(), e.column()),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "benar/salah",
        Value::Number(_) => "angka",
        Value::String(_) => "teks",
        Value::Array(_) => "daftar",
        Value::Object(_) => "objek",
    }
}

fn fmt_num(x: f64) -> String {
    // Enough digits to show weights like 0.25 without float noise.
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lke::model::AnswerKind;

    pub(crate) const MASTER_2026: &str = include_str!("../../../tests/data/lke-2026-master.json");

    pub(crate) fn master_2026() -> Master {
        match parse_master(2026, MASTER_2026.as_bytes()) {
            Ok(m) => m,
            Err(p) => panic!("2026 master must parse: {p:#?}"),
        }
    }

    fn original() -> Value {
        serde_json::from_str(MASTER_2026).expect("valid JSON")
    }

    /// Applies `edit` to the 2026 JSON and returns the problems reported.
    fn problems_after(year: i64, edit: impl FnOnce(&mut Value)) -> Vec<Problem> {
        let mut v = original();
        edit(&mut v);
        let bytes = serde_json::to_vec(&v).expect("serialize");
        parse_master(year, &bytes).expect_err("must be rejected")
    }

    #[test]
    fn the_2026_master_parses() {
        let m = master_2026();
        assert_eq!(m.year, 2026);
        assert_eq!(m.total_soal, Some(127));
        assert_eq!(m.generated_at.as_deref(), Some("2026-06-09T15:22:49+07:00"));
        assert_eq!(m.questions.len(), 127);
        assert_eq!(m.nodes.len(), 62);
        let ids: Vec<i64> = m.questions.iter().map(|q| q.id).collect();
        assert_eq!(ids, (1..=127).collect::<Vec<_>>());

        let roots = m.children(None);
        let weights: Vec<f64> = roots.iter().map(|n| n.weight).collect();
        assert_eq!(weights, vec![60.0, 40.0]);

        // Pemenuhan and Reform areas paired by order_index: 8/7/10/10/15/10.
        let subs = m.children(Some(roots[0].id));
        let (pem, ref_) = (m.children(Some(subs[0].id)), m.children(Some(subs[1].id)));
        let pairs: Vec<f64> = pem
            .iter()
            .zip(&ref_)
            .map(|(a, b)| {
                assert_eq!(a.position, b.position);
                a.weight + b.weight
            })
            .collect();
        assert_eq!(pairs, vec![8.0, 7.0, 10.0, 10.0, 15.0, 10.0]);

        let q = |id| m.question(id).expect("question");
        assert_eq!(q(117).answer_type_raw, "jumlah");
        assert_eq!(q(88).answer_type_raw, "Jumlah");
        assert_eq!(q(125).kind, AnswerKind::Index04);
        assert_eq!(q(125).weight, 17.5);
        assert_eq!(q(92).node_id, 37);
        assert_eq!(q(3).position, 1);
        assert_eq!(q(5).position, 3);
        assert_eq!(q(1).col_tpi_note, "Q");
        assert!(q(113).criteria.contains("\r\n"));
        assert_eq!(m.groups.len(), 9);
    }

    #[test]
    fn export_gives_back_the_original_file() {
        let m = master_2026();
        let exported = export_master(&m);
        assert_eq!(exported, original());
        let bytes = serde_json::to_vec(&exported).expect("serialize");
        assert_eq!(parse_master(2026, &bytes), Ok(m));
    }

    #[test]
    fn unknown_keys_survive_the_round_trip() {
        let mut v = original();
        v["data"][0]["kode"] = Value::from("A");
        v["data"][0]["children"][0]["children"][0]["children"][0]["soals"][0]["wajib"] =
            Value::from(true);
        let m = parse_master(2026, &serde_json::to_vec(&v).expect("ser")).expect("parses");
        assert_eq!(m.node(1).map(|n| n.extra.len()), Some(1));
        assert_eq!(
            m.question(1).map(|q| q.extra["wajib"].clone()),
            Some(Value::Bool(true))
        );
        assert_eq!(export_master(&m), v);
    }

    #[test]
    fn malformed_masters_report_their_paths() {
        type Edit = Box<dyn FnOnce(&mut Value)>;
        let cases: Vec<(&str, i64, Edit, &str, &str)> = vec![
            (
                "unknown answer type",
                2026,
                Box::new(|v| {
                    v["data"][0]["children"][0]["children"][0]["children"][0]["soals"][0]["jenis_jawaban"] =
                        Value::from("ABCDEF");
                }),
                "$.data[0].children[0].children[0].children[0].soals[0].jenis_jawaban",
                "jenis jawaban \"ABCDEF\" tidak dikenal",
            ),
            (
                "duplicate question id",
                2026,
                Box::new(|v| {
                    v["data"][0]["children"][0]["children"][0]["children"][0]["soals"][1]["id"] =
                        Value::from(1);
                }),
                "$.data[0].children[0].children[0].children[0].soals[1].id",
                "id soal 1 sudah dipakai oleh $.data[0].children[0].children[0].children[0].soals[0]",
            ),
            (
                "duplicate node id",
                2026,
                Box::new(|v| {
                    v["data"][1]["children"][1]["id"] = Value::from(61);
                }),
                "$.data[1].children[1].id",
                "id node 61 sudah dipakai",
            ),
            (
                "children weights do not sum (node 4 changed)",
                2026,
                Box::new(|v| {
                    v["data"][0]["children"][0]["children"][0]["children"][0]["bobot_maksimal"] =
                        Value::from(0.6);
                }),
                "$.data[0].children[0].children[0].bobot_maksimal",
                "bobot 4 tidak sama dengan jumlah bobot anak-anaknya (4.1)",
            ),
            (
                "own question weights do not sum",
                2026,
                Box::new(|v| {
                    v["data"][1]["children"][0]["soals"][1]["bobot_maksimal"] = Value::from(4);
                }),
                "$.data[1].children[0].bobot_maksimal",
                "bobot 22.5 tidak sama dengan jumlah bobot soal-soalnya (21.5)",
            ),
            (
                "year mismatch",
                2027,
                Box::new(|_| {}),
                "$.tahun",
                "Berkas ini untuk tahun 2026, bukan tahun 2027",
            ),
            (
                "total_soal disagrees with the questions",
                2026,
                Box::new(|v| {
                    v["total_soal"] = Value::from(128);
                }),
                "$.total_soal",
                "total_soal 128 tidak sama dengan jumlah soal dalam berkas (127)",
            ),
            (
                "missing field",
                2026,
                Box::new(|v| {
                    if let Some(o) = v["data"][1].as_object_mut() {
                        o.remove("nama");
                    }
                }),
                "$.data[1].nama",
                "kolom \"nama\" wajib ada",
            ),
            (
                "ill-typed field",
                2026,
                Box::new(|v| {
                    v["data"][0]["children"][0]["children"][0]["children"][0]["soals"][0]["excel_baris"] =
                        Value::from("6");
                }),
                "$.data[0].children[0].children[0].children[0].soals[0].excel_baris",
                "kolom \"excel_baris\" harus berupa bilangan bulat, bukan teks",
            ),
            (
                "choice question without a scheme",
                2026,
                Box::new(|v| {
                    v["data"][0]["children"][0]["children"][0]["children"][0]["soals"][1]["skema_penilaian"] =
                        Value::Array(vec![]);
                }),
                "$.data[0].children[0].children[0].children[0].soals[1].skema_penilaian",
                "skema penilaian wajib ada",
            ),
            (
                "multiplier above 1",
                2026,
                Box::new(|v| {
                    v["data"][0]["children"][0]["children"][0]["children"][0]["soals"][1]["skema_penilaian"]
                        [0]["multiplier"] = Value::from(1.5);
                }),
                "$.data[0].children[0].children[0].children[0].soals[1].skema_penilaian[0].multiplier",
                "pengali harus antara 0 dan 1, bukan 1.5",
            ),
        ];
        for (name, year, edit, path, message) in cases {
            let problems = problems_after(year, edit);
            assert!(
                problems
                    .iter()
                    .any(|p| p.path == path && p.message.contains(message)),
                "{name}: expected {path}: {message}; got {problems:#?}"
            );
            assert!(
                problems.len() <= 2,
                "{name}: too many problems {problems:#?}"
            );
        }
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let problems = problems_after(2027, |v| {
            let q = &mut v["data"][0]["children"][0]["children"][0]["children"][0]["soals"];
            q[0]["jenis_jawaban"] = Value::from("X");
            q[1]["id"] = Value::from(1);
            v["data"][1]["children"][1]["soals"][0]["bobot_maksimal"] = Value::from("17.5");
        });
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "$.tahun",
                "$.data[0].children[0].children[0].children[0].soals[0].jenis_jawaban",
                "$.data[0].children[0].children[0].children[0].soals[1].id",
                "$.data[1].children[1].soals[0].bobot_maksimal",
            ],
            "{problems:#?}"
        );
    }

    #[test]
    fn broken_json_is_reported_with_its_position() {
        let cases: [(&[u8], &str, &str); 4] = [
            (b"{\"tahun\": 2026,", "$", "terpotong"),
            (
                b"{\"tahun\": 2026 \"data\": []}",
                "$",
                "bukan JSON yang sah: baris 1, kolom 16",
            ),
            (b"[1, 2]", "$", "harus berupa objek, bukan daftar"),
            (
                b"{\"tahun\": 2026, \"data\": []}",
                "$.data",
                "tidak memuat satu node pun",
            ),
        ];
        for (bytes, path, message) in cases {
            let problems = parse_master(2026, bytes).expect_err("rejected");
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].path, path);
            assert!(problems[0].message.contains(message), "{problems:?}");
        }
    }
}
