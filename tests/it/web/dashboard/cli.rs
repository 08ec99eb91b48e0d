//! `kiqlab admin create-user` and `grant` as a person runs them: the real
//! binary, the password on standard input, the web node's database file.

use std::io::Write;
use std::process::{Command, Stdio};

use kiqlab::secret::Secret;
use kiqlab::web::admin::verify;
use kiqlab::web::db::{users, Db};

use crate::support::{kiqlab_bin, temp_dir};

fn admin(db: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(kiqlab_bin())
        .arg("admin")
        .arg("--database")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn create_user_and_grant_write_the_web_database() {
    let dir = temp_dir();
    let db_path = dir.path().join("web.db");
    let (ok, out) = admin(&db_path, &["create-user", "ada@example.com"], "short\n");
    assert!(!ok && out.contains("at least 10 characters"), "{out}");
    let (ok, out) = admin(&db_path, &["create-user", "ada@example.com"], "\n");
    assert!(!ok && out.contains("Choose a password"), "{out}");
    let (ok, out) = admin(
        &db_path,
        &["create-user", "not-an-email"],
        "long enough password\n",
    );
    assert!(!ok, "{out}");
    let (ok, out) = admin(
        &db_path,
        &["create-user", "ada@example.com"],
        "long enough password\n",
    );
    assert!(ok, "{out}");
    let (ok, out) = admin(
        &db_path,
        &["create-user", "ada@example.com"],
        "long enough password\n",
    );
    assert!(!ok && out.contains("already has an account"), "{out}");
    let db = Db::open(&db_path).unwrap();
    let user = db
        .call(|c| users::find(c, "ada@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert!(!user.is_admin);
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert!(verify(
        &Secret::new("long enough password"),
        &user.password_hash
    ));
    let (ok, out) = admin(&db_path, &["grant", "ada@example.com"], "");
    assert!(ok && out.contains("is now an admin"), "{out}");
    let user = db
        .call(|c| users::find(c, "ada@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert!(user.is_admin);
    let (ok, out) = admin(&db_path, &["grant", "nobody@example.com"], "");
    assert!(!ok && out.contains("no account"), "{out}");
    let (ok, _) = admin(
        &db_path,
        &["create-user", "root@example.com", "--admin"],
        "another fine password\n",
    );
    assert!(ok);
    let root = db
        .call(|c| users::find(c, "root@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert!(root.is_admin);
}
