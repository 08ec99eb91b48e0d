//! `kiqlab admin`: dashboard accounts in the web node's database.
//! `create-user EMAIL [--admin]` reads the password from standard input (one
//! line) or, on a terminal, from a prompt that does not echo, and refuses
//! weak ones; `grant EMAIL` makes an existing account an admin.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};

use crate::config::{data_dir, process_env};
use crate::domain::{EmailAddress, NewPassword};
use crate::secret::Secret;
use crate::web::admin::hash;
use crate::web::db::{users, Db};

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The application database, as for `kiqlab web` (default: web.db in the data directory)
    #[arg(long, env = "KIQLAB_DATABASE", value_name = "PATH", global = true)]
    pub database: Option<PathBuf>,

    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account; the password comes from standard input or a prompt
    CreateUser {
        /// The account's email address (what it signs in with)
        email: String,
        /// Let the account into the dashboard at /sidekiq
        #[arg(long)]
        admin: bool,
    },
    /// Let an existing account into the dashboard
    Grant {
        /// The account's email address
        email: String,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let path = args
        .database
        .clone()
        .unwrap_or_else(|| data_dir(&process_env).join("web.db"));
    let p = path.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&p))
        .await?
        .with_context(|| format!("cannot open {}", path.display()))?;
    match args.command {
        AdminCommand::CreateUser { email, admin } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let account = email.as_str().to_owned();
            let password = tokio::task::spawn_blocking(move || read_password(&account)).await??;
            let password = NewPassword::parse(password.expose(), email.as_str())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let secret = password.secret().clone();
            let phc = tokio::task::spawn_blocking(move || hash(&secret))
                .await?
                .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
            let name = email.as_str().to_owned();
            let now = crate::engine::clock::now_secs();
            let created = db
                .call(move |c| users::create(c, &name, &phc, admin, now))
                .await?;
            if !created {
                anyhow::bail!("{email} already has an account (use `kiqlab admin grant {email}` to make it an admin)");
            }
            println!("created {email}{}", if admin { " (admin)" } else { "" });
        }
        AdminCommand::Grant { email } => {
            let name = email.trim().to_owned();
            let found = db.call(move |c| users::set_admin(c, &name, true)).await?;
            if !found {
                anyhow::bail!("there is no account {email:?}; create it with `kiqlab admin create-user {email} --admin`");
            }
            println!("{} is now an admin", email.trim());
        }
    }
    Ok(())
}

/// One line of standard input, or (on a terminal) a no-echo prompt, twice.
fn read_password(account: &str) -> anyhow::Result<Secret> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(Secret::new(line.trim_end_matches(['\r', '\n'])));
    }
    let first = prompt(&format!("Password for {account}: "))?;
    let again = prompt("Password again: ")?;
    if first != again {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

fn prompt(text: &str) -> anyhow::Result<Secret> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    write!(stderr, "{text}")?;
    stderr.flush()?;
    let saved = tcgetattr(&stdin).context("cannot read the terminal settings")?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&stdin, OptionalActions::Now, &quiet).context("cannot turn off echo")?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let restored = tcsetattr(&stdin, OptionalActions::Now, &saved);
    writeln!(stderr)?;
    read.context("cannot read the password")?;
    restored.context("cannot restore the terminal")?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}
