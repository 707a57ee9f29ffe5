//! The browser test needs Debian's Chromium and ChromeDriver. Where they are missing
//! (and `CI` is not set), it is marked ignored, so `cargo test` says so in its output
//! instead of reporting a pass; under CI it always runs, and fails without them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(browser_missing)");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=PATH");
    let found = |names: &[&str]| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/bin".into(), "/usr/lib/chromium".into()])
            .any(|dir: std::path::PathBuf| names.iter().any(|n| dir.join(n).is_file()))
    };
    for p in [
        "/usr/bin/chromium",
        "/usr/bin/chromedriver",
        "/usr/bin/pdftotext",
    ] {
        println!("cargo::rerun-if-changed={p}");
    }
    let browser = found(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = found(&["chromedriver"]);
    // the printed report is read back with poppler's pdftotext
    let poppler = found(&["pdftotext"]);
    if std::env::var_os("CI").is_none() && !(browser && driver && poppler) {
        println!("cargo::rustc-cfg=browser_missing");
    }
}
