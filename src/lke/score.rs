//! Scoring a set of answers against a master, as evaluators compute it.
//!
//! - A question's value is its multiplier (0–1); a 0–4 index gives index ÷ 4.
//! - Count questions have no value of their own; each count group gives one.
//! - A node whose questions carry weight 0 scores the mean of its values (its
//!   non-count questions and the count groups placed on it) × its weight.
//! - A node whose questions carry their own weight scores Σ value × weight.
//! - A node with children scores the sum of its children; the total is the
//!   sum of the roots.
//! - Unanswered questions score 0; a group with any unanswered input scores 0.
//!   An answer that does not fit its question (wrong kind, unknown key, out of
//!   range) counts as unanswered.
//!
//! [`ScoringPlan`] does the tree work once so that scoring a set of answers
//! is a single pass over flat arrays.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::lke::answer::Answer;
use crate::lke::model::{
    AnswerKind, CountGroup, Formula, Master, Question, canonical_node_order, question_order,
};

/// Gains at or below this are noise, not advice.
const GAIN_EPS: f64 = 1e-12;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub total: f64,
    /// Every node's score, by node id.
    pub nodes: BTreeMap<i64, f64>,
    /// Question ids without a usable answer, in master order.
    pub unanswered: Vec<i64>,
    /// Value 0..1 of each answered non-count question.
    pub values: BTreeMap<i64, f64>,
    /// Each group's value; `None` while any of its inputs is unanswered.
    pub group_values: BTreeMap<i64, Option<f64>>,
}

/// Points the total would gain if one question (or one count group) were at its best.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gain {
    /// For a group: its first unanswered input, else the input to raise
    /// (a ratio's first numerator, a decrease's this-year count).
    pub question_id: i64,
    /// Set when the gain belongs to a count group.
    pub group_id: Option<i64>,
    pub points: f64,
}

/// Where a value lands in its node's score.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// Joins the node's mean.
    Mean(usize),
    /// Adds value × weight to the node.
    Own(usize, f64),
    /// Counts for nothing (count question, unknown node, node with children).
    Nothing,
}

#[derive(Debug, Clone)]
struct PlanNode {
    id: i64,
    /// `None` for roots and for nodes cut off from the roots.
    parent: Option<usize>,
    weight: f64,
    /// Number of values in this node's mean (0 when it is not a mean node).
    mean_items: usize,
}

#[derive(Debug, Clone)]
struct PlanQuestion {
    id: i64,
    kind: AnswerKind,
    /// (key, multiplier) in scheme order.
    scheme: Vec<(String, f64)>,
    best: f64,
    target: Target,
}

#[derive(Debug, Clone)]
struct PlanGroup {
    id: i64,
    formula: Formula,
    numerator: Vec<usize>,
    denominator: Vec<usize>,
    /// An input id that is not a question of the master: never scorable.
    broken: bool,
    target: Target,
    /// The input to raise when everything is answered.
    lever: Option<usize>,
}

/// Per-question outcome of reading the answers.
#[derive(Debug, Clone, Copy)]
enum Read {
    Value(f64),
    Count(i64),
    Missing,
}

/// A master prepared for fast repeated scoring. Independent of the order of
/// the master's vectors.
#[derive(Debug, Clone)]
pub struct ScoringPlan {
    nodes: Vec<PlanNode>,
    roots: Vec<usize>,
    questions: Vec<PlanQuestion>,
    groups: Vec<PlanGroup>,
    lookup: IdLookup,
}

/// Question id → index in `questions`.
#[derive(Debug, Clone)]
enum IdLookup {
    /// PortalRB ids are small and dense (1..=127 in 2026): a plain table.
    Dense {
        min: i64,
        slots: Vec<Option<usize>>,
    },
    Sparse(HashMap<i64, usize>),
}

impl IdLookup {
    fn new(ids: &[i64]) -> IdLookup {
        let (min, max) = (ids.iter().min(), ids.iter().max());
        let span = match (min, max) {
            (Some(&lo), Some(&hi)) => hi.checked_sub(lo).and_then(|s| usize::try_from(s).ok()),
            _ => None,
        };
        match (min, span) {
            (Some(&min), Some(span)) if span < 4 * ids.len() + 1024 => {
                let mut slots = vec![None; span + 1];
                // Reverse so that the first question wins on a duplicate id.
                for (i, &id) in ids.iter().enumerate().rev() {
                    slots[(id - min) as usize] = Some(i);
                }
                IdLookup::Dense { min, slots }
            }
            _ => IdLookup::Sparse(
                ids.iter()
                    .enumerate()
                    .rev()
                    .map(|(i, &id)| (id, i))
                    .collect(),
            ),
        }
    }

    fn get(&self, id: i64) -> Option<usize> {
        match self {
            IdLookup::Dense { min, slots } => {
                let at = usize::try_from(id.checked_sub(*min)?).ok()?;
                slots.get(at).copied().flatten()
            }
            IdLookup::Sparse(map) => map.get(&id).copied(),
        }
    }
}

impl ScoringPlan {
    pub fn new(master: &Master) -> ScoringPlan {
        let order = canonical_node_order(&master.nodes);
        let index: HashMap<i64, usize> = order
            .iter()
            .enumerate()
            .map(|(i, &n)| (master.nodes[n].id, i))
            .collect();
        let mut nodes: Vec<PlanNode> = order
            .iter()
            .map(|&n| {
                let node = &master.nodes[n];
                PlanNode {
                    id: node.id,
                    parent: node.parent_id.and_then(|p| index.get(&p).copied()),
                    weight: node.weight,
                    mean_items: 0,
                }
            })
            .collect();
        // Canonical order puts parents before children for every node reachable
        // from a root; a node with a missing parent or in a parent cycle is cut
        // off so it cannot feed the total.
        let mut reachable = vec![false; nodes.len()];
        let mut roots = Vec::new();
        for (i, &n) in order.iter().enumerate() {
            reachable[i] = match nodes[i].parent {
                _ if master.nodes[n].parent_id.is_none() => {
                    roots.push(i);
                    true
                }
                Some(p) => p < i && reachable[p],
                None => false,
            };
        }
        for (node, &ok) in nodes.iter_mut().zip(&reachable) {
            if !ok {
                node.parent = None;
            }
        }
        let mut has_children = vec![false; nodes.len()];
        for n in &nodes {
            if let Some(p) = n.parent {
                has_children[p] = true;
            }
        }
        // Own-weight nodes: any question with a non-zero weight.
        let mut own_weight = vec![false; nodes.len()];
        for q in &master.questions {
            if let Some(&n) = index.get(&q.node_id)
                && q.weight != 0.0
            {
                own_weight[n] = true;
            }
        }
        let leaf_target = |node: Option<usize>, weight: f64| match node {
            Some(n) if has_children[n] => Target::Nothing,
            Some(n) if own_weight[n] => Target::Own(n, weight),
            Some(n) => Target::Mean(n),
            None => Target::Nothing,
        };

        let mut sorted: Vec<&Question> = master.questions.iter().collect();
        sorted.sort_by(|a, b| question_order(&index, a, b));
        let questions: Vec<PlanQuestion> = sorted
            .iter()
            .map(|q| {
                let target = if q.kind == AnswerKind::Count {
                    Target::Nothing
                } else {
                    leaf_target(index.get(&q.node_id).copied(), q.weight)
                };
                let scheme: Vec<(String, f64)> = q
                    .scheme
                    .iter()
                    .map(|s| (s.key.clone(), s.multiplier))
                    .collect();
                let best = match q.kind {
                    AnswerKind::Index04 => 1.0,
                    AnswerKind::Count => 0.0,
                    _ => scheme.iter().map(|s| s.1).fold(0.0, f64::max),
                };
                PlanQuestion {
                    id: q.id,
                    kind: q.kind,
                    scheme,
                    best,
                    target,
                }
            })
            .collect();
        let qindex: HashMap<i64, usize> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| (q.id, i))
            .collect();

        let mut groups: Vec<&CountGroup> = master.groups.iter().collect();
        groups.sort_by_key(|g| g.id);
        let groups: Vec<PlanGroup> = groups
            .iter()
            .map(|g| {
                let resolve = |ids: &[i64]| -> Vec<usize> {
                    ids.iter()
                        .filter_map(|id| qindex.get(id).copied())
                        .collect()
                };
                let numerator = resolve(&g.numerator);
                let denominator = resolve(&g.denominator);
                let broken = numerator.len() != g.numerator.len()
                    || denominator.len() != g.denominator.len();
                // Own-weight nodes have no mean for a group to join.
                let target = match leaf_target(index.get(&g.node_id).copied(), 0.0) {
                    Target::Mean(n) => Target::Mean(n),
                    _ => Target::Nothing,
                };
                let lever = match g.formula {
                    Formula::Ratio => numerator.first().copied(),
                    Formula::Decrease => denominator.first().copied(),
                };
                PlanGroup {
                    id: g.id,
                    formula: g.formula,
                    numerator,
                    denominator,
                    broken,
                    target,
                    lever,
                }
            })
            .collect();

        for t in questions
            .iter()
            .map(|q| q.target)
            .chain(groups.iter().map(|g| g.target))
        {
            if let Target::Mean(n) = t {
                nodes[n].mean_items += 1;
            }
        }
        let ids: Vec<i64> = questions.iter().map(|q| q.id).collect();
        let lookup = IdLookup::new(&ids);
        ScoringPlan {
            nodes,
            roots,
            questions,
            groups,
            lookup,
        }
    }

    /// The most points a question can bring to the total (0 for counts).
    #[cfg(test)]
    pub fn max_points(&self, question_id: i64) -> Option<f64> {
        let q = self.questions.iter().find(|q| q.id == question_id)?;
        Some(q.best * self.factor(q.target))
    }

    /// Points a question brings to the total in `score` (0 when unanswered or a count).
    pub fn question_points(&self, question_id: i64, score: &Score) -> f64 {
        let Some(q) = self.questions.iter().find(|q| q.id == question_id) else {
            return 0.0;
        };
        score.values.get(&question_id).copied().unwrap_or(0.0) * self.factor(q.target)
    }

    /// Points per unit of value at `target`.
    fn factor(&self, target: Target) -> f64 {
        match target {
            Target::Mean(n) => {
                let node = &self.nodes[n];
                node.weight / node.mean_items.max(1) as f64
            }
            Target::Own(_, w) => w,
            Target::Nothing => 0.0,
        }
    }

    fn read(q: &PlanQuestion, answer: Option<&Answer>) -> Read {
        match (q.kind, answer) {
            (AnswerKind::Count, Some(&Answer::Count(n))) if n >= 0 => Read::Count(n),
            (AnswerKind::Index04, Some(&Answer::Index(x))) if (0.0..=4.0).contains(&x) => {
                Read::Value(x / 4.0)
            }
            (kind, Some(Answer::Choice(key))) if kind.is_choice() => q
                .scheme
                .iter()
                .find(|(k, _)| k == key)
                .or_else(|| q.scheme.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
                .map_or(Read::Missing, |&(_, m)| Read::Value(m)),
            _ => Read::Missing,
        }
    }

    fn group_value(g: &PlanGroup, reads: &[Read]) -> Option<f64> {
        if g.broken {
            return None;
        }
        let sum = |ids: &[usize]| -> Option<i64> {
            ids.iter().try_fold(0i64, |acc, &i| match reads[i] {
                Read::Count(n) => Some(acc.saturating_add(n)),
                _ => None,
            })
        };
        let num = sum(&g.numerator);
        let den = sum(&g.denominator);
        Some(g.formula.value(num?, den?))
    }

    /// Walks the answers once instead of hashing every question id: the
    /// dense id table makes this the cheapest part of scoring.
    fn read_all(&self, answers: &HashMap<i64, Answer>) -> Vec<Read> {
        let mut reads = vec![Read::Missing; self.questions.len()];
        for (&id, answer) in answers {
            if let Some(i) = self.lookup.get(id) {
                reads[i] = Self::read(&self.questions[i], Some(answer));
            }
        }
        reads
    }

    pub fn score(&self, answers: &HashMap<i64, Answer>) -> Score {
        let reads = self.read_all(answers);
        let mut node_scores = vec![0.0; self.nodes.len()];
        // Sum of the values in each mean node, turned into mean × weight below.
        let mut mean_sums = vec![0.0; self.nodes.len()];
        let mut values = Vec::with_capacity(self.questions.len());
        let mut unanswered = Vec::new();
        let mut add = |target: Target, v: f64| match target {
            Target::Mean(n) => mean_sums[n] += v,
            Target::Own(n, w) => node_scores[n] += v * w,
            Target::Nothing => {}
        };
        for (q, read) in self.questions.iter().zip(&reads) {
            match *read {
                Read::Value(v) => {
                    values.push((q.id, v));
                    add(q.target, v);
                }
                Read::Count(_) => {}
                Read::Missing => unanswered.push(q.id),
            }
        }
        let mut group_values = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let v = Self::group_value(g, &reads);
            add(g.target, v.unwrap_or(0.0));
            group_values.push((g.id, v));
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if node.mean_items > 0 {
                node_scores[i] += mean_sums[i] / node.mean_items as f64 * node.weight;
            }
        }
        // Children come after their parent, so a reverse pass sums bottom-up.
        for i in (0..self.nodes.len()).rev() {
            if let Some(p) = self.nodes[i].parent {
                node_scores[p] += node_scores[i];
            }
        }
        let total = self.roots.iter().map(|&r| node_scores[r]).sum();
        Score {
            total,
            nodes: self.nodes.iter().map(|n| n.id).zip(node_scores).collect(),
            unanswered,
            values: values.into_iter().collect(),
            group_values: group_values.into_iter().collect(),
        }
    }

    /// What each question (or count group) not at its best would add to the
    /// total on its own, largest first, ties in master order. Questions and
    /// groups that can add nothing are left out.
    pub fn potential(&self, answers: &HashMap<i64, Answer>) -> Vec<Gain> {
        let reads = self.read_all(answers);
        // (gain, master position of the reported question)
        let mut gains: Vec<(Gain, usize)> = Vec::new();
        for (i, (q, read)) in self.questions.iter().zip(&reads).enumerate() {
            if q.kind == AnswerKind::Count {
                continue;
            }
            let v = match *read {
                Read::Value(v) => v,
                _ => 0.0,
            };
            let points = (q.best - v) * self.factor(q.target);
            if points > GAIN_EPS {
                let gain = Gain {
                    question_id: q.id,
                    group_id: None,
                    points,
                };
                gains.push((gain, i));
            }
        }
        for g in &self.groups {
            let v = Self::group_value(g, &reads).unwrap_or(0.0);
            let points = (1.0 - v) * self.factor(g.target);
            let first_missing = g
                .numerator
                .iter()
                .chain(&g.denominator)
                .copied()
                .filter(|&i| !matches!(reads[i], Read::Count(_)))
                .min();
            let Some(at) = first_missing.or(g.lever) else {
                continue;
            };
            if points > GAIN_EPS {
                let gain = Gain {
                    question_id: self.questions[at].id,
                    group_id: Some(g.id),
                    points,
                };
                gains.push((gain, at));
            }
        }
        gains.sort_by(|(a, ia), (b, ib)| b.points.total_cmp(&a.points).then(ia.cmp(ib)));
        gains.into_iter().map(|(g, _)| g).collect()
    }
}

/// Scores `answers` with a plan of its own (the tests' shorthand; the app keeps one
/// plan per year).
#[cfg(test)]
pub fn score(master: &Master, answers: &HashMap<i64, Answer>) -> Score {
    ScoringPlan::new(master).score(answers)
}

/// [`ScoringPlan::potential`] with a plan of its own (the tests' shorthand).
#[cfg(test)]
pub fn potential(master: &Master, answers: &HashMap<i64, Answer>) -> Vec<Gain> {
    ScoringPlan::new(master).potential(answers)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lke::answer::parse_answer;
    use crate::lke::portalrb::tests::master_2026;

    fn key_by(q: &Question, pick_max: bool) -> Answer {
        let best = q.scheme.iter().max_by(|a, b| {
            let ord = a.multiplier.total_cmp(&b.multiplier);
            if pick_max { ord } else { ord.reverse() }
        });
        Answer::Choice(best.map(|s| s.key.clone()).unwrap_or_default())
    }

    fn in_decrease(m: &Master, id: i64, numerator: bool) -> bool {
        m.groups.iter().any(|g| {
            g.formula == Formula::Decrease
                && if numerator {
                    &g.numerator
                } else {
                    &g.denominator
                }
                .contains(&id)
        })
    }

    /// Every question at its best: top keys, index 4, ratios full (each
    /// denominator count 1, the numerator as large as their sum), no violations
    /// this year after 5 last year.
    pub(crate) fn best_answers(m: &Master) -> HashMap<i64, Answer> {
        let numerator_of = |id: i64| {
            m.groups
                .iter()
                .find(|g| g.formula == Formula::Ratio && g.numerator.first() == Some(&id))
        };
        m.questions
            .iter()
            .map(|q| {
                let a = match q.kind {
                    AnswerKind::Count if in_decrease(m, q.id, false) => Answer::Count(0),
                    AnswerKind::Count if in_decrease(m, q.id, true) => Answer::Count(5),
                    AnswerKind::Count => match numerator_of(q.id) {
                        Some(g) => Answer::Count(g.denominator.len() as i64),
                        None => Answer::Count(1),
                    },
                    AnswerKind::Index04 => Answer::Index(4.0),
                    _ => key_by(q, true),
                };
                (q.id, a)
            })
            .collect()
    }

    /// Every question at its worst: bottom keys, index 0, ratio numerators 0
    /// over positive denominators, more violations this year than last.
    pub(crate) fn worst_answers(m: &Master) -> HashMap<i64, Answer> {
        let in_denominator = |id: i64| m.groups.iter().any(|g| g.denominator.contains(&id));
        m.questions
            .iter()
            .map(|q| {
                let a = match q.kind {
                    AnswerKind::Count if in_decrease(m, q.id, true) => Answer::Count(1),
                    AnswerKind::Count if in_denominator(q.id) => Answer::Count(3),
                    AnswerKind::Count => Answer::Count(0),
                    AnswerKind::Index04 => Answer::Index(0.0),
                    _ => key_by(q, false),
                };
                (q.id, a)
            })
            .collect()
    }

    /// The hand-computed example below, as typed by a person.
    pub(crate) fn mixed_answers(m: &Master) -> HashMap<i64, Answer> {
        let mut answers = best_answers(m);
        let typed: &[(i64, &str)] = &[
            (2, "B"),
            (6, "B"),
            (7, "C"),
            (14, "D"),
            (37, "Tidak"),
            (67, "b"),
            (82, "C"),
            (88, "4"),
            (89, "3"),
            (90, "5"),
            (91, "2"),
            (92, "B"),
            (96, "C"),
            (101, "B"),
            (102, "10"),
            (103, "4"),
            (104, "3"),
            (105, "8"),
            (106, "6"),
            (108, "C"),
            (110, "20"),
            (111, "5"),
            (112, "15"),
            (113, "1"),
            (114, "3"),
            (115, "6"),
            (116, "8"),
            (117, "2"),
            (118, "5"),
            (119, "13"),
            (120, "15"),
            (121, "B"),
            (122, "10"),
            (123, "4"),
            (125, "3,6"),
            (126, "C"),
            (127, "3,25"),
        ];
        for &(id, raw) in typed {
            let q = m.question(id).expect("question");
            answers.insert(id, parse_answer(q, raw).expect("valid answer"));
        }
        answers.remove(&8); // left unanswered
        answers
    }

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn all_best_scores_exactly_100() {
        let m = master_2026();
        let s = score(&m, &best_answers(&m));
        assert!(close(s.total, 100.0, 1e-9), "{}", s.total);
        assert!(close(s.nodes[&1], 60.0, 1e-9) && close(s.nodes[&60], 40.0, 1e-9));
        assert!(s.unanswered.is_empty());
        assert!(s.group_values.values().all(|v| *v == Some(1.0)));
        assert!(ScoringPlan::new(&m).potential(&best_answers(&m)).is_empty());
    }

    #[test]
    fn all_worst_scores_0() {
        let m = master_2026();
        let s = score(&m, &worst_answers(&m));
        assert!(close(s.total, 0.0, 1e-9), "{}", s.total);
        assert!(s.unanswered.is_empty());
        assert!(s.nodes.values().all(|&v| close(v, 0.0, 1e-9)));
        assert!(
            s.group_values.values().all(|v| *v == Some(0.0)),
            "{:?}",
            s.group_values
        );
    }

    #[test]
    fn all_unanswered_scores_0_and_lists_every_question() {
        let m = master_2026();
        let s = score(&m, &HashMap::new());
        assert_eq!(s.total, 0.0);
        assert_eq!(s.unanswered, (1..=127).collect::<Vec<_>>());
        assert!(s.values.is_empty());
        assert_eq!(s.nodes.len(), 62);
        assert!(s.group_values.values().all(Option::is_none));
    }

    #[test]
    fn a_group_with_an_unanswered_input_scores_0() {
        let m = master_2026();
        let mut answers = best_answers(&m);
        answers.remove(&114);
        let s = score(&m, &answers);
        assert_eq!(s.unanswered, vec![114]);
        assert_eq!(s.group_values[&7], None);
        assert!(close(s.nodes[&55], 0.0, 1e-12));
        assert!(close(s.total, 99.0, 1e-9));
        let gains = potential(&m, &answers);
        assert_eq!(
            gains,
            vec![Gain {
                question_id: 114,
                group_id: Some(7),
                points: 1.0
            }]
        );
    }

    #[test]
    fn misfit_answers_count_as_unanswered() {
        let m = master_2026();
        let mut answers = best_answers(&m);
        answers.insert(1, Answer::Count(1)); // YA_TIDAK given a count
        answers.insert(2, Answer::Choice("Z".into()));
        answers.insert(125, Answer::Index(4.5));
        answers.insert(88, Answer::Count(-1));
        let s = score(&m, &answers);
        assert_eq!(s.unanswered, vec![1, 2, 88, 125]);
    }

    // Hand computation (ABCD multipliers are 0.67/0.33 as in the master).
    // Everything at its best except:
    //
    // Pemenuhan (30)
    // - node 4 (w 0.5; q1 Ya, q2 B=0.5): (1 + 0.5)/2 × 0.5 = 0.375
    // - node 6 (w 1; q6 B=0.67, q7 C=0.33, q8 unanswered): (0.67+0.33+0)/3 × 1 = 0.333333
    // - node 9 (w 1; q13 A, q14 D=0.25, q15 A): (1+0.25+1)/3 × 1 = 0.75
    // - node 16 (w 2; q34–q36 A, q37 Tidak): 3/4 × 2 = 1.5
    // - node 27 (w 1.5; q64–q66 A, q67 "b"=0.5, q68 A): 4.5/5 × 1.5 = 1.35
    // - node 32 (w 1; q82 C=0.5, q83 A, q84 A): 2.5/3 × 1 = 0.833333
    //
    // areas: 3 MP = 0.375+0.333333+1+1.5 = 3.208333; 8 TT = 0.75+2+0.5 = 3.25;
    // 12 SDM = 0.25+0.5+1.25+1.5+0.75+0.25 = 4.5; 19 Akuntabilitas = 5;
    // 22 Pengawasan = 1.5×4 + 1.35 = 7.35; 28 Pelayanan = 1+1+1+0.833333+1 = 4.833333;
    // node 2 Pemenuhan = 28.141667.
    //
    // Reform (30)
    // - node 36 (w 2): g1 89÷88 = 3/4 = 0.75; g2 91÷90 = 2/5 = 0.4 → (0.75+0.4)/2 × 2 = 1.15
    // - node 37: q92 B = 0.75 × own weight 1 = 0.75; node 38 = 1 → area 35 = 2.9
    // - node 40 = 0.5; node 41 (w 1; q95 A, q96 C=0): 1/2 × 1 = 0.5; node 42 = 2 → area 39 = 3.0
    // - node 44 = 1.5; node 45 (q101 B of ABC = 0.5) × 1.5 = 0.75;
    //   node 46 (w 2): g3 (102−103)÷102 = (10−4)/10 = 0.6; g4 104÷103 = 3/4 = 0.75
    //   → (0.6+0.75)/2 × 2 = 1.35 → area 43 = 3.6
    // - node 48 (w 2): g5 106÷105 = 6/8 = 0.75 × 2 = 1.5; node 49 = 1.5;
    //   node 50 (q108 C = 0.33) × 1.5 = 0.495 → area 47 = 3.495
    // - node 52 = 2.5; node 53 (w 3): g6 112÷110 = 15/20 = 0.75 × 3 = 2.25 (q111 = 5 feeds nothing);
    //   node 55 (w 1): g7 116÷(113+114+115) = 8/(1+3+6) = 0.8;
    //   node 56 (w 1): g8 120÷(117+118+119) = 15/(2+5+13) = 0.75; node 54 = 1.55
    //   → area 51 = 2.5+2.25+1.55 = 6.3
    // - node 58 (w 2.5): q121 B = 0.67, g9 123÷122 = 4/10 = 0.4 → (0.67+0.4)/2 × 2.5 = 1.3375;
    //   node 59 = 2.5 → area 57 = 3.8375
    // node 34 Reform = 2.9+3.0+3.6+3.495+6.3+3.8375 = 23.1325.
    // node 1 Pengungkit = 28.141667 + 23.1325 = 51.274167.
    //
    // Hasil (40)
    // - node 61: IPAK 3.6/4 = 0.9 × 17.5 = 15.75; capaian C = 0.5 × 5 = 2.5 → 18.25
    // - node 62: IPKP 3.25/4 = 0.8125 × 17.5 = 14.21875
    // node 60 Hasil = 32.46875.
    //
    // Total = 51.274167 + 32.46875 = 83.742917.
    #[test]
    fn mixed_example_matches_the_hand_computation() {
        let m = master_2026();
        let s = score(&m, &mixed_answers(&m));
        let expected_nodes = [
            (4, 0.375),
            (6, 0.333333),
            (9, 0.75),
            (16, 1.5),
            (27, 1.35),
            (32, 0.833333),
            (3, 3.208333),
            (8, 3.25),
            (12, 4.5),
            (19, 5.0),
            (22, 7.35),
            (28, 4.833333),
            (2, 28.141667),
            (36, 1.15),
            (37, 0.75),
            (35, 2.9),
            (41, 0.5),
            (39, 3.0),
            (45, 0.75),
            (46, 1.35),
            (43, 3.6),
            (48, 1.5),
            (50, 0.495),
            (47, 3.495),
            (53, 2.25),
            (55, 0.8),
            (56, 0.75),
            (54, 1.55),
            (51, 6.3),
            (58, 1.3375),
            (57, 3.8375),
            (34, 23.1325),
            (1, 51.274167),
            (61, 18.25),
            (62, 14.21875),
            (60, 32.46875),
        ];
        for (id, want) in expected_nodes {
            assert!(
                close(s.nodes[&id], want, 0.005),
                "node {id}: {} vs {want}",
                s.nodes[&id]
            );
        }
        assert!(close(s.total, 83.742917, 0.005), "{}", s.total);
        assert_eq!(s.unanswered, vec![8]);
        let groups: Vec<Option<f64>> = s.group_values.values().copied().collect();
        let want = [0.75, 0.4, 0.6, 0.75, 0.75, 0.75, 0.8, 0.75, 0.4];
        for (got, want) in groups.iter().zip(want) {
            assert!(got.is_some_and(|g| close(g, want, 1e-12)), "{groups:?}");
        }
        assert!(close(s.values[&125], 0.9, 1e-12) && close(s.values[&127], 0.8125, 1e-12));
    }

    #[test]
    fn potential_ranks_the_biggest_gains_first() {
        let m = master_2026();
        let gains = potential(&m, &mixed_answers(&m));
        let top: Vec<(i64, Option<i64>, f64)> = gains
            .iter()
            .take(11)
            .map(|g| (g.question_id, g.group_id, g.points))
            .collect();
        // q127: (1 − 0.8125) × 17.5; q126: 0.5 × 5; q125: 0.1 × 17.5; q108: 0.67 × 1.5;
        // then three 0.75 ties in master order: q101 (0.5 × 1.5), g6 (0.25 × 3, reported
        // on its numerator 112), g9 (0.6 × 2.5/2, on 123); g2 (0.6 × 2/2 on 91);
        // then 0.5 ties: q37 (1 × 2/4), q96 (1 × 1/2), g5 (0.25 × 2 on 106).
        let want = [
            (127, None, 3.28125),
            (126, None, 2.5),
            (125, None, 1.75),
            (108, None, 1.005),
            (101, None, 0.75),
            (112, Some(6), 0.75),
            (123, Some(9), 0.75),
            (91, Some(2), 0.6),
            (37, None, 0.5),
            (96, None, 0.5),
            (106, Some(5), 0.5),
        ];
        for (got, want) in top.iter().zip(want) {
            assert_eq!((got.0, got.1), (want.0, want.1), "{top:?}");
            assert!(close(got.2, want.2, 1e-9), "{top:?}");
        }
        // The unanswered q8 is listed: 1 × 1/3.
        assert!(
            gains
                .iter()
                .any(|g| g.question_id == 8 && close(g.points, 1.0 / 3.0, 1e-9))
        );
        // The decrease group is reported on this year's count: 0.4 × 2/2.
        assert!(
            gains
                .iter()
                .any(|g| g.group_id == Some(3) && g.question_id == 103)
        );
        // Applying every gain reaches 100 (gains are independent here).
        let sum: f64 = gains.iter().map(|g| g.points).sum();
        assert!(close(
            score(&m, &mixed_answers(&m)).total + sum,
            100.0,
            1e-9
        ));
    }

    #[test]
    fn scoring_ignores_the_order_of_the_master_vectors() {
        let m = master_2026();
        let mut shuffled = m.clone();
        shuffled.nodes.reverse();
        shuffled.questions.reverse();
        shuffled.groups.reverse();
        shuffled.nodes.swap(0, 30);
        let answers = mixed_answers(&m);
        assert_eq!(score(&shuffled, &answers), score(&m, &answers));
        assert_eq!(potential(&shuffled, &answers), potential(&m, &answers));
    }

    #[test]
    fn sparse_question_ids_score_the_same() {
        // Ids far apart take the hash-map lookup instead of the dense table.
        let m = master_2026();
        let shift = |id: i64| if id > 100 { id * 1_000_000 } else { id };
        let mut sparse = m.clone();
        for q in &mut sparse.questions {
            q.id = shift(q.id);
        }
        for g in &mut sparse.groups {
            g.numerator.iter_mut().for_each(|id| *id = shift(*id));
            g.denominator.iter_mut().for_each(|id| *id = shift(*id));
        }
        let answers = mixed_answers(&m);
        let shifted: HashMap<i64, Answer> = answers
            .iter()
            .map(|(id, a)| (shift(*id), a.clone()))
            .collect();
        assert!(matches!(
            ScoringPlan::new(&sparse).lookup,
            IdLookup::Sparse(_)
        ));
        assert!(matches!(
            ScoringPlan::new(&m).lookup,
            IdLookup::Dense { .. }
        ));
        let (a, b) = (score(&m, &answers), score(&sparse, &shifted));
        assert_eq!(a.total, b.total);
        assert_eq!(a.nodes, b.nodes);
        assert_eq!(b.unanswered, vec![8]);
    }

    #[test]
    fn answers_for_unknown_questions_are_ignored() {
        let m = master_2026();
        let mut answers = best_answers(&m);
        answers.insert(0, Answer::Count(3));
        answers.insert(-5, Answer::Choice("A".into()));
        answers.insert(9_999, Answer::Index(2.0));
        assert!(close(score(&m, &answers).total, 100.0, 1e-9));
    }

    #[test]
    fn own_weight_and_mean_agree_for_a_lone_question() {
        // Node 37 holds only q92 (weight 1 = node weight): both rules give value × 1.
        let m = master_2026();
        let mut as_mean = m.clone();
        for q in as_mean.questions.iter_mut().filter(|q| q.id == 92) {
            q.weight = 0.0;
        }
        let answers = mixed_answers(&m);
        assert_eq!(
            score(&as_mean, &answers).nodes[&37],
            score(&m, &answers).nodes[&37]
        );
        assert_eq!(ScoringPlan::new(&m).max_points(92), Some(1.0));
        assert_eq!(ScoringPlan::new(&m).max_points(125), Some(17.5));
        assert_eq!(ScoringPlan::new(&m).max_points(88), Some(0.0));
    }
}
