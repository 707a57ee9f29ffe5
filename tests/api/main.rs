//! Integration tests: the real server on port 0, a real SQLite file in a temporary
//! folder, spoken to over HTTP.

mod access;
mod auth;
mod catalogue;
mod crash;
mod daily;
mod dashboard;
mod e2e;
mod guards;
mod hardening;
mod hardening_accounts;
mod hardening_links;
mod hardening_net;
mod hardening_units;
mod helpers;
mod lke;
mod lke_pages;
mod lke_work;
mod notify;
mod ops;
mod portalrb;
mod progress;
mod reports;
mod review_loop;
mod targets;
mod tenancy;
mod upgrade;
mod users;
mod write_checks;
