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

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::lke::model::{
    AnswerKind, LEVELS, Master, Node, Question, SchemeKey, canonical_node_order, default_groups_for,
};

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

/// What a parsed node tells its parent, for the parent's weight check.
struct Parsed {
    id: Option<i64>,
    weight: Option<f64>,
    position: Option<i64>,
    path: String,
}

#[derive(Default)]
struct Parser {
    problems: Vec<Problem>,
    nodes: Vec<Node>,
    questions: Vec<Question>,
    node_paths: HashMap<i64, String>,
    question_paths: HashMap<i64, String>,
    /// Every entry of every `soals` list, readable or not, for `total_soal`.
    soal_count: i64,
}

impl Parser {
    fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(o) => Some(o),
            other => {
                self.problem(
                    path,
                    format!("harus berupa objek, bukan {}", type_name(other)),
                );
                None
            }
        }
    }

    /// A required field; reports it missing.
    fn field<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'v Value> {
        let v = obj.get(key);
        if v.is_none() {
            self.problem(
                format!("{path}.{key}"),
                format!("kolom \"{key}\" wajib ada"),
            );
        }
        v
    }

    fn wrong_type(&mut self, key: &str, path: &str, want: &str, got: &Value) {
        self.problem(
            format!("{path}.{key}"),
            format!(
                "kolom \"{key}\" harus berupa {want}, bukan {}",
                type_name(got)
            ),
        );
    }

    fn int(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<i64> {
        let v = self.field(obj, key, path)?;
        let i = v.as_i64();
        if i.is_none() {
            self.wrong_type(key, path, "bilangan bulat", v);
        }
        i
    }

    fn opt_int(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<i64> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => {
                let i = v.as_i64();
                if i.is_none() {
                    self.wrong_type(key, path, "bilangan bulat", v);
                }
                i
            }
        }
    }

    fn text(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        let v = self.field(obj, key, path)?;
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.wrong_type(key, path, "teks", other);
                None
            }
        }
    }

    fn opt_text(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong_type(key, path, "teks", other);
                None
            }
        }
    }

    fn weight(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<f64> {
        let v = self.field(obj, key, path)?;
        match v.as_f64() {
            Some(x) if x >= 0.0 => Some(x),
            Some(x) => {
                self.problem(
                    format!("{path}.{key}"),
                    format!("bobot tidak boleh negatif ({})", fmt_num(x)),
                );
                None
            }
            None => {
                self.wrong_type(key, path, "angka", v);
                None
            }
        }
    }

    fn array<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'v Vec<Value>> {
        let v = self.field(obj, key, path)?;
        match v {
            Value::Array(a) => Some(a),
            other => {
                self.wrong_type(key, path, "daftar", other);
                None
            }
        }
    }

    /// Parses sibling nodes and returns what their parent needs to check weights.
    fn node_list(&mut self, list: &[Value], path: &str, parent: Option<i64>) -> Vec<Parsed> {
        let parsed: Vec<Parsed> = list
            .iter()
            .enumerate()
            .map(|(i, v)| self.node(v, &format!("{path}[{i}]"), parent))
            .collect();
        // Sibling order is order_index; two equal ones make the order (and the
        // Pemenuhan/Reform area pairing) ambiguous.
        let mut seen: HashMap<i64, &str> = HashMap::new();
        for c in &parsed {
            if let Some(pos) = c.position
                && let Some(first) = seen.insert(pos, &c.path)
            {
                let msg = format!("order_index {pos} sudah dipakai oleh {first}");
                self.problem(format!("{}.order_index", c.path), msg);
            }
        }
        parsed
    }

    fn node(&mut self, v: &Value, path: &str, parent: Option<i64>) -> Parsed {
        let mut out = Parsed {
            id: None,
            weight: None,
            position: None,
            path: path.to_owned(),
        };
        let Some(obj) = self.object(v, path) else {
            return out;
        };
        let id = self.int(obj, "id", path);
        let name = self.text(obj, "nama", path);
        let level = self.text(obj, "level", path);
        if let Some(l) = &level
            && !LEVELS.contains(&l.as_str())
        {
            self.problem(
                format!("{path}.level"),
                format!(
                    "level \"{l}\" tidak dikenal (harus salah satu dari: {})",
                    LEVELS.join(", ")
                ),
            );
        }
        let weight = self.weight(obj, "bobot_maksimal", path);
        let position = self.int(obj, "order_index", path);
        out.id = id;
        out.weight = weight;
        out.position = position;

        if let Some(id) = id {
            if let Some(first) = self.node_paths.get(&id) {
                let msg = format!("id node {id} sudah dipakai oleh {first}");
                self.problem(format!("{path}.id"), msg);
            } else {
                self.node_paths.insert(id, path.to_owned());
            }
        }

        let children_path = format!("{path}.children");
        let children = self
            .array(obj, "children", path)
            .map(|list| self.node_list(list, &children_path, id));
        let questions = match self.array(obj, "soals", path) {
            Some(list) => {
                self.soal_count += list.len() as i64;
                let soals_path = format!("{path}.soals");
                let parsed: Vec<Option<(f64, AnswerKind)>> = list
                    .iter()
                    .enumerate()
                    .map(|(i, q)| self.question(q, &format!("{soals_path}[{i}]"), id, i as i64 + 1))
                    .collect();
                Some(parsed)
            }
            None => None,
        };

        if let (Some(weight), Some(children)) = (weight, &children)
            && !children.is_empty()
        {
            let weights: Option<Vec<f64>> = children.iter().map(|c| c.weight).collect();
            if let Some(ws) = weights {
                let sum: f64 = ws.iter().sum();
                if (sum - weight).abs() > WEIGHT_EPS {
                    self.problem(
                        format!("{path}.bobot_maksimal"),
                        format!(
                            "bobot {} tidak sama dengan jumlah bobot anak-anaknya ({})",
                            fmt_num(weight),
                            fmt_num(sum)
                        ),
                    );
                }
            }
        }
        if let (Some(children), Some(questions)) = (&children, &questions) {
            self.check_leaf_questions(path, weight, children.is_empty(), questions);
        }

        if let (Some(id), Some(name), Some(level), Some(weight), Some(position)) =
            (id, name, level, weight, position)
        {
            let extra: Map<String, Value> = obj
                .iter()
                .filter(|(k, _)| !NODE_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.nodes.push(Node {
                id,
                parent_id: parent,
                level,
                name,
                weight,
                position,
                extra,
            });
        }
        out
    }

    /// Questions either all carry weight 0 (the node scores the mean of their
    /// values × its weight) or all carry their own weight adding up to the
    /// node's weight; only nodes without children may hold questions.
    fn check_leaf_questions(
        &mut self,
        path: &str,
        weight: Option<f64>,
        leaf: bool,
        questions: &[Option<(f64, AnswerKind)>],
    ) {
        if !leaf {
            if !questions.is_empty() {
                self.problem(
                    format!("{path}.soals"),
                    "node yang mempunyai anak tidak boleh memuat soal (nilainya tidak akan dihitung)",
                );
            }
            return;
        }
        if questions.is_empty() {
            if weight.is_some_and(|w| w > 0.0) {
                self.problem(
                    format!("{path}.soals"),
                    "node berbobot tanpa anak dan tanpa soal tidak akan pernah mendapat nilai",
                );
            }
            return;
        }
        let mut own = 0.0;
        let mut weighted = 0usize;
        for (i, q) in questions.iter().enumerate() {
            let Some((w, kind)) = *q else {
                return; // already reported; no reliable sum
            };
            if w != 0.0 {
                weighted += 1;
                own += w;
                if kind == AnswerKind::Count {
                    self.problem(
                        format!("{path}.soals[{i}].bobot_maksimal"),
                        "soal Jumlah tidak mempunyai nilai sendiri, jadi bobotnya harus 0",
                    );
                }
            }
        }
        if weighted == 0 {
            return;
        }
        if weighted < questions.len() {
            self.problem(
                format!("{path}.soals"),
                "bobot soal harus 0 semua (nilai rata-rata) atau terisi semua (bobot sendiri), bukan campuran",
            );
        }
        if let Some(w) = weight
            && (own - w).abs() > WEIGHT_EPS
        {
            self.problem(
                format!("{path}.bobot_maksimal"),
                format!(
                    "bobot {} tidak sama dengan jumlah bobot soal-soalnya ({})",
                    fmt_num(w),
                    fmt_num(own)
                ),
            );
        }
    }

    /// Returns the question's weight and kind when both could be read.
    fn question(
        &mut self,
        v: &Value,
        path: &str,
        node_id: Option<i64>,
        position: i64,
    ) -> Option<(f64, AnswerKind)> {
        let obj = self.object(v, path)?;
        let id = self.int(obj, "id", path);
        let text = self.text(obj, "teks_pertanyaan", path);
        let criteria = self.text(obj, "kriteria_nilai", path);
        let raw = self.text(obj, "jenis_jawaban", path);
        let kind = raw.as_deref().and_then(|r| {
            let kind = AnswerKind::from_raw(r);
            if kind.is_none() {
                self.problem(
                    format!("{path}.jenis_jawaban"),
                    format!(
                        "jenis jawaban \"{r}\" tidak dikenal (yang dikenal: YA_TIDAK, ABC, ABCD, ABCDE, Jumlah, 0-4)"
                    ),
                );
            }
            kind
        });
        let weight = self.weight(obj, "bobot_maksimal", path);
        let scheme = self.scheme(obj, path, kind);
        let excel_sheet = self.text(obj, "excel_sheet", path);
        let excel_row = self.int(obj, "excel_baris", path);
        let col_unit_answer = self.text(obj, "excel_kolom_jawaban_unit", path);
        let col_tpi_answer = self.text(obj, "excel_kolom_jawaban_tpi", path);
        let col_unit_note = self.text(obj, "excel_kolom_catatan_unit", path);
        let col_unit_evidence = self.text(obj, "excel_kolom_bukti_dukung_unit", path);
        let col_tpi_note = self.text(obj, "excel_kolom_catatan_tpi", path);

        if let Some(id) = id {
            if let Some(first) = self.question_paths.get(&id) {
                let msg = format!("id soal {id} sudah dipakai oleh {first}");
                self.problem(format!("{path}.id"), msg);
            } else {
                self.question_paths.insert(id, path.to_owned());
            }
        }

        let extra: Map<String, Value> = obj
            .iter()
            .filter(|(k, _)| !QUESTION_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let (
            Some(id),
            Some(node_id),
            Some(text),
            Some(criteria),
            Some(answer_type_raw),
            Some(kind),
            Some(weight),
            Some(scheme),
            Some(excel_sheet),
            Some(excel_row),
            Some(col_unit_answer),
            Some(col_tpi_answer),
            Some(col_unit_note),
            Some(col_unit_evidence),
            Some(col_tpi_note),
        ) = (
            id,
            node_id,
            text,
            criteria,
            raw,
            kind,
            weight,
            scheme,
            excel_sheet,
            excel_row,
            col_unit_answer,
            col_tpi_answer,
            col_unit_note,
            col_unit_evidence,
            col_tpi_note,
        ) {
            self.questions.push(Question {
                id,
                node_id,
                position,
                text,
                criteria,
                answer_type_raw,
                kind,
                weight,
                scheme,
                excel_sheet,
                excel_row,
                col_unit_answer,
                col_unit_note,
                col_unit_evidence,
                col_tpi_answer,
                col_tpi_note,
                extra,
            });
        }
        Some((weight?, kind?))
    }

    fn scheme(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        kind: Option<AnswerKind>,
    ) -> Option<Vec<SchemeKey>> {
        let list = self.array(obj, "skema_penilaian", path)?;
        let spath = format!("{path}.skema_penilaian");
        if list.is_empty() && kind.is_some_and(AnswerKind::is_choice) {
            self.problem(
                spath.clone(),
                "skema penilaian wajib ada untuk jawaban pilihan (kunci dan pengalinya)",
            );
        }
        let mut out = Vec::with_capacity(list.len());
        let mut ok = true;
        let mut seen: Vec<String> = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let ipath = format!("{spath}[{i}]");
            let Some(o) = self.object(item, &ipath) else {
                ok = false;
                continue;
            };
            let key = self.text(o, "key", &ipath);
            let label = self.text(o, "label", &ipath);
            let multiplier = match self.field(o, "multiplier", &ipath) {
                Some(v) => match v.as_f64() {
                    Some(m) if (0.0..=1.0).contains(&m) => Some(m),
                    Some(m) => {
                        self.problem(
                            format!("{ipath}.multiplier"),
                            format!("pengali harus antara 0 dan 1, bukan {}", fmt_num(m)),
                        );
                        None
                    }
                    None => {
                        self.wrong_type("multiplier", &ipath, "angka", v);
                        None
                    }
                },
                None => None,
            };
            if let Some(k) = &key {
                // Answers are matched ignoring case, so keys must differ beyond case.
                let folded = k.trim().to_lowercase();
                if folded.is_empty() {
                    self.problem(format!("{ipath}.key"), "kunci jawaban tidak boleh kosong");
                } else if seen.contains(&folded) {
                    self.problem(
                        format!("{ipath}.key"),
                        format!("kunci \"{k}\" muncul dua kali"),
                    );
                } else {
                    seen.push(folded);
                }
            }
            match (key, label, multiplier) {
                (Some(key), Some(label), Some(multiplier)) => out.push(SchemeKey {
                    key,
                    label,
                    multiplier,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}

/// Writes a master back in PortalRB's format: same key names and order,
/// `order_index`, the raw `jenis_jawaban` spelling and the extra keys.
/// Whole-number weights and multipliers are written as JSON integers, as
/// PortalRB writes them, so the 2026 file comes back equal as a JSON value.
pub fn export_master(master: &Master) -> Value {
    let order = canonical_node_order(&master.nodes);
    let mut by_parent: HashMap<Option<i64>, Vec<&Node>> = HashMap::new();
    for &i in &order {
        let n = &master.nodes[i];
        by_parent.entry(n.parent_id).or_default().push(n);
    }
    let mut by_node: HashMap<i64, Vec<&Question>> = HashMap::new();
    for q in &master.questions {
        by_node.entry(q.node_id).or_default().push(q);
    }
    for list in by_node.values_mut() {
        list.sort_by_key(|q| (q.position, q.id));
    }

    let mut top = Map::new();
    top.insert("tahun".into(), master.year.into());
    if let Some(t) = master.total_soal {
        top.insert("total_soal".into(), t.into());
    }
    if let Some(g) = &master.generated_at {
        top.insert("generated_at".into(), g.clone().into());
    }
    top.insert("data".into(), export_nodes(None, &by_parent, &by_node));
    Value::Object(top)
}

fn export_nodes(
    parent: Option<i64>,
    by_parent: &HashMap<Option<i64>, Vec<&Node>>,
    by_node: &HashMap<i64, Vec<&Question>>,
) -> Value {
    let Some(nodes) = by_parent.get(&parent) else {
        return Value::Array(Vec::new());
    };
    let list = nodes
        .iter()
        .map(|n| {
            let mut o = Map::new();
            o.insert("id".into(), n.id.into());
            o.insert("nama".into(), n.name.clone().into());
            o.insert("level".into(), n.level.clone().into());
            o.insert("bobot_maksimal".into(), number(n.weight));
            o.insert("order_index".into(), n.position.into());
            o.insert(
                "children".into(),
                export_nodes(Some(n.id), by_parent, by_node),
            );
            let soals = by_node
                .get(&n.id)
                .map(|qs| qs.iter().map(|q| export_question(q)).collect())
                .unwrap_or_default();
            o.insert("soals".into(), Value::Array(soals));
            add_extra(&mut o, &n.extra);
            Value::Object(o)
        })
        .collect();
    Value::Array(list)
}

fn export_question(q: &Question) -> Value {
    let scheme = q
        .scheme
        .iter()
        .map(|s| {
            let mut o = Map::new();
            o.insert("key".into(), s.key.clone().into());
            o.insert("label".into(), s.label.clone().into());
            o.insert("multiplier".into(), number(s.multiplier));
            Value::Object(o)
        })
        .collect();
    let mut o = Map::new();
    o.insert("id".into(), q.id.into());
    o.insert("teks_pertanyaan".into(), q.text.clone().into());
    o.insert("kriteria_nilai".into(), q.criteria.clone().into());
    o.insert("jenis_jawaban".into(), q.answer_type_raw.clone().into());
    o.insert("bobot_maksimal".into(), number(q.weight));
    o.insert("skema_penilaian".into(), Value::Array(scheme));
    o.insert("excel_sheet".into(), q.excel_sheet.clone().into());
    o.insert("excel_baris".into(), q.excel_row.into());
    o.insert(
        "excel_kolom_jawaban_unit".into(),
        q.col_unit_answer.clone().into(),
    );
    o.insert(
        "excel_kolom_jawaban_tpi".into(),
        q.col_tpi_answer.clone().into(),
    );
    o.insert(
        "excel_kolom_catatan_unit".into(),
        q.col_unit_note.clone().into(),
    );
    o.insert(
        "excel_kolom_bukti_dukung_unit".into(),
        q.col_unit_evidence.clone().into(),
    );
    o.insert(
        "excel_kolom_catatan_tpi".into(),
        q.col_tpi_note.clone().into(),
    );
    add_extra(&mut o, &q.extra);
    Value::Object(o)
}

/// Extra keys never override the known ones.
fn add_extra(o: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        o.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// Whole numbers as JSON integers (serde_json tells 60 and 60.0 apart).
fn number(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const MASTER_2026: &str = include_str!("../../tests/data/lke-2026-master.json");

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
