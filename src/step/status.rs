//! The words of a step's progress and review, as types: stored as their snake_case
//! key, shown with their Indonesian label.

use std::fmt;

/// Where a step stands in a semester.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(rename_all = "snake_case")]
pub enum Status {
    Belum,
    Berjalan,
    Selesai,
    TidakDapat,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Belum,
        Status::Berjalan,
        Status::Selesai,
        Status::TidakDapat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Belum => "belum",
            Status::Berjalan => "berjalan",
            Status::Selesai => "selesai",
            Status::TidakDapat => "tidak_dapat",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Belum => "Belum dimulai",
            Status::Berjalan => "Sedang berjalan",
            Status::Selesai => "Selesai",
            Status::TidakDapat => "Tidak dapat dilaksanakan",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    /// Finished one way or another: nothing more is expected this semester.
    pub fn is_closed(self) -> bool {
        matches!(self, Status::Selesai | Status::TidakDapat)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reviewer's verdict on a progress version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(rename_all = "snake_case")]
pub enum Verdict {
    Diterima,
    Perbaikan,
}

impl Verdict {
    pub const ALL: [Verdict; 2] = [Verdict::Diterima, Verdict::Perbaikan];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Diterima => "diterima",
            Verdict::Perbaikan => "perbaikan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Diterima => "Diterima",
            Verdict::Perbaikan => "Perlu perbaikan",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The review column of a step: its verdict, "Belum direviu" when there is progress
/// to review, a dash when there is nothing yet.
pub fn verdict_label(verdict: Option<Verdict>, has_progress: bool) -> &'static str {
    match verdict {
        Some(v) => v.label(),
        None if has_progress => "Belum direviu",
        None => "—",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_labels_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(Status::parse("selesai "), Some(Status::Selesai));
        assert_eq!(Status::parse("Selesai"), None);
        assert_eq!(Verdict::parse(""), None);
        assert_eq!(Status::TidakDapat.label(), "Tidak dapat dilaksanakan");
        assert!(Status::TidakDapat.is_closed() && !Status::Berjalan.is_closed());
    }

    #[test]
    fn the_review_column_reads_as_people_expect() {
        assert_eq!(
            verdict_label(Some(Verdict::Perbaikan), true),
            "Perlu perbaikan"
        );
        assert_eq!(verdict_label(None, true), "Belum direviu");
        assert_eq!(verdict_label(None, false), "—");
    }
}
