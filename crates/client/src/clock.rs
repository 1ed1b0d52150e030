//! The one source of "now" for the desktop brain.

use std::sync::Arc;

use chrono::{DateTime, Utc};

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system clock, at the millisecond precision that everything is stored with.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("now fits")
        }))
    }

    /// Any source of time: a device clock that is off by hours, a scripted clock in a test.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}
