//! Answers as typed by people or sent by PortalRB, checked against a question.

use serde::Serialize;

use crate::lke::model::{AnswerKind, Question};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Answer {
    /// A key of the question's scheme, spelled as in the scheme ("A", "Ya").
    Choice(String),
    /// A whole number ≥ 0 feeding a count group.
    Count(i64),
    /// A survey index from 0 to 4 with at most two decimals.
    Index(f64),
}

impl Answer {
    /// The form PortalRB expects (`jawaban_unit`, `jawaban_tpi`): the scheme
    /// key, a count as an integer, an index with a decimal point and at most
    /// two decimals, trailing zeros dropped ("3.6", "3").
    pub fn to_portal_string(&self) -> String {
        match self {
            Answer::Choice(key) => key.clone(),
            Answer::Count(n) => n.to_string(),
            Answer::Index(x) => index_string(*x, '.'),
        }
    }

    /// For people reading Indonesian: decimal comma, thousands with a point.
    pub fn display(&self) -> String {
        match self {
            Answer::Choice(key) => key.clone(),
            Answer::Count(n) => group_thousands(*n),
            Answer::Index(x) => index_string(*x, ','),
        }
    }
}

fn index_string(x: f64, point: char) -> String {
    // Hundredths as an integer so 3.6 never prints as 3.5999….
    let h = (x * 100.0).round() as i64;
    let sign = if h < 0 { "-" } else { "" };
    let (whole, frac) = (h.unsigned_abs() / 100, h.unsigned_abs() % 100);
    match frac {
        0 => format!("{sign}{whole}"),
        f if f % 10 == 0 => format!("{sign}{whole}{point}{}", f / 10),
        f => format!("{sign}{whole}{point}{f:02}"),
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Reads `raw` as an answer to `q`. Errors are Indonesian and say what is expected.
pub fn parse_answer(q: &Question, raw: &str) -> Result<Answer, String> {
    let s = raw.trim();
    match q.kind {
        AnswerKind::Count => parse_count(s).map(Answer::Count),
        AnswerKind::Index04 => parse_index(s).map(Answer::Index),
        kind => parse_choice(q, kind, s).map(Answer::Choice),
    }
}

fn type_name(kind: AnswerKind) -> &'static str {
    match kind {
        AnswerKind::YaTidak => "Ya/Tidak",
        AnswerKind::Abc => "ABC",
        AnswerKind::Abcd => "ABCD",
        AnswerKind::Abcde => "ABCDE",
        AnswerKind::Count => "Jumlah",
        AnswerKind::Index04 => "indeks 0–4",
    }
}

/// "A, B, atau C"; "Ya atau Tidak".
fn options(keys: &[&str]) -> String {
    match keys {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} atau {b}"),
        [init @ .., last] => format!("{}, atau {last}", init.join(", ")),
    }
}

fn parse_choice(q: &Question, kind: AnswerKind, s: &str) -> Result<String, String> {
    let keys: Vec<&str> = q.scheme.iter().map(|k| k.key.as_str()).collect();
    if keys.is_empty() {
        return Err("Soal ini belum mempunyai skema penilaian".to_owned());
    }
    if s.is_empty() {
        return Err(format!("Jawaban kosong; pilih {}", options(&keys)));
    }
    let wanted = s.to_lowercase();
    keys.iter()
        .find(|k| k.trim().to_lowercase() == wanted)
        .map(|k| (*k).to_owned())
        .ok_or_else(|| {
            format!(
                "\"{s}\" bukan jawaban {} (pilih {})",
                type_name(kind),
                options(&keys)
            )
        })
}

const COUNT_HINT: &str = "isi bilangan bulat 0 atau lebih, mis. 12";

fn parse_count(s: &str) -> Result<i64, String> {
    if s.is_empty() {
        return Err(format!("Jumlah kosong; {COUNT_HINT}"));
    }
    if s.starts_with('-') {
        return Err(format!(
            "\"{s}\" tidak diterima: jumlah tidak boleh negatif; {COUNT_HINT}"
        ));
    }
    if s.starts_with('+') {
        return Err(format!(
            "\"{s}\" tidak diterima: tulis tanpa tanda +; {COUNT_HINT}"
        ));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|_| format!("\"{s}\" terlalu besar untuk sebuah jumlah"));
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let only = |extra: &[char]| s.chars().all(|c| c.is_ascii_digit() || extra.contains(&c));
    if looks_like_thousands(s) {
        // "1.000" is a thousand in Indonesian writing but one elsewhere; guessing
        // would silently change a percentage, so the writer must drop the separator.
        return Err(format!(
            "\"{s}\" tidak diterima: titik atau koma bisa berarti pemisah ribuan atau desimal, \
             jadi tulis jumlahnya tanpa pemisah, mis. {digits}"
        ));
    }
    if only(&['.', ',']) && !digits.is_empty() {
        return Err(format!(
            "\"{s}\" bukan bilangan bulat: jumlah dihitung per satuan, tanpa desimal; {COUNT_HINT}"
        ));
    }
    if only(&[' ', '\u{a0}']) && !digits.is_empty() {
        return Err(format!(
            "\"{s}\" tidak diterima: tulis angkanya tanpa spasi, mis. {digits}"
        ));
    }
    Err(format!("\"{s}\" bukan angka; {COUNT_HINT}"))
}

/// "1.000", "12,500", "1.000.000": groups of three digits after a separator.
fn looks_like_thousands(s: &str) -> bool {
    let sep = if s.contains('.') { '.' } else { ',' };
    let mut parts = s.split(sep);
    let Some(head) = parts.next() else {
        return false;
    };
    let head_ok = (1..=3).contains(&head.len()) && head.bytes().all(|b| b.is_ascii_digit());
    let mut tail = parts.peekable();
    head_ok
        && tail.peek().is_some()
        && tail.all(|p| p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

const INDEX_HINT: &str = "isi angka 0 sampai 4 dengan paling banyak dua desimal, mis. 3,60";

fn parse_index(s: &str) -> Result<f64, String> {
    if s.is_empty() {
        return Err(format!("Indeks kosong; {INDEX_HINT}"));
    }
    if s.starts_with('-') {
        return Err(format!(
            "\"{s}\" tidak diterima: indeks tidak boleh negatif; {INDEX_HINT}"
        ));
    }
    let (whole, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || frac.is_some_and(|f| !all_digits(f)) {
        return Err(format!("\"{s}\" bukan angka; {INDEX_HINT}"));
    }
    let frac = frac.unwrap_or("");
    if frac.len() > 2 {
        return Err(format!(
            "\"{s}\" punya lebih dari dua desimal; {INDEX_HINT}"
        ));
    }
    let out_of_range = || format!("\"{s}\" di luar rentang: indeks survei antara 0 dan 4");
    let whole: i64 = whole.parse().map_err(|_| out_of_range())?;
    let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    let hundredths = whole.checked_mul(100).ok_or_else(out_of_range)? + frac;
    if hundredths > 400 {
        return Err(out_of_range());
    }
    // Dividing the exact integer gives the same double as the literal "3.6".
    Ok(hundredths as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lke::portalrb::tests::master_2026;

    #[test]
    fn answers_parse_or_explain_why_not() {
        let m = master_2026();
        let q = |id| m.question(id).expect("question").clone();
        let (ya_tidak, abc, abcd, abcde, count, index) = (q(1), q(2), q(6), q(14), q(88), q(125));
        let ok = |a: Answer| Ok::<Answer, String>(a);
        let choice = |k: &str| ok(Answer::Choice(k.to_owned()));
        let err = |m: &str| Err::<Answer, String>(m.to_owned());
        let cases: Vec<(&Question, &str, Result<Answer, String>)> = vec![
            (&ya_tidak, "Ya", choice("Ya")),
            (&ya_tidak, "ya", choice("Ya")),
            (&ya_tidak, " TIDAK ", choice("Tidak")),
            (
                &ya_tidak,
                "Mungkin",
                err("\"Mungkin\" bukan jawaban Ya/Tidak (pilih Ya atau Tidak)"),
            ),
            (&ya_tidak, "", err("Jawaban kosong; pilih Ya atau Tidak")),
            (&abc, "a", choice("A")),
            (&abc, "C", choice("C")),
            (
                &abc,
                "D",
                err("\"D\" bukan jawaban ABC (pilih A, B, atau C)"),
            ),
            (&abcd, "d", choice("D")),
            (
                &abcd,
                "E",
                err("\"E\" bukan jawaban ABCD (pilih A, B, C, atau D)"),
            ),
            (&abcde, "e", choice("E")),
            (
                &abcde,
                "F",
                err("\"F\" bukan jawaban ABCDE (pilih A, B, C, D, atau E)"),
            ),
            (
                &abcde,
                "A.",
                err("\"A.\" bukan jawaban ABCDE (pilih A, B, C, D, atau E)"),
            ),
            (&count, "12", ok(Answer::Count(12))),
            (&count, " 0 ", ok(Answer::Count(0))),
            (&count, "007", ok(Answer::Count(7))),
            (
                &count,
                "1.000",
                err(
                    "\"1.000\" tidak diterima: titik atau koma bisa berarti pemisah ribuan atau desimal, jadi tulis jumlahnya tanpa pemisah, mis. 1000",
                ),
            ),
            (
                &count,
                "12,500",
                err(
                    "\"12,500\" tidak diterima: titik atau koma bisa berarti pemisah ribuan atau desimal, jadi tulis jumlahnya tanpa pemisah, mis. 12500",
                ),
            ),
            (
                &count,
                "2,5",
                err(
                    "\"2,5\" bukan bilangan bulat: jumlah dihitung per satuan, tanpa desimal; isi bilangan bulat 0 atau lebih, mis. 12",
                ),
            ),
            (
                &count,
                "-3",
                err(
                    "\"-3\" tidak diterima: jumlah tidak boleh negatif; isi bilangan bulat 0 atau lebih, mis. 12",
                ),
            ),
            (
                &count,
                "+3",
                err(
                    "\"+3\" tidak diterima: tulis tanpa tanda +; isi bilangan bulat 0 atau lebih, mis. 12",
                ),
            ),
            (
                &count,
                "1 000",
                err("\"1 000\" tidak diterima: tulis angkanya tanpa spasi, mis. 1000"),
            ),
            (
                &count,
                "dua",
                err("\"dua\" bukan angka; isi bilangan bulat 0 atau lebih, mis. 12"),
            ),
            (
                &count,
                "",
                err("Jumlah kosong; isi bilangan bulat 0 atau lebih, mis. 12"),
            ),
            (
                &count,
                "99999999999999999999",
                err("\"99999999999999999999\" terlalu besar untuk sebuah jumlah"),
            ),
            (&index, "3,6", ok(Answer::Index(3.6))),
            (&index, "3.6", ok(Answer::Index(3.6))),
            (&index, " 3,25 ", ok(Answer::Index(3.25))),
            (&index, "4", ok(Answer::Index(4.0))),
            (&index, "0", ok(Answer::Index(0.0))),
            (&index, "4,00", ok(Answer::Index(4.0))),
            (
                &index,
                "4,01",
                err("\"4,01\" di luar rentang: indeks survei antara 0 dan 4"),
            ),
            (
                &index,
                "5",
                err("\"5\" di luar rentang: indeks survei antara 0 dan 4"),
            ),
            (
                &index,
                "3,456",
                err(
                    "\"3,456\" punya lebih dari dua desimal; isi angka 0 sampai 4 dengan paling banyak dua desimal, mis. 3,60",
                ),
            ),
            (
                &index,
                "-1",
                err(
                    "\"-1\" tidak diterima: indeks tidak boleh negatif; isi angka 0 sampai 4 dengan paling banyak dua desimal, mis. 3,60",
                ),
            ),
            (
                &index,
                "3,",
                err(
                    "\"3,\" bukan angka; isi angka 0 sampai 4 dengan paling banyak dua desimal, mis. 3,60",
                ),
            ),
            (
                &index,
                "tiga",
                err(
                    "\"tiga\" bukan angka; isi angka 0 sampai 4 dengan paling banyak dua desimal, mis. 3,60",
                ),
            ),
            (
                &index,
                "",
                err(
                    "Indeks kosong; isi angka 0 sampai 4 dengan paling banyak dua desimal, mis. 3,60",
                ),
            ),
        ];
        for (q, raw, want) in cases {
            assert_eq!(
                parse_answer(q, raw),
                want,
                "question {} input {raw:?}",
                q.id
            );
        }
    }

    #[test]
    fn answers_print_canonically() {
        let cases = [
            (Answer::Choice("Ya".into()), "Ya", "Ya"),
            (Answer::Count(12), "12", "12"),
            (Answer::Count(1250), "1250", "1.250"),
            (Answer::Count(1_000_000), "1000000", "1.000.000"),
            (Answer::Index(3.6), "3.6", "3,6"),
            (Answer::Index(3.0), "3", "3"),
            (Answer::Index(3.25), "3.25", "3,25"),
            (Answer::Index(3.05), "3.05", "3,05"),
        ];
        for (a, portal, shown) in cases {
            assert_eq!(a.to_portal_string(), portal);
            assert_eq!(a.display(), shown);
        }
        // What we send reads back as the same answer.
        let m = master_2026();
        let ipak = m.question(125).expect("q125");
        for x in ["0", "0,01", "3,6", "3,99", "4"] {
            let a = parse_answer(ipak, x).expect("valid");
            assert_eq!(parse_answer(ipak, &a.to_portal_string()), Ok(a));
        }
    }
}
