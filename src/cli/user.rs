//! `user …`: accounts from the command line.

use crate::identity::AnyRole;
use std::path::PathBuf;

use crate::audit::Actor;
use crate::error::UserError;
use crate::{db, users};

use super::{UserAction, find_user, read_password};

fn save_error(e: users::SaveError) -> anyhow::Error {
    match e {
        users::SaveError::Invalid(errors) => UserError(errors.to_string()).into(),
        users::SaveError::Conflict(m) => UserError(m).into(),
        e @ users::SaveError::NotTheirs => UserError(e.to_string()).into(),
        users::SaveError::HoldsSteps(n) => UserError(format!(
            "akun ini masih PIC {n} langkah aksi; alihkan dulu langkahnya (halaman Penugasan)"
        ))
        .into(),
        users::SaveError::Db(e) => e.into(),
        users::SaveError::Other(e) => e,
    }
}

pub(super) async fn user_command(data_dir: PathBuf, action: UserAction) -> anyhow::Result<()> {
    let pool = db::open(&data_dir).await?;
    let actor = Actor::cli();
    let result = match action {
        UserAction::Add {
            username,
            role,
            name,
            unit,
            units,
            password_stdin,
            email,
        } => {
            let password = read_password(password_stdin)?;
            let is_unit_role = matches!(
                crate::tenant::AnyRole::parse(&role),
                Some(crate::tenant::AnyRole::Unit(_))
            );
            let codes: Vec<Option<String>> = match (unit, units.is_empty()) {
                (Some(u), _) => vec![Some(u)],
                (None, false) => units.into_iter().map(Some).collect(),
                (None, true) if is_unit_role => vec![None],
                (None, true) => Vec::new(),
            };
            let mut unit_ids = Vec::new();
            for code in codes {
                unit_ids.push(
                    crate::tenant::resolve_code(&pool, code.as_deref())
                        .await?
                        .id,
                );
            }
            let display_name = name.unwrap_or_else(|| username.clone());
            users::create(
                &pool,
                &actor,
                users::NewUser {
                    username: username.clone(),
                    display_name,
                    role,
                    units: unit_ids,
                    password: password.clone(),
                    password_confirm: password,
                    must_change_password: false,
                    email,
                },
                true,
            )
            .await
            .map_err(save_error)?;
            println!("Akun {} dibuat.", username.trim().to_lowercase());
            Ok(())
        }
        UserAction::Import { file } => {
            let bytes = std::fs::read(&file).map_err(|e| {
                UserError(format!("berkas {} tidak dapat dibaca: {e}", file.display()))
            })?;
            let refused = |errors: Vec<String>| -> anyhow::Error {
                UserError(format!(
                    "berkas ditolak, tidak ada akun yang dibuat:\n  {}",
                    errors.join("\n  ")
                ))
                .into()
            };
            let rows = users::import::parse(&bytes).map_err(refused)?;
            let created = users::import::import(&pool, &actor, &rows)
                .await?
                .map_err(refused)?;
            // the passwords once, on standard output only
            println!(
                "# {} akun dibuat; kata sandi awal wajib diganti saat pertama masuk",
                created.len()
            );
            for (u, p) in created {
                println!("{u}\t{p}");
            }
            Ok(())
        }
        UserAction::List => {
            let all = users::list(&pool, 0, true, i64::MAX, 0).await?;
            println!(
                "{:<24} {:<18} {:<8} {:<30} NAMA",
                "NAMA PENGGUNA", "PERAN INSTANSI", "STATUS", "PERAN DI UNIT"
            );
            for u in all {
                println!(
                    "{:<24} {:<18} {:<8} {:<30} {}",
                    u.username,
                    u.role.map_or("-", AnyRole::as_str),
                    if u.active { "aktif" } else { "nonaktif" },
                    u.unit_name.as_deref().unwrap_or("-"),
                    u.display_name
                );
            }
            Ok(())
        }
        UserAction::SetPassword {
            username,
            password_stdin,
            must_change,
        } => {
            let password = read_password(password_stdin)?;
            let user = find_user(&pool, 0, &username).await?;
            users::set_password(
                &pool,
                &actor,
                users::Scope::Whole,
                user.id,
                &password,
                must_change,
            )
            .await
            .map_err(save_error)?;
            println!(
                "Kata sandi {} diganti; semua sesinya diakhiri.",
                user.username
            );
            Ok(())
        }
        UserAction::SetEmail { username, email } => {
            let user = find_user(&pool, 0, &username).await?;
            let set = users::set_email(&pool, &actor, user.id, &email)
                .await
                .map_err(save_error)?;
            match set {
                Some(e) => println!("Alamat surel {} diatur: {e}", user.username),
                None => println!("Alamat surel {} dihapus.", user.username),
            }
            Ok(())
        }
        UserAction::Deactivate { username } => {
            let user = find_user(&pool, 0, &username).await?;
            users::deactivate(&pool, &actor, user.id)
                .await
                .map_err(save_error)?;
            println!("Akun {} dinonaktifkan.", user.username);
            Ok(())
        }
    };
    pool.close().await;
    result
}
