//! Reporting periods: a target year and a semester (I = Jan–Jun, II = Jul–Dec), the
//! default period, the period selector, and each period's reporting deadline.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::SqlitePool;

use crate::error::{AppError, AppResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i64,
    pub semester: i64,
}

impl Period {
    pub fn new(year: i64, semester: i64) -> Self {
        Self { year, semester }
    }

    /// "Semester II 2021".
    pub fn label(&self) -> String {
        format!("Semester {} {}", self.semester_numeral(), self.year)
    }

    pub fn semester_numeral(&self) -> &'static str {
        if self.semester == 1 { "I" } else { "II" }
    }

    /// The value in links and forms: "2021-2".
    pub fn key(&self) -> String {
        format!("{}-{}", self.year, self.semester)
    }

    pub fn parse_key(s: &str) -> Option<Period> {
        let (y, s) = s.trim().split_once('-')?;
        let year = y.parse::<i64>().ok()?;
        let semester = s.parse::<i64>().ok()?;
        (matches!(semester, 1 | 2) && (2000..=2100).contains(&year))
            .then_some(Period { year, semester })
    }

    /// The semester before this one (it may lie in a year without targets).
    pub fn previous(&self) -> Period {
        if self.semester == 2 {
            Period::new(self.year, 1)
        } else {
            Period::new(self.year - 1, 2)
        }
    }

    pub fn first_day(&self) -> NaiveDate {
        let month = if self.semester == 1 { 1 } else { 7 };
        NaiveDate::from_ymd_opt(self.year as i32, month, 1).expect("valid date")
    }

    pub fn last_day(&self) -> NaiveDate {
        let (m, d) = if self.semester == 1 {
            (6, 30)
        } else {
            (12, 31)
        };
        NaiveDate::from_ymd_opt(self.year as i32, m, d).expect("valid date")
    }

    /// "1 Juli – 31 Desember 2021".
    pub fn span_label(&self) -> String {
        let first = crate::fmt::date_id(self.first_day());
        let first = first
            .trim_end_matches(&format!(" {}", self.year))
            .to_string();
        format!("{first} – {}", crate::fmt::date_id(self.last_day()))
    }
}

/// The years a unit has targets for, newest first.
pub async fn target_years(db: &SqlitePool, unit: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT year FROM target_years WHERE unit_id = ? ORDER BY year DESC")
        .bind(unit)
        .fetch_all(db)
        .await
}

/// Today in the unit's time zone.
pub fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Jakarta)
        .date_naive()
}

/// Today's semester when its year has targets, otherwise the last semester of the
/// most recent target year; `None` without any targets. `years` newest first.
pub fn default_in(years: &[i64], today: NaiveDate) -> Option<Period> {
    let year = today.year() as i64;
    if years.contains(&year) {
        return Some(Period::new(year, if today.month() <= 6 { 1 } else { 2 }));
    }
    years.iter().max().map(|y| Period::new(*y, 2))
}

pub async fn default_period(db: &SqlitePool, unit: i64) -> sqlx::Result<Option<Period>> {
    let years = crate::periods::target_years(db, unit).await?;
    Ok(default_in(&years, today()))
}

/// All periods of the given years (newest first).
pub fn periods_of(years: &[i64]) -> Vec<Period> {
    years
        .iter()
        .flat_map(|&y| [Period::new(y, 2), Period::new(y, 1)])
        .collect()
}

pub async fn all(db: &SqlitePool, unit: i64) -> sqlx::Result<Vec<Period>> {
    Ok(periods_of(&crate::periods::target_years(db, unit).await?))
}

/// The period asked for (`?periode=2021-2`) among the target years, or the default
/// one. A period outside the target years is a 404 with a clear message.
pub fn resolve_in(years: &[i64], asked: Option<&str>) -> AppResult<Period> {
    match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let p = Period::parse_key(raw).ok_or_else(|| {
                AppError::NotFoundWith(format!(
                    "Periode \"{}\" tidak dikenal. Pilih periode dari daftar.",
                    raw.chars().take(20).collect::<String>()
                ))
            })?;
            if !years.contains(&p.year) {
                return Err(AppError::NotFoundWith(format!(
                    "Tidak ada target untuk tahun {}, jadi periode {} tidak ada.",
                    p.year,
                    p.label()
                )));
            }
            Ok(p)
        }
        None => default_in(years, today())
            .ok_or_else(|| AppError::NotFoundWith("Belum ada tahun target sama sekali.".into())),
    }
}

pub async fn resolve(db: &SqlitePool, unit: i64, asked: Option<&str>) -> AppResult<Period> {
    resolve_in(&crate::periods::target_years(db, unit).await?, asked)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PeriodQuery {
    pub periode: Option<String>,
}

/// The period selector of a page.
pub struct PeriodChoice {
    pub current: Period,
    pub options: Vec<PeriodOption>,
}

pub struct PeriodOption {
    pub key: String,
    pub label: String,
    pub selected: bool,
}

impl PeriodChoice {
    pub async fn load(db: &SqlitePool, unit: i64, current: Period) -> sqlx::Result<Self> {
        Ok(Self::from_periods(current, all(db, unit).await?))
    }

    pub fn from_periods(current: Period, periods: Vec<Period>) -> Self {
        PeriodChoice {
            current,
            options: periods
                .into_iter()
                .map(|p| PeriodOption {
                    key: p.key(),
                    label: p.label(),
                    selected: p == current,
                })
                .collect(),
        }
    }
}

/// The unit's deadline of a period, else the instansi's default for it.
pub async fn deadline(db: &SqlitePool, unit: i64, p: Period) -> sqlx::Result<Option<NaiveDate>> {
    let raw: Option<String> = sqlx::query_scalar(
        "SELECT deadline FROM period_deadlines
         WHERE (unit_id = ? OR unit_id IS NULL) AND year = ? AND semester = ?
         ORDER BY unit_id IS NULL LIMIT 1",
    )
    .bind(unit)
    .bind(p.year)
    .bind(p.semester)
    .fetch_optional(db)
    .await?;
    Ok(raw.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
}

/// The deadline of each period for each of `units`: the unit's own, else the
/// instansi's default (as `deadline` for one); `only` narrows it to one period.
pub async fn deadlines_of(
    db: &SqlitePool,
    units: &[i64],
    only: Option<Period>,
) -> sqlx::Result<std::collections::HashMap<(i64, Period), NaiveDate>> {
    let rows: Vec<(Option<i64>, i64, i64, String)> = sqlx::query_as(
        "SELECT unit_id, year, semester, deadline FROM period_deadlines
         WHERE ?1 IS NULL OR (year = ?1 AND semester = ?2)
         ORDER BY unit_id IS NOT NULL",
    )
    .bind(only.map(|p| p.year))
    .bind(only.map(|p| p.semester))
    .fetch_all(db)
    .await?;
    let mut of = std::collections::HashMap::new();
    // defaults come first, so a unit's own deadline overwrites its default
    for (unit, year, semester, raw) in rows {
        let Ok(date) = NaiveDate::parse_from_str(&raw, "%Y-%m-%d") else {
            continue;
        };
        let period = Period::new(year, semester);
        match unit {
            Some(u) if units.contains(&u) => {
                of.insert((u, period), date);
            }
            Some(_) => {}
            None => {
                for u in units {
                    of.insert((*u, period), date);
                }
            }
        }
    }
    Ok(of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let p = Period::parse_key("2021-2").unwrap();
        assert_eq!(p.label(), "Semester II 2021");
        assert_eq!(p.previous(), Period::new(2021, 1));
        assert_eq!(Period::new(2021, 1).previous(), Period::new(2020, 2));
        assert_eq!(p.span_label(), "1 Juli – 31 Desember 2021");
        assert!(Period::parse_key("2021-3").is_none());
        assert!(Period::parse_key("abc").is_none());
    }
}
