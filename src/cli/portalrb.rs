//! `portalrb …`: proposals and API tokens from the command line.

use std::path::PathBuf;

use crate::audit::Actor;
use crate::db;

use super::{PortalrbAction, TokenAction};

pub(super) async fn portalrb_command(
    data_dir: PathBuf,
    action: PortalrbAction,
) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let actor = Actor::cli();
    let result: anyhow::Result<()> = match action {
        PortalrbAction::Propose {
            year,
            unit,
            kategori,
        } => crate::portalrb::propose(&pool, &actor, year, &unit, &kategori)
            .await
            .map(|()| {
                println!(
                    "Unit {unit} diusulkan {} untuk {year}.",
                    kategori.to_uppercase()
                )
            }),
        PortalrbAction::Window {
            year,
            from,
            to,
            links_until,
        } => {
            let today = crate::clock::Clock::default().today();
            crate::portalrb::set_window(
                &pool,
                &actor,
                year,
                (&from, &to),
                links_until.as_deref(),
                today,
            )
            .await
                .map(|()| println!("Jendela usulan {year}: {from} sampai {to}."))
        }
        PortalrbAction::RotateLinks => crate::portalrb::evidence::rotate(&pool, &data_dir, &actor)
            .await
            .map(|()| println!("Semua tautan bukti untuk evaluator dicabut; tautan baru dibuat saat PortalRB mengambil jawaban.")),
        PortalrbAction::Token {
            action: TokenAction::Create { name, days },
        } => match crate::portalrb::create_token(&pool, &actor, &name, days).await {
            Ok(token) => {
                println!(
                    "Token \"{}\" dibuat, berlaku {days} hari; simpan sekarang, token tidak dapat ditampilkan lagi:",
                    name.trim()
                );
                println!("{token}");
                Ok(())
            }
            Err(e) => Err(e),
        },
        PortalrbAction::Token {
            action: TokenAction::List,
        } => {
            for (name, created, expires, revoked, used, ip) in
                crate::portalrb::tokens(&pool).await?
            {
                println!(
                    "{name}\tdibuat {created}\tberlaku sampai {expires}\t{}\tterakhir dipakai {}",
                    revoked.map_or("aktif".to_string(), |r| format!("dicabut {r}")),
                    used.map_or("-".to_string(), |u| format!(
                        "{u} dari {}",
                        ip.unwrap_or_default()
                    ))
                );
            }
            Ok(())
        }
        PortalrbAction::Token {
            action: TokenAction::Revoke { name },
        } => crate::portalrb::revoke_token(&pool, &actor, &name)
            .await
            .map(|()| println!("Token \"{}\" dicabut.", name.trim())),
    };
    pool.close().await;
    result
}
