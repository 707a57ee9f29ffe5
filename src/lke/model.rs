//! The LKE master of one year: nodes, questions and count groups.
//!
//! The master is kept flat (nodes point at their parent, questions at their
//! node) because that is how it is stored in the database; the tree is
//! rebuilt from `parent_id` and `position` whenever it is needed, so nothing
//! depends on the order in which rows arrive.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// Node levels as PortalRB spells them.
pub const LEVEL_KOMPONEN: &str = "komponen";
pub const LEVEL_SUB_KOMPONEN: &str = "sub_komponen";
pub const LEVEL_AREA: &str = "area_perubahan";
pub const LEVEL_SUB_AREA: &str = "sub_area";
pub const LEVELS: [&str; 4] = [
    LEVEL_KOMPONEN,
    LEVEL_SUB_KOMPONEN,
    LEVEL_AREA,
    LEVEL_SUB_AREA,
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Master {
    pub year: i64,
    pub total_soal: Option<i64>,
    pub generated_at: Option<String>,
    /// Canonical order (see [`Master::from_rows`]): depth-first, siblings by position.
    pub nodes: Vec<Node>,
    /// Canonical order: by node (in node order), then position within the node.
    pub questions: Vec<Question>,
    /// Sorted by id.
    pub groups: Vec<CountGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// `komponen`, `sub_komponen`, `area_perubahan` or `sub_area`.
    pub level: String,
    pub name: String,
    /// `bobot_maksimal`.
    pub weight: f64,
    /// `order_index` among its siblings.
    pub position: i64,
    /// Keys of the PortalRB node this crate does not know, kept for export.
    pub extra: Map<String, Value>,
}

impl Node {
    /// Place in the tree for indenting: 0 komponen, 1 sub-komponen, 2 area, 3 below.
    pub fn depth(&self) -> usize {
        match self.level.as_str() {
            LEVEL_KOMPONEN => 0,
            LEVEL_SUB_KOMPONEN => 1,
            LEVEL_AREA => 2,
            _ => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// PortalRB's `id` (its API calls it `soal_id`).
    pub id: i64,
    pub node_id: i64,
    /// 1-based order within its node (PortalRB gives the order only by array position).
    pub position: i64,
    pub text: String,
    pub criteria: String,
    /// `jenis_jawaban` exactly as spelled in the master ("Jumlah" and "jumlah" both occur).
    pub answer_type_raw: String,
    pub kind: AnswerKind,
    /// 0 for questions scored through their node's mean; otherwise the question's own weight.
    pub weight: f64,
    pub scheme: Vec<SchemeKey>,
    pub excel_sheet: String,
    pub excel_row: i64,
    pub col_unit_answer: String,
    pub col_unit_note: String,
    pub col_unit_evidence: String,
    pub col_tpi_answer: String,
    pub col_tpi_note: String,
    /// Unknown keys of the PortalRB question, kept for export.
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeKey {
    pub key: String,
    pub label: String,
    pub multiplier: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AnswerKind {
    YaTidak,
    Abc,
    Abcd,
    Abcde,
    /// A count feeding a [`CountGroup`]; it has no value of its own.
    Count,
    /// A survey index from 0 to 4 (IPAK, IPKP), scored as value ÷ 4.
    Index04,
}

impl AnswerKind {
    /// Reads PortalRB's `jenis_jawaban`. Case is ignored because the 2026
    /// master already spells the count type two ways.
    pub fn from_raw(raw: &str) -> Option<AnswerKind> {
        let raw = raw.trim();
        let kinds = [
            ("YA_TIDAK", AnswerKind::YaTidak),
            ("ABC", AnswerKind::Abc),
            ("ABCD", AnswerKind::Abcd),
            ("ABCDE", AnswerKind::Abcde),
            ("JUMLAH", AnswerKind::Count),
            ("0-4", AnswerKind::Index04),
        ];
        kinds
            .iter()
            .find(|(name, _)| raw.eq_ignore_ascii_case(name))
            .map(|&(_, kind)| kind)
    }

    /// Indonesian name for the screen.
    pub fn label(self) -> &'static str {
        match self {
            AnswerKind::YaTidak => "Ya/Tidak",
            AnswerKind::Abc => "Pilihan A–C",
            AnswerKind::Abcd => "Pilihan A–D",
            AnswerKind::Abcde => "Pilihan A–E",
            AnswerKind::Count => "Jumlah",
            AnswerKind::Index04 => "Indeks survei 0–4",
        }
    }

    /// Answered by picking a key of the question's `skema_penilaian`.
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            AnswerKind::YaTidak | AnswerKind::Abc | AnswerKind::Abcd | AnswerKind::Abcde
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Formula {
    /// `sum(numerator) ÷ sum(denominator)`, capped at 1; a zero denominator gives 1
    /// (nothing was required, or the ratio is capped anyway).
    Ratio,
    /// Decrease from last year to this year:
    /// `numerator` holds LAST year's count, `denominator` THIS year's count
    /// (the numbers under the fraction bar of `(last − this) ÷ last`).
    /// Value `(last − this) ÷ last`, never below 0; `last = 0` gives 1 when
    /// `this = 0` (no violations in either year) and 0 when `this > 0`.
    /// Several ids on one side are added up.
    Decrease,
}

impl Formula {
    /// Spelling used in the database (`lke_count_groups.formula`).
    pub fn as_str(self) -> &'static str {
        match self {
            Formula::Ratio => "ratio",
            Formula::Decrease => "decrease",
        }
    }

    /// The formula a word names (the database's and the count-group form's spelling).
    pub fn parse(s: &str) -> Option<Formula> {
        [Formula::Ratio, Formula::Decrease]
            .into_iter()
            .find(|f| f.as_str() == s)
    }

    /// Computes the group's value from the summed counts (see the variants).
    pub fn value(self, numerator: i64, denominator: i64) -> f64 {
        match self {
            Formula::Ratio => {
                if denominator <= 0 {
                    1.0
                } else {
                    (numerator as f64 / denominator as f64).min(1.0)
                }
            }
            Formula::Decrease => {
                let (last, this) = (numerator, denominator);
                if last <= 0 {
                    if this <= 0 { 1.0 } else { 0.0 }
                } else {
                    (last.saturating_sub(this) as f64 / last as f64).clamp(0.0, 1.0)
                }
            }
        }
    }
}

/// Counts that together give one value (a percentage as a fraction 0..1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountGroup {
    /// 1-based, per year.
    pub id: i64,
    /// The node whose mean this value joins; the counts live there too.
    pub node_id: i64,
    /// Indonesian, shown beside the inputs.
    pub label: String,
    pub formula: Formula,
    /// Question ids. For [`Formula::Decrease`]: last year's count.
    pub numerator: Vec<i64>,
    /// Question ids. For [`Formula::Decrease`]: this year's count.
    pub denominator: Vec<i64>,
    /// True when `kriteria_nilai` states the formula; false when it is our reading.
    pub stated: bool,
}

impl CountGroup {
    /// Every question id the group reads, numerator first.
    pub fn inputs(&self) -> impl Iterator<Item = i64> + '_ {
        self.numerator.iter().chain(&self.denominator).copied()
    }
}

fn group(
    id: i64,
    node_id: i64,
    label: &str,
    formula: Formula,
    numerator: &[i64],
    denominator: &[i64],
    stated: bool,
) -> CountGroup {
    CountGroup {
        id,
        node_id,
        label: label.to_owned(),
        formula,
        numerator: numerator.to_vec(),
        denominator: denominator.to_vec(),
        stated,
    }
}

/// The count groups of the 2026 master, as in the domain notes' table.
/// Stated in `kriteria_nilai`: 89÷88, (102−103)÷102, 106÷105, 123÷122;
/// the rest are our reading and marked so.
pub fn default_groups_2026() -> Vec<CountGroup> {
    use Formula::{Decrease, Ratio};
    vec![
        group(
            1,
            36,
            "Persentase perubahan oleh agen perubahan",
            Ratio,
            &[89],
            &[88],
            true,
        ),
        group(
            2,
            36,
            "Persentase perubahan yang terintegrasi dalam sistem manajemen",
            Ratio,
            &[91],
            &[90],
            false,
        ),
        group(
            3,
            46,
            "Persentase penurunan pelanggaran disiplin pegawai",
            Decrease,
            &[102],
            &[103],
            true,
        ),
        group(
            4,
            46,
            "Persentase pelanggaran yang telah diberi sanksi",
            Ratio,
            &[104],
            &[103],
            false,
        ),
        group(
            5,
            48,
            "Persentase sasaran kinerja yang tercapai 100% atau lebih",
            Ratio,
            &[106],
            &[105],
            true,
        ),
        group(
            6,
            53,
            "Persentase pengaduan masyarakat yang selesai ditindaklanjuti",
            Ratio,
            &[112],
            &[110],
            false,
        ),
        group(
            7,
            55,
            "Persentase penyampaian LHKPN",
            Ratio,
            &[116],
            &[113, 114, 115],
            false,
        ),
        group(
            8,
            56,
            "Persentase penyampaian laporan harta kekayaan non-LHKPN",
            Ratio,
            &[120],
            &[117, 118, 119],
            false,
        ),
        group(
            9,
            58,
            "Persentase perizinan/pelayanan yang telah dipermudah",
            Ratio,
            &[123],
            &[122],
            true,
        ),
    ]
}

/// Count groups to start a year with.
///
/// The 2026 groups are used for any year whose master has every question they
/// read as a count question on the same node as in 2026 (PortalRB has kept
/// question ids stable, so a master shaped like 2026 gets the same formulas).
/// Otherwise the result is empty and an admin defines the groups: guessing
/// formulas for renumbered questions would silently score the wrong counts.
pub fn default_groups_for(master: &Master) -> Vec<CountGroup> {
    let groups = default_groups_2026();
    let by_id: HashMap<i64, &Question> = master.questions.iter().map(|q| (q.id, q)).collect();
    let fits = groups.iter().all(|g| {
        g.inputs().all(|id| {
            by_id
                .get(&id)
                .is_some_and(|q| q.kind == AnswerKind::Count && q.node_id == g.node_id)
        })
    });
    if fits { groups } else { Vec::new() }
}

/// Problems with a set of count groups against a master (Indonesian messages),
/// for an admin editing them. Empty when the groups can be scored.
pub fn check_groups(master: &Master, groups: &[CountGroup]) -> Vec<String> {
    let by_id: HashMap<i64, &Question> = master.questions.iter().map(|q| (q.id, q)).collect();
    let mut problems = Vec::new();
    let mut seen = HashMap::new();
    for g in groups {
        if seen.insert(g.id, ()).is_some() {
            problems.push(format!("Kelompok {}: id dipakai lebih dari sekali", g.id));
        }
        if !master.nodes.iter().any(|n| n.id == g.node_id) {
            problems.push(format!("Kelompok {}: node {} tidak ada", g.id, g.node_id));
        }
        if g.numerator.is_empty() || g.denominator.is_empty() {
            problems.push(format!(
                "Kelompok {}: pembilang dan penyebut harus berisi soal",
                g.id
            ));
        }
        for id in g.inputs() {
            match by_id.get(&id) {
                None => problems.push(format!("Kelompok {}: soal {} tidak ada", g.id, id)),
                Some(q) if q.kind != AnswerKind::Count => {
                    problems.push(format!("Kelompok {}: soal {} bukan soal Jumlah", g.id, id))
                }
                Some(q) if q.node_id != g.node_id => problems.push(format!(
                    "Kelompok {}: soal {} ada di node {}, bukan di node {}",
                    g.id, id, q.node_id, g.node_id
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

impl Master {
    /// Assembles a master from database rows in any order, putting them in
    /// canonical order: nodes depth-first with siblings by (position, id),
    /// questions by their node's place then (position, id), groups by id.
    /// Nodes whose parent is missing (or that sit in a parent cycle) come last,
    /// by (position, id); questions of unknown nodes likewise.
    pub fn from_rows(
        year: i64,
        total_soal: Option<i64>,
        generated_at: Option<String>,
        nodes: Vec<Node>,
        mut questions: Vec<Question>,
        mut groups: Vec<CountGroup>,
    ) -> Master {
        let order = canonical_node_order(&nodes);
        let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
        let nodes: Vec<Node> = order.iter().filter_map(|&i| slots[i].take()).collect();
        let rank: HashMap<i64, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id, i)).collect();
        questions.sort_by(|a, b| question_order(&rank, a, b));
        groups.sort_by_key(|g| g.id);
        Master {
            year,
            total_soal,
            generated_at,
            nodes,
            questions,
            groups,
        }
    }

    pub fn node(&self, id: i64) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn question(&self, id: i64) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Children of `parent` (`None`: the roots), by (position, id).
    pub fn children(&self, parent: Option<i64>) -> Vec<&Node> {
        let mut out: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.parent_id == parent)
            .collect();
        out.sort_by_key(|n| (n.position, n.id));
        out
    }

    /// Questions of a node, by (position, id).
    pub fn questions_of(&self, node_id: i64) -> Vec<&Question> {
        let mut out: Vec<&Question> = self
            .questions
            .iter()
            .filter(|q| q.node_id == node_id)
            .collect();
        out.sort_by_key(|q| (q.position, q.id));
        out
    }
}

/// Indices into `nodes` in canonical depth-first order (see [`Master::from_rows`]).
pub(crate) fn canonical_node_order(nodes: &[Node]) -> Vec<usize> {
    let key = |i: &usize| (nodes[*i].position, nodes[*i].id);
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match n.parent_id {
            Some(p) => children.entry(p).or_default().push(i),
            None => roots.push(i),
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(key);
    }
    roots.sort_by_key(key);

    let mut order = Vec::with_capacity(nodes.len());
    let mut visited = vec![false; nodes.len()];
    // Explicit stack: pushed in reverse so the first child is visited first.
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut visited[i], true) {
            continue; // duplicate ids could make a node reachable twice
        }
        order.push(i);
        if let Some(kids) = children.get(&nodes[i].id) {
            stack.extend(kids.iter().rev().copied().filter(|&k| !visited[k]));
        }
    }
    let mut rest: Vec<usize> = (0..nodes.len()).filter(|&i| !visited[i]).collect();
    rest.sort_by_key(key);
    order.extend(rest);
    order
}

/// Canonical question order given each node's rank in canonical node order.
pub(crate) fn question_order(rank: &HashMap<i64, usize>, a: &Question, b: &Question) -> Ordering {
    let r = |q: &Question| rank.get(&q.node_id).copied().unwrap_or(usize::MAX);
    (r(a), a.position, a.id).cmp(&(r(b), b.position, b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lke::portalrb::tests::master_2026;

    #[test]
    fn answer_kinds_read_every_2026_spelling() {
        let cases = [
            ("YA_TIDAK", Some(AnswerKind::YaTidak)),
            ("ABC", Some(AnswerKind::Abc)),
            ("ABCD", Some(AnswerKind::Abcd)),
            ("ABCDE", Some(AnswerKind::Abcde)),
            ("Jumlah", Some(AnswerKind::Count)),
            ("jumlah", Some(AnswerKind::Count)),
            ("0-4", Some(AnswerKind::Index04)),
            ("ABCDEF", None),
            ("", None),
        ];
        for (raw, want) in cases {
            assert_eq!(AnswerKind::from_raw(raw), want, "{raw}");
        }
        assert_eq!(AnswerKind::Index04.label(), "Indeks survei 0–4");
    }

    #[test]
    fn formulas_follow_the_documented_edge_cases() {
        let cases = [
            (Formula::Ratio, 3, 4, 0.75),
            (Formula::Ratio, 5, 4, 1.0), // capped
            (Formula::Ratio, 0, 0, 1.0), // nothing was required
            (Formula::Ratio, 2, 0, 1.0),
            (Formula::Ratio, 0, 4, 0.0),
            (Formula::Decrease, 10, 4, 0.6),
            (Formula::Decrease, 4, 10, 0.0), // an increase is floored at 0
            (Formula::Decrease, 0, 0, 1.0),  // no violations in either year
            (Formula::Decrease, 0, 3, 0.0),  // none last year, some this year
            (Formula::Decrease, 5, 0, 1.0),
        ];
        for (f, num, den, want) in cases {
            assert!(
                (f.value(num, den) - want).abs() < 1e-12,
                "{f:?} {num}/{den}"
            );
        }
        assert_eq!(
            Formula::parse(Formula::Decrease.as_str()),
            Some(Formula::Decrease)
        );
    }

    #[test]
    fn defaults_apply_to_2026_shaped_masters_only() {
        let mut m = master_2026();
        assert_eq!(default_groups_for(&m), default_groups_2026());
        assert!(check_groups(&m, &default_groups_2026()).is_empty());
        // Renumbered year: q113 is no longer a count.
        if let Some(q) = m.questions.iter_mut().find(|q| q.id == 113) {
            q.kind = AnswerKind::Abc;
        }
        assert!(default_groups_for(&m).is_empty());
        assert!(!check_groups(&m, &default_groups_2026()).is_empty());
    }

    /// gen_sql.py keeps its own copy of the groups; the seed must match these.
    #[test]
    fn seed_sql_holds_the_default_groups() {
        let seed = include_str!("../../migrations/20261130000300_lke_master_2026.sql");
        let join = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        for g in default_groups_2026() {
            let line = format!(
                "INSERT INTO lke_count_groups (year, id, node_id, label, formula, numerator, \
                 denominator, stated) VALUES (2026, {}, {}, '{}', '{}', '{}', '{}', {});",
                g.id,
                g.node_id,
                g.label.replace('\'', "''"),
                g.formula.as_str(),
                join(&g.numerator),
                join(&g.denominator),
                i32::from(g.stated)
            );
            assert!(seed.contains(&line), "seed lacks: {line}");
        }
        assert_eq!(seed.matches("INSERT INTO lke_count_groups").count(), 9);
    }

    #[test]
    fn from_rows_ignores_row_order() {
        let m = master_2026();
        let mut nodes = m.nodes.clone();
        let mut questions = m.questions.clone();
        let mut groups = m.groups.clone();
        nodes.reverse();
        questions.reverse();
        groups.reverse();
        // A fixed shuffle on top of reversing.
        nodes.swap(3, 40);
        questions.swap(5, 100);
        let again = Master::from_rows(
            m.year,
            m.total_soal,
            m.generated_at.clone(),
            nodes,
            questions,
            groups,
        );
        assert_eq!(again, m);
    }
}
