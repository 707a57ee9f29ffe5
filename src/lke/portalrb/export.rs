//! Writing a master back in PortalRB's format.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::lke::model::{Master, Node, Question, canonical_node_order};

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

pub(crate) fn export_nodes(
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

pub(crate) fn export_question(q: &Question) -> Value {
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
pub(crate) fn add_extra(o: &mut Map<String, Value>, extra: &Map<String, Value>) {
    for (k, v) in extra {
        o.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// Whole numbers as JSON integers (serde_json tells 60 and 60.0 apart).
pub(crate) fn number(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}
