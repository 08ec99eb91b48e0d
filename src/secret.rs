//! A secret string (tokens, API keys, passwords) that never prints: `Debug`
//! and `Display` show `[redacted]`; `expose` is the one way to read it. And
//! the files that hold secrets (`web.db`'s password hashes and sessions,
//! `jobs.db`'s job arguments): `private_dir` and `private_file` keep them
//! from other local users.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// A fresh random secret: 32 bytes of the OS generator, as URL-safe base64.
    pub fn generate() -> Secret {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Secret(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in constant time, so a remote caller cannot learn the secret
    /// byte by byte from response times.
    pub fn matches(&self, candidate: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }
}

/// Reads the secret kept in `path`, or makes one and keeps it there in a file
/// only the owner can read (0600). True when it was made now.
pub fn load_or_create(path: &std::path::Path) -> std::io::Result<(Secret, bool)> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::read_to_string(path) {
        Ok(s) if !s.trim().is_empty() => return Ok((Secret::new(s.trim()), false)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_dir(dir)?;
    }
    let secret = Secret::generate();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(f, "{}", secret.expose())?;
    Ok((secret, true))
}

/// The process's umask, from `/proc/self/status` (022 where unknown).
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Umask:"))?.to_owned();
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// The modes of a private file and directory for umask `mask`: 0600 and
/// 0700, unless the umask hides everything from others and shows the group
/// something (the lab's `UMask=0027`): then the group gets what the umask
/// allows (0640 and 0750), so a group-shared service keeps working.
pub fn private_modes(mask: u32) -> (u32, u32) {
    if mask & 0o007 == 0o007 && mask & 0o070 != 0o070 {
        (0o660 & !mask, 0o770 & !mask)
    } else {
        (0o600, 0o700)
    }
}

/// Creates `dir` if needed with the private directory mode. An existing
/// directory is left as it is (it may be `/tmp` or a home directory): the
/// files in it are what `private_file` protects.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    let (_, mode) = private_modes(umask());
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)
}

/// Fails, saying so, when files cannot be made in `dir` (a read-only mount,
/// a directory that is not ours): checked at start, so a web node does not
/// come up only to answer 500 to every write.
pub fn writable_dir(dir: &std::path::Path) -> std::io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let probe = dir.join(format!(".kiqlab-write-check-{}-{n}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("files cannot be written in {} ({e})", dir.display()),
            )
        })?;
    std::fs::remove_file(&probe)
}

/// Creates the (empty) file `path` with the private file mode before SQLite
/// opens it (SQLite gives its `-wal` and `-shm` files the same mode);
/// tightens an existing one that others can read.
pub fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let (mode, _) = private_modes(umask());
    match std::fs::metadata(path) {
        Ok(m) => {
            if m.permissions().mode() & 0o007 != 0 {
                tighten(path, m.permissions().mode() & 0o660 & mode | 0o600);
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(mode)
            .open(path)
            .map(drop),
        Err(e) => Err(e),
    }
}

fn tighten(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        Ok(()) => {
            tracing::info!(path = %path.display(), mode = format!("{mode:o}"), "others could read it; made it private")
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "others can read it, and it cannot be made private")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Secret, String> {
        if s.trim().is_empty() {
            Err("a secret cannot be empty".into())
        } else {
            Ok(Secret(s.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn private_modes_hide_from_others_and_follow_a_group_umask() {
        assert_eq!(super::private_modes(0o022), (0o600, 0o700));
        assert_eq!(super::private_modes(0o002), (0o600, 0o700));
        assert_eq!(super::private_modes(0o077), (0o600, 0o700));
        assert_eq!(super::private_modes(0o027), (0o640, 0o750));
        assert_eq!(super::private_modes(0o007), (0o660, 0o770));
    }

    #[test]
    fn private_files_and_dirs_are_made_and_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("kiqlab-private-{}", std::process::id()));
        let dir = base.join("data");
        super::private_dir(&dir).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir) & 0o007, 0, "{:o}", mode(&dir));
        let f = dir.join("web.db");
        std::fs::write(&f, "").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        super::private_file(&f).unwrap();
        assert_eq!(mode(&f) & 0o007, 0, "{:o}", mode(&f));
        let g = dir.join("jobs.db");
        super::private_file(&g).unwrap();
        assert_eq!(mode(&g) & 0o077 & !0o040, 0, "{:o}", mode(&g));
        std::fs::remove_dir_all(&base).unwrap();
    }

    use super::*;

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "[redacted] Secret([redacted])");
        assert!(s.matches("hunter2"));
        assert!(!s.matches("hunter3"));
        assert!(!s.matches(""));
        assert_ne!(Secret::generate(), Secret::generate());
        assert!(Secret::generate().expose().len() >= 43);
    }
}
