//! `serve`: the flags become the configuration, and the server runs until a signal.

use std::path::PathBuf;

use crate::Config;
use crate::error::UserError;

use super::ServeArgs;

pub(super) async fn serve(args: ServeArgs, data_dir: PathBuf) -> anyhow::Result<()> {
    let mut config = Config::new(args.bind, data_dir);
    config.public_url = args.public_url;
    config.session_idle = std::time::Duration::from_secs(args.session_idle_minutes.max(1) * 60);
    config.session_absolute = std::time::Duration::from_secs(args.session_max_hours.max(1) * 3600);
    config.max_upload_bytes = args.max_upload_mb.max(1) * 1024 * 1024;
    config.trust_proxy = args.trust_proxy;
    config.hash_queue = args.hash_queue.max(1);
    config.header_timeout = std::time::Duration::from_secs(args.header_timeout_secs.max(1));
    config.max_connections = args.max_connections.max(1);
    config.max_connections_per_address = args.max_connections_per_address.max(1);
    config.min_body_rate = args.min_body_rate_kb.max(1) * 1024;
    let prefix = args
        .portalrb_prefix
        .trim()
        .trim_end_matches('/')
        .to_string();
    if !prefix.starts_with('/') || prefix.len() < 2 || prefix.contains(['{', '}', '?', '#']) {
        return Err(UserError(format!(
            "awalan API PortalRB \"{prefix}\" tidak sah; mis. /api/portalrb"
        ))
        .into());
    }
    config.portalrb_prefix = prefix;
    config.portalrb_rate_per_minute = args.portalrb_rate_per_minute.max(1);
    if let Some(raw) = args.smtp_url {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        config.smtp = Some(crate::config::Smtp {
            url: crate::config::Smtp::parse_url(&raw)?,
            user: env("ZI_SMTP_USER"),
            password: env("ZI_SMTP_PASSWORD"),
        });
    }
    config.mail_from = match args.mail_from {
        Some(from) => from,
        None => format!(
            "ZI Tracker <zi-tracker@{}>",
            config
                .public_url
                .as_ref()
                .and_then(|u| u.host_str())
                .unwrap_or("localhost")
        ),
    };
    if config.smtp.is_some() && config.public_url.is_none() {
        tracing::warn!("--smtp-url tanpa --public-url: tautan di surel memakai alamat server ini");
    }
    let running = crate::start(config.clone()).await?;
    if let Some(pw) = &running.initial_admin_password {
        // Shown once on the console, never written to the logs.
        println!();
        println!("Belum ada admin aktif: akun admin awal telah dibuat.");
        println!("  Nama pengguna : admin");
        println!("  Kata sandi    : {pw}");
        println!("Kata sandi ini hanya ditampilkan sekali dan wajib diganti saat pertama masuk.");
        println!();
    }
    let open = config
        .public_url
        .as_ref()
        .map(|u| u.to_string())
        .unwrap_or_else(|| format!("http://{}/", running.addr));
    tracing::info!(
        data = %config.database_path().display(),
        listen = %running.addr,
        "ZI Tracker siap: buka {open}"
    );
    crate::shutdown_signal().await;
    tracing::info!("menghentikan server…");
    running.stop().await;
    Ok(())
}
