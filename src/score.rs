//! Counting steps by status and the unit's own estimate of its pengungkit score,
//! shared by the dashboard and the reports.

use std::collections::{BTreeMap, HashMap};

use sqlx::SqlitePool;

use crate::step::StepRow;
use crate::step::{Status, Verdict};

/// The components' weights under PermenPAN-RB 10/2019 (the 2021 targets).
pub const WEIGHTS_10_2019: [(&str, f64); 6] = [
    ("I", 5.0),
    ("II", 5.0),
    ("III", 15.0),
    ("IV", 10.0),
    ("V", 15.0),
    ("VI", 10.0),
];

/// From 2022 the LKE of PermenPAN-RB 90/2021 weighs each area, Pemenuhan and Reform
/// together: 8 / 7 / 10 / 10 / 15 / 10 (60 in all).
pub const WEIGHTS_90_2021: [(&str, f64); 6] = [
    ("I", 8.0),
    ("II", 7.0),
    ("III", 10.0),
    ("IV", 10.0),
    ("V", 15.0),
    ("VI", 10.0),
];

/// What steps are listed or counted by: the dashboard's drill-down takes it as
/// `kriteria`, and the roll-up's columns of the same counts use its key and words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    Semua,
    Status(Status),
    Bukti,
    TanpaBukti,
    Diterima,
    Perbaikan,
    BelumReviu,
    Terlambat,
    Tertinggal,
}

impl Criterion {
    pub const ALL: [Criterion; 12] = [
        Criterion::Semua,
        Criterion::Status(Status::Selesai),
        Criterion::Status(Status::Berjalan),
        Criterion::Status(Status::Belum),
        Criterion::Status(Status::TidakDapat),
        Criterion::Bukti,
        Criterion::TanpaBukti,
        Criterion::Diterima,
        Criterion::Perbaikan,
        Criterion::BelumReviu,
        Criterion::Terlambat,
        Criterion::Tertinggal,
    ];

    pub const fn key(self) -> &'static str {
        match self {
            Criterion::Semua => "semua",
            Criterion::Status(Status::Selesai) => "selesai",
            Criterion::Status(Status::Berjalan) => "berjalan",
            Criterion::Status(Status::Belum) => "belum",
            Criterion::Status(Status::TidakDapat) => "tidak_dapat",
            Criterion::Bukti => "bukti",
            Criterion::TanpaBukti => "tanpa_bukti",
            Criterion::Diterima => "diterima",
            Criterion::Perbaikan => "perbaikan",
            Criterion::BelumReviu => "belum_reviu",
            Criterion::Terlambat => "terlambat",
            Criterion::Tertinggal => "tertinggal",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Criterion::Semua => "Semua langkah",
            Criterion::Status(Status::Selesai) => "Selesai",
            Criterion::Status(Status::Berjalan) => "Sedang berjalan",
            Criterion::Status(Status::Belum) => "Belum dimulai",
            Criterion::Status(Status::TidakDapat) => "Tidak dapat dilaksanakan",
            Criterion::Bukti => "Dengan bukti dukung",
            Criterion::TanpaBukti => "Tanpa bukti dukung",
            Criterion::Diterima => "Diterima",
            Criterion::Perbaikan => "Perlu perbaikan",
            Criterion::BelumReviu => "Belum direviu",
            Criterion::Terlambat => "Melewati tenggat",
            Criterion::Tertinggal => "Tertinggal",
        }
    }

    pub fn parse(key: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// The weights a year uses until an admin sets its own: its regulation's.
pub fn default_weights(year: i64) -> &'static [(&'static str, f64); 6] {
    if year <= 2021 {
        &WEIGHTS_10_2019
    } else {
        &WEIGHTS_90_2021
    }
}

/// The component numerals, in order.
pub const NUMERALS: [&str; 6] = ["I", "II", "III", "IV", "V", "VI"];

// ---------------------------------------------------------------------------
// Counting

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub total: i64,
    pub selesai: i64,
    pub berjalan: i64,
    pub belum: i64,
    pub tidak_dapat: i64,
    pub realization_sum: i64,
    pub with_evidence: i64,
    pub diterima: i64,
    pub perbaikan: i64,
    pub unreviewed: i64,
}

impl Counts {
    pub fn add(&mut self, r: &StepRow) {
        self.total += 1;
        match r.status_key() {
            Status::Selesai => self.selesai += 1,
            Status::Berjalan => self.berjalan += 1,
            Status::TidakDapat => self.tidak_dapat += 1,
            Status::Belum => self.belum += 1,
        }
        self.realization_sum += r.realization_value();
        if r.evidence_count > 0 {
            self.with_evidence += 1;
        }
        match r.verdict {
            Some(Verdict::Diterima) => self.diterima += 1,
            Some(Verdict::Perbaikan) => self.perbaikan += 1,
            // only steps with progress to review; never-started steps have nothing yet
            None if r.version.is_some() => self.unreviewed += 1,
            None => {}
        }
    }

    pub fn of<'a>(rows: impl IntoIterator<Item = &'a StepRow>) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            c.add(r);
        }
        c
    }

    pub fn mean_realization(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.realization_sum as f64 / self.total as f64
        }
    }

    /// "45,5" — one decimal, Indonesian comma.
    pub fn mean_label(&self) -> String {
        decimal(self.mean_realization(), 1)
    }

    pub fn done_percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            100.0 * self.selesai as f64 / self.total as f64
        }
    }

    pub fn done_percent_label(&self) -> String {
        decimal(self.done_percent(), 0)
    }
}

pub fn decimal(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

/// One bar segment of the component pictures, in percent of the bar.
pub struct Segment {
    pub x: f64,
    pub width: f64,
    pub class: &'static str,
    pub label: &'static str,
    pub count: i64,
}

pub fn segments(c: &Counts) -> Vec<Segment> {
    let total = c.total.max(1) as f64;
    let mut x = 0.0;
    let mut out = Vec::new();
    for (count, class, label) in [
        (c.selesai, "seg-selesai", "Selesai"),
        (c.berjalan, "seg-berjalan", "Sedang berjalan"),
        (c.belum, "seg-belum", "Belum dimulai"),
        (c.tidak_dapat, "seg-tidak", "Tidak dapat dilaksanakan"),
    ] {
        let width = 100.0 * count as f64 / total;
        out.push(Segment {
            x,
            width,
            class,
            label,
            count,
        });
        x += width;
    }
    out
}

// ---------------------------------------------------------------------------
// The estimate

/// A step's value for the estimate: its realisation, or nothing while the reviewer
/// has asked for a fix.
pub fn step_value(r: &StepRow) -> f64 {
    if r.needs_fix() {
        0.0
    } else {
        r.realization_value() as f64 / 100.0
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

#[derive(Clone, Debug)]
pub struct Estimate {
    pub numeral: String,
    pub weight: f64,
    /// 0..1: mean of the component's areas.
    pub value: f64,
    pub score: f64,
}

/// Indicator = mean of its steps' values; area = mean of its indicators; component =
/// mean of its areas × the component's weight; total = sum of the components.
pub fn estimate(rows: &[StepRow], weights: &HashMap<String, f64>) -> Vec<Estimate> {
    // component -> area -> indicator -> step values
    type Indicators = BTreeMap<i64, Vec<f64>>;
    let mut tree: BTreeMap<(i64, String), BTreeMap<i64, Indicators>> = BTreeMap::new();
    for r in rows {
        tree.entry((r.c_pos, r.numeral.clone()))
            .or_default()
            .entry(r.a_pos)
            .or_default()
            .entry(r.i_pos)
            .or_default()
            .push(step_value(r));
    }
    tree.into_iter()
        .map(|((_, numeral), areas)| {
            let area_values: Vec<f64> = areas
                .values()
                .map(|inds| mean(&inds.values().map(|s| mean(s)).collect::<Vec<_>>()))
                .collect();
            let value = mean(&area_values);
            let weight = weights.get(&numeral).copied().unwrap_or(0.0);
            Estimate {
                numeral,
                weight,
                value,
                score: value * weight,
            }
        })
        .collect()
}

pub async fn weights(db: &SqlitePool, year: i64) -> sqlx::Result<(HashMap<String, f64>, bool)> {
    let stored: Vec<(String, f64)> =
        sqlx::query_as("SELECT numeral, weight FROM component_weights WHERE year = ?")
            .bind(year)
            .fetch_all(db)
            .await?;
    if stored.is_empty() {
        return Ok((
            default_weights(year)
                .iter()
                .map(|(n, w)| (n.to_string(), *w))
                .collect(),
            true,
        ));
    }
    Ok((stored.into_iter().collect(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_criterion_parses_back_and_status_criteria_use_the_status_words() {
        for c in Criterion::ALL {
            assert_eq!(Criterion::parse(c.key()), Some(c), "{c:?}");
            if let Criterion::Status(s) = c {
                assert_eq!((c.key(), c.label()), (s.as_str(), s.label()));
            }
        }
        assert_eq!(Criterion::parse("lain"), None);
    }

    #[test]
    fn defaults_follow_the_regulation_of_the_year() {
        let sum = |w: &[(&str, f64); 6]| w.iter().map(|(_, v)| v).sum::<f64>();
        assert_eq!(default_weights(2021), &WEIGHTS_10_2019);
        assert_eq!(default_weights(2022), &WEIGHTS_90_2021);
        assert_eq!(default_weights(2026)[0], ("I", 8.0));
        assert!((sum(&WEIGHTS_10_2019) - 60.0).abs() < 1e-9);
        assert!((sum(&WEIGHTS_90_2021) - 60.0).abs() < 1e-9);
    }

    fn row(c: &str, a: i64, i: i64, realization: i64, verdict: Option<Verdict>) -> StepRow {
        StepRow {
            step_id: 0,
            s_pos: 1,
            step_text: String::new(),
            authority: String::new(),
            indicator_id: 0,
            i_pos: i,
            indicator_text: String::new(),
            area_id: 0,
            a_pos: a,
            area_name: String::new(),
            component_id: 0,
            c_pos: 1,
            numeral: c.into(),
            component_name: String::new(),
            status: Some(Status::Berjalan),
            realization: Some(realization),
            narrative: None,
            reason: None,
            version: Some(1),
            updated_at: None,
            evidence_count: 0,
            verdict,
            review_note: None,
            resubmitted: false,
            pics: None,
        }
    }

    #[test]
    fn estimate_is_a_mean_of_means_times_the_weight() {
        // area 1: indicator a = (100 + 50)/2 = 0.75; area 2: indicator a = 0 (asked to
        // fix), b = 0.2 -> 0.1. Component = (0.75 + 0.1)/2 = 0.425 × 5 = 2.125.
        let rows = vec![
            row("I", 1, 1, 100, None),
            row("I", 1, 1, 50, Some(Verdict::Diterima)),
            row("I", 2, 1, 80, Some(Verdict::Perbaikan)),
            row("I", 2, 2, 20, None),
        ];
        let w = HashMap::from([("I".to_string(), 5.0)]);
        let e = estimate(&rows, &w);
        assert_eq!(e.len(), 1);
        assert!((e[0].value - 0.425).abs() < 1e-9);
        assert!((e[0].score - 2.125).abs() < 1e-9);
    }
}
