//! The time the scheduled work (reminders, digests, link expiry) goes by. The server
//! reads the system clock; tests set and move a manual one instead of waiting days.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Unix seconds of a manual clock; `None` reads the system clock.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(at.timestamp()))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(s) => DateTime::from_timestamp(s.load(Ordering::SeqCst), 0).unwrap_or_default(),
            None => Utc::now(),
        }
    }

    pub fn unix(&self) -> i64 {
        self.now().timestamp()
    }

    /// Moves a manual clock; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(s) = &self.manual {
            s.store(at.timestamp(), Ordering::SeqCst);
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Some(s) = &self.manual {
            s.fetch_add(by.num_seconds(), Ordering::SeqCst);
        }
    }

    /// Today's date in Asia/Jakarta.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Asia::Jakarta)
            .date_naive()
    }
}
