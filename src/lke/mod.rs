//! The LKE of PermenPAN-RB 90/2021 as data: each year's master (PortalRB's format,
//! stored in tables; the running program never reads the JSON), the answers of the
//! unit and of its TPI, the official score and WBK/WBBM readiness. The pure rules live
//! in `model`, `portalrb`, `answer`, `score` and `readiness`; `store` reads and writes
//! them.

pub mod answer;
pub mod cli;
pub mod model;
pub mod portalrb;
pub mod readiness;
pub mod score;
pub mod store;
