//! `unit …`: work units from the command line.

use std::io::Write;
use std::path::PathBuf;

use crate::audit::Actor;
use crate::db;

use super::UnitAction;

pub(super) async fn unit_command(data_dir: PathBuf, action: UnitAction) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let actor = Actor::cli();
    let result: anyhow::Result<()> = match action {
        UnitAction::Add { code, name, parent } => {
            match crate::tenant::add(&pool, &actor, &code, &name, parent.as_deref()).await {
                Ok(_) => {
                    println!("Unit kerja {} ditambahkan.", code.trim().to_lowercase());
                    Ok(())
                }
                Err(e) => Err(e.into()),
            }
        }
        UnitAction::List => {
            let mut out = std::io::stdout().lock();
            for u in crate::tenant::list(&pool).await? {
                writeln!(out, "{}\t{}", u.code, u.name)?;
            }
            Ok(())
        }
        UnitAction::Rename { code, name } => crate::tenant::rename(&pool, &actor, &code, &name)
            .await
            .map(|()| println!("Unit kerja {code} sekarang bernama {}.", name.trim()))
            .map_err(Into::into),
        UnitAction::Retire { code } => crate::tenant::retire(&pool, &actor, &code)
            .await
            .map(|()| println!("Unit kerja {code} dinonaktifkan; datanya tetap tersimpan."))
            .map_err(Into::into),
    };
    pool.close().await;
    result
}
