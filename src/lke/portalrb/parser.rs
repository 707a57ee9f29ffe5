//! Reading a master: every problem reported with its JSON path.

use super::*;

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::lke::model::{AnswerKind, LEVELS, Node, Question, SchemeKey};

/// What a parsed node tells its parent, for the parent's weight check.
pub(crate) struct Parsed {
    id: Option<i64>,
    weight: Option<f64>,
    position: Option<i64>,
    path: String,
}

#[derive(Default)]
pub(crate) struct Parser {
    pub(crate) problems: Vec<Problem>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) questions: Vec<Question>,
    node_paths: HashMap<i64, String>,
    question_paths: HashMap<i64, String>,
    /// Every entry of every `soals` list, readable or not, for `total_soal`.
    pub(crate) soal_count: i64,
}

impl Parser {
    pub(crate) fn problem(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    pub(crate) fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
    ) -> Option<&'v Map<String, Value>> {
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

    pub(crate) fn int(&mut self, obj: &Map<String, Value>, key: &str, path: &str) -> Option<i64> {
        let v = self.field(obj, key, path)?;
        let i = v.as_i64();
        if i.is_none() {
            self.wrong_type(key, path, "bilangan bulat", v);
        }
        i
    }

    pub(crate) fn opt_int(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<i64> {
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

    pub(crate) fn opt_text(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
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

    pub(crate) fn array<'v>(
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
    pub(crate) fn node_list(
        &mut self,
        list: &[Value],
        path: &str,
        parent: Option<i64>,
    ) -> Vec<Parsed> {
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
