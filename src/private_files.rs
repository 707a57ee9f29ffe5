//! The data dir and its backups belong to the service's user alone: folders 0700,
//! files 0600. New ones are made that way (whatever the process's umask), and what an
//! older release or a copy left more open is tightened at start. They hold personal
//! data, the evidence and the evaluator links' signing key.

use std::io;
use std::path::Path;

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates a folder (and missing parents) private to the owner; an existing one is
/// made private too.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(DIR_MODE))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(path)
}

/// `create_dir_all` for the async threads.
pub async fn create_dir_all_async(path: &Path) -> io::Result<()> {
    let mut b = tokio::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(DIR_MODE);
    b.create(path).await
}

/// Options that create a new file readable by the owner only (and fail if it exists).
pub fn new_file() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// `new_file` for the async threads.
pub fn new_file_async() -> tokio::fs::OpenOptions {
    let mut o = tokio::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    o.mode(FILE_MODE);
    o
}

/// Writes a new private file and syncs it.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = new_file().open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A secret kept in its own private file (a signing key): read, or made from a new
/// random token on first use.
pub fn key_file(path: &Path) -> io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(key) if !key.trim().is_empty() => Ok(key.trim().to_string()),
        Ok(_) => Err(io::Error::other(format!("{} is empty", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            place_key(path, &crate::random::token(), false)?;
            key_file(path)
        }
        Err(e) => Err(e),
    }
}

/// Writes `key` whole to a private temporary file beside `dest`, then puts it in
/// place: replacing the file, or only where there is none (a key already there may
/// have signed something still in use).
pub fn place_key(dest: &Path, key: &str, replace: bool) -> io::Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let tmp = dir.join(format!(".{name}.{}", crate::random::token()));
    write_new(&tmp, key.as_bytes())?;
    let placed = if replace {
        std::fs::rename(&tmp, dest)
    } else {
        match std::fs::hard_link(&tmp, dest) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    };
    let _ = std::fs::remove_file(&tmp);
    placed?;
    // the new name survives a power cut
    std::fs::File::open(dir)?.sync_all()
}

/// Makes every folder under `root` (and `root`) 0700 and every file 0600; symbolic
/// links below `root` are left alone. Returns how many needed it.
pub fn tighten(root: &Path) -> io::Result<usize> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut changed = 0;
        let mut stack = vec![root.to_path_buf()];
        while let Some(path) = stack.pop() {
            // the data dir itself may be a link to where it really is; below it, links
            // are not followed
            let meta = if path == root {
                std::fs::metadata(&path)?
            } else {
                std::fs::symlink_metadata(&path)?
            };
            let want = if meta.is_dir() {
                for e in std::fs::read_dir(&path)? {
                    stack.push(e?.path());
                }
                DIR_MODE
            } else if meta.is_file() {
                FILE_MODE
            } else {
                continue;
            };
            if meta.permissions().mode() & 0o777 != want {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(want))?;
                changed += 1;
            }
        }
        Ok(changed)
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        Ok(0)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn tightening_closes_folders_and_files_and_leaves_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("data");
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let file = sub.join("f");
        std::fs::write(&file, b"x").unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"y").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
        for p in [&root, &root.join("a"), &sub] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

        assert_eq!(tighten(&root).unwrap(), 4);
        assert_eq!(
            [mode(&root), mode(&root.join("a")), mode(&sub), mode(&file)],
            [0o700, 0o700, 0o700, 0o600]
        );
        assert_eq!(
            mode(&outside),
            0o644,
            "a link's target is not ours to change"
        );
        assert_eq!(tighten(&root).unwrap(), 0, "nothing left to do");
    }

    #[test]
    fn a_data_dir_reached_through_a_link_is_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("f"), b"x").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(real.join("f"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("data");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(tighten(&link).unwrap(), 2);
        assert_eq!([mode(&real), mode(&real.join("f"))], [0o700, 0o600]);
    }

    #[test]
    fn new_files_and_folders_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("x/y");
        create_dir_all(&sub).unwrap();
        write_new(&sub.join("k"), b"rahasia").unwrap();
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&dir.path().join("x")), 0o700);
        assert_eq!(mode(&sub.join("k")), 0o600);
        assert!(
            write_new(&sub.join("k"), b"lain").is_err(),
            "never overwrites"
        );
    }
}
