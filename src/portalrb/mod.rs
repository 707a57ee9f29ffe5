//! Handing the LKE to KemenPAN-RB's PortalRB: the units the instansi proposes each
//! year and the window, the Bearer tokens PortalRB calls with, and the integration
//! API itself (`api`), answering exactly the JSON of "Panduan Teknis API Integrasi ZI".

pub mod api;
pub mod evidence;
pub mod pages;

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use crate::audit::{Action, Actor, Entry};
use crate::error::UserError;

/// How a unit is proposed.
pub const KATEGORI: [&str; 3] = ["WBK", "WBK-AFIRMASI", "WBBM"];

/// Records (or changes) a unit's proposal for a year. WBBM only for a unit that held
/// WBK or WBBM before that year (its predicate record).
pub async fn propose(
    db: &SqlitePool,
    actor: &Actor,
    year: i64,
    code: &str,
    kategori: &str,
) -> anyhow::Result<()> {
    let kategori = kategori.trim().to_uppercase();
    if !KATEGORI.contains(&kategori.as_str()) {
        return Err(UserError(format!(
            "kategori \"{kategori}\" tidak dikenal (pilih WBK, WBK-AFIRMASI, atau WBBM)"
        ))
        .into());
    }
    if !crate::catalogue::writer::valid_year(year) {
        return Err(UserError(format!("tahun {year} harus antara 2000 dan 2100")).into());
    }
    let unit = crate::tenant::resolve_code(db, Some(code)).await?;
    let mut tx = crate::db::write(db).await?;
    if kategori == "WBBM" {
        let held = crate::lke::store::wbk_held_before(&mut *tx, unit.id, year).await?;
        if !held {
            return Err(UserError(format!(
                "unit {} belum pernah memperoleh predikat WBK sebelum {year}; usulan WBBM hanya untuk unit berpredikat WBK",
                unit.code
            ))
            .into());
        }
    }
    sqlx::query(
        "INSERT INTO portalrb_proposals (year, unit_id, kategori, proposed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (year, unit_id) DO UPDATE SET kategori = excluded.kategori,
             proposed_at = excluded.proposed_at",
    )
    .bind(year)
    .bind(unit.id)
    .bind(&kategori)
    .bind(crate::fmt::now_stamp())
    .execute(&mut *tx)
    .await?;
    tx.commit(
        &actor.clone().instansi_wide(),
        Entry::new(
            Action::PortalrbProposed,
            format!("Unit {} diusulkan {kategori} tahun {year}", unit.code),
        )
        .after(json!({"tahun": year, "unit": unit.code, "kategori": kategori})),
    )
    .await?;
    Ok(())
}

/// The unit with code `code`, when it is proposed for `year` (else `None`).
pub async fn proposed_unit(
    db: &SqlitePool,
    year: i64,
    code: &str,
) -> sqlx::Result<Option<crate::tenant::UnitRef>> {
    sqlx::query_as(
        "SELECT w.id, w.code, w.name FROM portalrb_proposals p JOIN work_units w ON w.id = p.unit_id
         WHERE p.year = ? AND w.code = ?",
    )
    .bind(year)
    .bind(code)
    .fetch_optional(db)
    .await
}

/// Sets a year's proposal window. `links_until` may not be already past on `today`:
/// every link issued with it would be dead on arrival.
pub async fn set_window(
    db: &SqlitePool,
    actor: &Actor,
    year: i64,
    (from, to): (&str, &str),
    links_until: Option<&str>,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let parse = |d: &str| {
        NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| UserError(format!("tanggal \"{d}\" tidak terbaca (YYYY-MM-DD)")))
    };
    let (from, to) = (parse(from)?, parse(to)?);
    let links_until = links_until.map(parse).transpose()?;
    if to < from {
        return Err(UserError("akhir jendela usulan sebelum awalnya".into()).into());
    }
    if let Some(until) = links_until.filter(|u| *u < today) {
        return Err(UserError(format!(
            "tanggal berlaku tautan bukti {} sudah lewat; pilih hari ini ({}) atau sesudahnya",
            crate::fmt::date_id(until),
            crate::fmt::date_id(today)
        ))
        .into());
    }
    if !crate::catalogue::writer::valid_year(year) {
        return Err(UserError(format!("tahun {year} harus antara 2000 dan 2100")).into());
    }
    let mut tx = crate::db::write(db).await?;
    sqlx::query(
        "INSERT INTO portalrb_windows (year, opens, closes, links_until) VALUES (?, ?, ?, ?)
         ON CONFLICT (year) DO UPDATE SET opens = excluded.opens, closes = excluded.closes,
             links_until = excluded.links_until",
    )
    .bind(year)
    .bind(from.to_string())
    .bind(to.to_string())
    .bind(links_until.map(|d| d.to_string()))
    .execute(&mut *tx)
    .await?;
    tx.commit(
        &actor.clone().instansi_wide(),
        Entry::new(
            Action::PortalrbWindowSet,
            format!(
                "Jendela usulan {year}: {} – {}",
                crate::fmt::date_id(from),
                crate::fmt::date_id(to)
            ),
        )
        .after(json!({"tahun": year, "dari": from.to_string(), "sampai": to.to_string()})),
    )
    .await?;
    Ok(())
}

pub fn hash_token(raw: &str) -> String {
    Sha256::digest(raw.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a named token valid for `days`; returns the token itself, shown once.
pub async fn create_token(
    db: &SqlitePool,
    actor: &Actor,
    name: &str,
    days: i64,
) -> anyhow::Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(UserError("nama token wajib diisi (paling banyak 64 karakter)".into()).into());
    }
    if !(1..=3660).contains(&days) {
        return Err(UserError("masa berlaku token 1 sampai 3660 hari".into()).into());
    }
    let raw = format!("zirb_{}", crate::random::token());
    let expires = (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut tx = crate::db::write(db).await?;
    let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_tokens WHERE name = ?)")
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
    if taken {
        return Err(UserError(format!("token bernama \"{name}\" sudah ada")).into());
    }
    sqlx::query(
        "INSERT INTO api_tokens (name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
    )
    .bind(name)
    .bind(hash_token(&raw))
    .bind(crate::fmt::now_stamp())
    .bind(&expires)
    .execute(&mut *tx)
    .await?;
    tx.commit(
        &actor.clone().instansi_wide(),
        Entry::new(
            Action::PortalrbTokenCreated,
            format!("Token PortalRB \"{name}\" dibuat, berlaku sampai {expires}"),
        ),
    )
    .await?;
    Ok(raw)
}

pub async fn revoke_token(db: &SqlitePool, actor: &Actor, name: &str) -> anyhow::Result<()> {
    let mut tx = crate::db::write(db).await?;
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL")
            .bind(crate::fmt::now_stamp())
            .bind(name.trim())
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if done == 0 {
        return Err(UserError(format!("tidak ada token aktif bernama \"{}\"", name.trim())).into());
    }
    tx.commit(
        &actor.clone().instansi_wide(),
        Entry::new(
            Action::PortalrbTokenRevoked,
            format!("Token PortalRB \"{}\" dicabut", name.trim()),
        ),
    )
    .await?;
    Ok(())
}

/// (name, created, expires, revoked, last used, last address)
pub type TokenRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

pub async fn tokens(db: &SqlitePool) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as(
        "SELECT name, created_at, expires_at, revoked_at, last_used_at, last_used_ip
         FROM api_tokens ORDER BY name",
    )
    .fetch_all(db)
    .await
}
