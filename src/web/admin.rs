//! The dashboard's first admin account: on first start a random password is
//! made, stored argon2-hashed in `users` and kept in a 0600 file in the data
//! directory, so `kiqlab demo` can print the sign-in again on later starts.

use std::path::{Path, PathBuf};

pub use super::auth::hashing::{hash, verify};
use super::db::{users, Db, DbError};
use crate::secret::Secret;

pub const ADMIN_USER: &str = "admin";
pub const PASSWORD_FILE: &str = "admin-password";

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot read or write {path}: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

#[derive(Debug, Clone)]
pub struct AdminLogin {
    pub username: String,
    pub password: Secret,
    /// Made on this start (else read back from the file).
    pub created: bool,
}

/// Makes sure the admin account exists and matches the stored password.
pub async fn ensure_admin(db: &Db, data_dir: &Path) -> Result<AdminLogin, AdminError> {
    let path = data_dir.join(PASSWORD_FILE);
    let (password, created) =
        crate::secret::load_or_create(&path).map_err(|source| AdminError::File {
            path: path.clone(),
            source,
        })?;
    let pw = password.clone();
    db.call(move |c| {
        let existing = users::find(c, ADMIN_USER)?;
        let up_to_date = existing
            .as_ref()
            .is_some_and(|u| u.is_admin && verify(&pw, &u.password_hash));
        if !up_to_date {
            let hash = hash(&pw).map_err(DbError::Corrupt)?;
            users::upsert(c, ADMIN_USER, &hash, true, crate::engine::clock::now_secs())?;
        }
        Ok(())
    })
    .await?;
    Ok(AdminLogin {
        username: ADMIN_USER.to_owned(),
        password,
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn password_is_random_hashed_kept_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::in_memory().unwrap();
        let first = ensure_admin(&db, dir.path()).await.unwrap();
        assert!(first.created);
        let again = ensure_admin(&db, dir.path()).await.unwrap();
        assert!(!again.created);
        assert_eq!(first.password, again.password);
        let user = db
            .call(|c| users::find(c, ADMIN_USER))
            .await
            .unwrap()
            .unwrap();
        assert!(user.is_admin);
        assert!(user.password_hash.starts_with("$argon2id$"));
        assert!(verify(&first.password, &user.password_hash));
        assert!(!verify(&Secret::new("admin"), &user.password_hash));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(PASSWORD_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = tempfile::tempdir().unwrap();
        let fresh = ensure_admin(&Db::in_memory().unwrap(), other.path())
            .await
            .unwrap();
        assert_ne!(fresh.password, first.password);
    }
}
