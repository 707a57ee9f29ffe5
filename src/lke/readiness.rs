//! Whether a unit meets the thresholds for being proposed for WBK or WBBM
//! (90/2021 annex as applied by agency apps; see the domain notes).
//!
//! The pieces are found by structure, not by id, so a later year's master
//! with renumbered nodes still works: the first komponen is Pengungkit, its
//! first two sub_komponen are Pemenuhan and Reform (areas paired by
//! `order_index`); the second komponen is Hasil, whose first sub_komponen is
//! Birokrasi bersih (its 0–4 question is IPAK, its other question capaian
//! kinerja) and whose second is Pelayanan prima (IPKP).

use serde::Serialize;

use crate::lke::model::{AnswerKind, Master, Node, Question};
use crate::lke::score::{Score, ScoringPlan};

/// `75.0` meets `75` even after float noise.
const EPS: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub wbk: Vec<Condition>,
    pub wbbm: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// The requirement, in Indonesian.
    pub syarat: String,
    /// The unit's value: points, or for areas a percentage of the area's weight.
    pub nilai: f64,
    /// The threshold, in the same unit as `nilai`.
    pub batas: f64,
    pub terpenuhi: bool,
    /// Points still missing (for areas too); 0 when met.
    pub kurang: f64,
}

/// For display only; nothing is rounded internally.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

struct Thresholds {
    total: f64,
    pengungkit: f64,
    area_percent: f64,
    birokrasi: f64,
    ipak_points: f64,
    ipak_index: f64,
    capaian: f64,
    ipkp_points: f64,
    ipkp_index: f64,
}

const WBK: Thresholds = Thresholds {
    total: 75.0,
    pengungkit: 40.0,
    area_percent: 60.0,
    birokrasi: 18.25,
    ipak_points: 15.75,
    ipak_index: 3.60,
    capaian: 2.50,
    ipkp_points: 14.00,
    ipkp_index: 3.20,
};

const WBBM: Thresholds = Thresholds {
    total: 85.0,
    pengungkit: 48.0,
    area_percent: 75.0,
    birokrasi: 19.50,
    ipak_points: 15.75,
    ipak_index: 3.60,
    capaian: 3.75,
    ipkp_points: 15.75,
    ipkp_index: 3.60,
};

/// Pemenuhan and Reform halves of one pengungkit area, scored together.
struct Area {
    name: String,
    node_ids: Vec<i64>,
    weight: f64,
}

/// The nodes and questions the conditions read; `None` when the master lacks them.
struct Pieces<'m> {
    pengungkit: Option<&'m Node>,
    areas: Vec<Area>,
    birokrasi: Option<&'m Node>,
    ipak: Option<&'m Question>,
    capaian: Option<&'m Question>,
    pelayanan: Option<&'m Node>,
}

fn find_pieces(master: &Master) -> Pieces<'_> {
    let roots = master.children(None);
    let pengungkit = roots.first().copied();
    let hasil = roots.get(1).copied();

    let mut areas = Vec::new();
    if let Some(p) = pengungkit {
        let halves = master.children(Some(p.id));
        let half_name = |i: usize| halves.get(i).map(|n| tidy_name(&n.name));
        let first = halves
            .first()
            .map(|n| master.children(Some(n.id)))
            .unwrap_or_default();
        let second = halves
            .get(1)
            .map(|n| master.children(Some(n.id)))
            .unwrap_or_default();
        for a in &first {
            match second.iter().find(|b| b.position == a.position) {
                Some(b) => areas.push(Area {
                    name: format!(
                        "Area {} ({} + {})",
                        tidy_name(&a.name),
                        half_name(0).unwrap_or_default(),
                        half_name(1).unwrap_or_default()
                    ),
                    node_ids: vec![a.id, b.id],
                    weight: a.weight + b.weight,
                }),
                None => areas.push(Area {
                    name: format!(
                        "Area {} ({})",
                        tidy_name(&a.name),
                        half_name(0).unwrap_or_default()
                    ),
                    node_ids: vec![a.id],
                    weight: a.weight,
                }),
            }
        }
        for b in second
            .iter()
            .filter(|b| !first.iter().any(|a| a.position == b.position))
        {
            areas.push(Area {
                name: format!(
                    "Area {} ({})",
                    tidy_name(&b.name),
                    half_name(1).unwrap_or_default()
                ),
                node_ids: vec![b.id],
                weight: b.weight,
            });
        }
    }

    let hasil_parts = hasil
        .map(|h| master.children(Some(h.id)))
        .unwrap_or_default();
    let birokrasi = hasil_parts.first().copied();
    let pelayanan = hasil_parts.get(1).copied();
    let (mut ipak, mut capaian) = (None, None);
    if let Some(b) = birokrasi {
        for q in subtree_questions(master, b.id) {
            if q.kind == AnswerKind::Index04 {
                ipak = ipak.or(Some(q));
            } else if q.kind != AnswerKind::Count {
                capaian = capaian.or(Some(q));
            }
        }
    }
    Pieces {
        pengungkit,
        areas,
        birokrasi,
        ipak,
        capaian,
        pelayanan,
    }
}

/// Questions of a node and its descendants, depth-first by position.
fn subtree_questions(master: &Master, node_id: i64) -> Vec<&Question> {
    let mut out = master.questions_of(node_id);
    for child in master.children(Some(node_id)) {
        out.extend(subtree_questions(master, child.id));
    }
    out
}

/// "1. MANAJEMEN PERUBAHAN" → "Manajemen Perubahan"; acronyms stay upper-case.
fn tidy_name(raw: &str) -> String {
    const ACRONYMS: [&str; 11] = [
        "SDM", "ZI", "SPBE", "SPIP", "LHKPN", "WBK", "WBBM", "IPAK", "IPKP", "SOP", "RB",
    ];
    const SMALL: [&str; 10] = [
        "dan", "yang", "di", "ke", "dari", "untuk", "dalam", "atau", "pada", "terhadap",
    ];
    let raw = raw.trim();
    // Drop a leading enumerator such as "1.", "II." or "a.".
    let name = match raw.split_once(". ") {
        Some((head, rest)) if head.len() <= 4 && head.chars().all(char::is_alphanumeric) => rest,
        _ => raw,
    };
    name.split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            let lower = w.to_lowercase();
            if ACRONYMS.contains(&w) {
                w.to_owned()
            } else if i > 0 && SMALL.contains(&lower.as_str()) {
                lower
            } else {
                let mut cs = lower.chars();
                cs.next()
                    .map(|c| c.to_uppercase().chain(cs).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Indonesian number: "18,25", "2,50", "75".
fn id_num(x: f64) -> String {
    let s = format!("{x:.2}").replace('.', ",");
    s.strip_suffix(",00").map(str::to_owned).unwrap_or(s)
}

const MISSING: &str = " — tidak ditemukan pada master";

fn points(syarat: String, nilai: f64, batas: f64) -> Condition {
    let terpenuhi = nilai >= batas - EPS;
    Condition {
        syarat,
        nilai,
        batas,
        terpenuhi,
        kurang: if terpenuhi { 0.0 } else { batas - nilai },
    }
}

fn node_score(score: &Score, node: Option<&Node>) -> f64 {
    node.and_then(|n| score.nodes.get(&n.id))
        .copied()
        .unwrap_or(0.0)
}

fn conditions(
    t: &Thresholds,
    pieces: &Pieces,
    plan: &ScoringPlan,
    score: &Score,
    wbk_held: Option<bool>,
) -> Vec<Condition> {
    let note = |found: bool| if found { "" } else { MISSING };
    let mut out = vec![
        points(
            format!("Nilai total ≥ {}", id_num(t.total)),
            score.total,
            t.total,
        ),
        points(
            format!(
                "Komponen pengungkit ≥ {}{}",
                id_num(t.pengungkit),
                note(pieces.pengungkit.is_some())
            ),
            node_score(score, pieces.pengungkit),
            t.pengungkit,
        ),
    ];
    for area in &pieces.areas {
        let got: f64 = area
            .node_ids
            .iter()
            .filter_map(|id| score.nodes.get(id))
            .sum();
        let nilai = if area.weight > 0.0 {
            got / area.weight * 100.0
        } else {
            0.0
        };
        let terpenuhi = nilai >= t.area_percent - EPS;
        out.push(Condition {
            syarat: format!(
                "{} ≥ {}% dari bobot {}",
                area.name,
                id_num(t.area_percent),
                id_num(area.weight)
            ),
            nilai,
            batas: t.area_percent,
            terpenuhi,
            kurang: if terpenuhi {
                0.0
            } else {
                t.area_percent / 100.0 * area.weight - got
            },
        });
    }
    if pieces.areas.is_empty() {
        out.push(points(
            format!("Setiap area pengungkit{MISSING}"),
            0.0,
            t.area_percent,
        ));
    }
    let question_points =
        |q: Option<&Question>| q.map_or(0.0, |q| plan.question_points(q.id, score));
    out.push(points(
        format!(
            "Birokrasi yang bersih dan akuntabel ≥ {}{}",
            id_num(t.birokrasi),
            note(pieces.birokrasi.is_some())
        ),
        node_score(score, pieces.birokrasi),
        t.birokrasi,
    ));
    out.push(points(
        format!(
            "Nilai IPAK ≥ {} (indeks ≥ {}){}",
            id_num(t.ipak_points),
            id_num(t.ipak_index),
            note(pieces.ipak.is_some())
        ),
        question_points(pieces.ipak),
        t.ipak_points,
    ));
    out.push(points(
        format!(
            "Capaian kinerja ≥ {}{}",
            id_num(t.capaian),
            note(pieces.capaian.is_some())
        ),
        question_points(pieces.capaian),
        t.capaian,
    ));
    out.push(points(
        format!(
            "Pelayanan publik yang prima (IPKP) ≥ {} (indeks ≥ {}){}",
            id_num(t.ipkp_points),
            id_num(t.ipkp_index),
            note(pieces.pelayanan.is_some())
        ),
        node_score(score, pieces.pelayanan),
        t.ipkp_points,
    ));
    if let Some(held) = wbk_held {
        let nilai = if held { 1.0 } else { 0.0 };
        out.push(points("Predikat WBK sudah diraih".to_owned(), nilai, 1.0));
    }
    out
}

/// Every WBK and WBBM condition, in the domain table's order: total,
/// pengungkit, the six areas, birokrasi bersih, IPAK, capaian kinerja,
/// pelayanan prima, and for WBBM an earlier WBK.
#[cfg(test)]
pub fn readiness(master: &Master, score: &Score, wbk_held: bool) -> Readiness {
    readiness_with(master, &ScoringPlan::new(master), score, wbk_held)
}

/// Whether every condition of a predicate is met (none listed: not met).
pub fn all_met(conditions: &[Condition]) -> bool {
    !conditions.is_empty() && conditions.iter().all(|c| c.terpenuhi)
}

/// The same with a plan already built (building one costs more than scoring).
pub fn readiness_with(
    master: &Master,
    plan: &ScoringPlan,
    score: &Score,
    wbk_held: bool,
) -> Readiness {
    let pieces = find_pieces(master);
    Readiness {
        wbk: conditions(&WBK, &pieces, plan, score, None),
        wbbm: conditions(&WBBM, &pieces, plan, score, Some(wbk_held)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lke::portalrb::tests::master_2026;
    use crate::lke::score::score;
    use crate::lke::score::tests::{best_answers, mixed_answers};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn names_are_tidied() {
        let cases = [
            ("1. MANAJEMEN PERUBAHAN", "Manajemen Perubahan"),
            (
                "3. PENATAAN SISTEM MANAJEMEN SDM APARATUR",
                "Penataan Sistem Manajemen SDM Aparatur",
            ),
            ("II. REFORM", "Reform"),
            (
                "6. PENINGKATAN KUALITAS PELAYANAN PUBLIK",
                "Peningkatan Kualitas Pelayanan Publik",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(tidy_name(raw), want);
        }
        assert_eq!(round2(83.742917), 83.74);
        assert_eq!(id_num(2.5), "2,50");
        assert_eq!(id_num(75.0), "75");
    }

    #[test]
    fn all_best_meets_every_condition() {
        let m = master_2026();
        let r = readiness(&m, &score(&m, &best_answers(&m)), true);
        assert_eq!(r.wbk.len(), 12);
        assert_eq!(r.wbbm.len(), 13);
        for c in r.wbk.iter().chain(&r.wbbm) {
            assert!(c.terpenuhi && c.kurang == 0.0, "{c:?}");
        }
        let syarat: Vec<&str> = r.wbbm.iter().map(|c| c.syarat.as_str()).collect();
        assert_eq!(
            syarat,
            vec![
                "Nilai total ≥ 85",
                "Komponen pengungkit ≥ 48",
                "Area Manajemen Perubahan (Pemenuhan + Reform) ≥ 75% dari bobot 8",
                "Area Penataan Tatalaksana (Pemenuhan + Reform) ≥ 75% dari bobot 7",
                "Area Penataan Sistem Manajemen SDM Aparatur (Pemenuhan + Reform) ≥ 75% dari bobot 10",
                "Area Penguatan Akuntabilitas (Pemenuhan + Reform) ≥ 75% dari bobot 10",
                "Area Penguatan Pengawasan (Pemenuhan + Reform) ≥ 75% dari bobot 15",
                "Area Peningkatan Kualitas Pelayanan Publik (Pemenuhan + Reform) ≥ 75% dari bobot 10",
                "Birokrasi yang bersih dan akuntabel ≥ 19,50",
                "Nilai IPAK ≥ 15,75 (indeks ≥ 3,60)",
                "Capaian kinerja ≥ 3,75",
                "Pelayanan publik yang prima (IPKP) ≥ 15,75 (indeks ≥ 3,60)",
                "Predikat WBK sudah diraih",
            ]
        );
    }

    /// Values from the hand computation in `score::tests`.
    #[test]
    fn mixed_example_readiness() {
        let m = master_2026();
        let r = readiness(&m, &score(&m, &mixed_answers(&m)), false);
        // (nilai, met for WBK, met for WBBM, kurang for WBBM)
        let want = [
            (83.742917, true, false, 1.257083), // total
            (51.274167, true, true, 0.0),       // pengungkit
            (76.354167, true, true, 0.0),       // MP (3.208333 + 2.9) / 8
            (89.285714, true, true, 0.0),       // TT (3.25 + 3.0) / 7
            (81.0, true, true, 0.0),            // SDM (4.5 + 3.6) / 10
            (84.95, true, true, 0.0),           // Akuntabilitas (5 + 3.495) / 10
            (91.0, true, true, 0.0),            // Pengawasan (7.35 + 6.3) / 15
            (86.708333, true, true, 0.0),       // Pelayanan (4.833333 + 3.8375) / 10
            (18.25, true, false, 1.25),         // birokrasi: WBK exactly at its boundary
            (15.75, true, true, 0.0),           // IPAK 3.6
            (2.5, true, false, 1.25),           // capaian C
            (14.21875, true, false, 1.53125),   // IPKP 3.25
        ];
        for (i, (nilai, wbk, wbbm, kurang)) in want.into_iter().enumerate() {
            let (a, b) = (&r.wbk[i], &r.wbbm[i]);
            assert!(
                close(a.nilai, nilai) && close(b.nilai, nilai),
                "row {i}: {a:?}"
            );
            assert_eq!(
                (a.terpenuhi, b.terpenuhi),
                (wbk, wbbm),
                "row {i}: {a:?} {b:?}"
            );
            assert!(close(b.kurang, kurang), "row {i}: {b:?}");
        }
        let held = &r.wbbm[12];
        assert!(!held.terpenuhi && held.nilai == 0.0 && held.kurang == 1.0);
    }

    /// Sets the quantity row `row` reads so that it is worth `x` points.
    fn set(score: &mut Score, row: usize, x: f64) {
        // Areas: (Pemenuhan node, Reform node) in order.
        const AREAS: [(i64, i64); 6] = [(3, 35), (8, 39), (12, 43), (19, 47), (22, 51), (28, 57)];
        match row {
            0 => score.total = x,
            1 => {
                score.nodes.insert(1, x);
            }
            2..=7 => {
                let (p, r) = AREAS[row - 2];
                score.nodes.insert(p, x);
                score.nodes.insert(r, 0.0);
            }
            8 => {
                score.nodes.insert(61, x);
            }
            9 => {
                score.values.insert(125, x / 17.5);
            }
            10 => {
                score.values.insert(126, x / 5.0);
            }
            11 => {
                score.nodes.insert(62, x);
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn each_condition_flips_at_its_boundary() {
        let m = master_2026();
        let best = score(&m, &best_answers(&m));
        // Boundary of every row, in points (areas: share × combined weight).
        let wbk = [
            75.0, 40.0, 4.8, 4.2, 6.0, 6.0, 9.0, 6.0, 18.25, 15.75, 2.5, 14.0,
        ];
        let wbbm = [
            85.0, 48.0, 6.0, 5.25, 7.5, 7.5, 11.25, 7.5, 19.5, 15.75, 3.75, 15.75,
        ];
        for (rule, bounds) in [("WBK", wbk), ("WBBM", wbbm)] {
            for (row, at) in bounds.into_iter().enumerate() {
                let pick = |r: Readiness| if rule == "WBK" { r.wbk } else { r.wbbm };
                let mut s = best.clone();
                set(&mut s, row, at);
                let c = &pick(readiness(&m, &s, true))[row];
                assert!(c.terpenuhi && c.kurang == 0.0, "{rule} row {row} at: {c:?}");

                set(&mut s, row, at - 0.01);
                let cs = pick(readiness(&m, &s, true));
                let c = &cs[row];
                assert!(!c.terpenuhi, "{rule} row {row} below: {c:?}");
                assert!(close(c.kurang, 0.01), "{rule} row {row} kurang: {c:?}");
                // Only that row changed.
                let others = cs.iter().enumerate().filter(|&(i, _)| i != row);
                for (i, other) in others {
                    assert!(
                        other.terpenuhi,
                        "{rule} row {row} also broke row {i}: {other:?}"
                    );
                }
            }
        }
        let r = readiness(&m, &best, false);
        assert!(!r.wbbm[12].terpenuhi && close(r.wbbm[12].kurang, 1.0));
        assert!(readiness(&m, &best, true).wbbm[12].terpenuhi);
    }
}
