//! ZI Tracker: tracks a work unit's Zona Integritas priority targets.
//!
//! `start` builds the whole app (config → pool → migrations → router) and binds its
//! listener; the binary and the integration tests both go through it.

pub mod account;
pub mod admin;
pub mod app;
pub mod assign;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod catalogue;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod fmt;
pub mod health;
pub mod identity;
pub mod instansi;
pub mod link_key;
pub mod links;
pub mod lke;
pub mod notify;
pub mod periods;
pub mod portalrb;
pub mod private_files;
pub mod random;
pub mod reports;
pub mod routes;
pub mod score;
pub mod serve;
pub mod state;
pub mod step;
pub mod tasks;
pub mod tenant;
pub mod units;
pub mod users;
pub mod web;

pub use app::{Running, router, shutdown_signal, start};
pub use config::Config;
pub use state::AppState;
