//! Throttling of sign-ins and sign-ups, by counting each attempt *before*
//! it is checked, atomically (one transaction on `web.db`): parallel
//! guesses for one account get at most `PER_ACCOUNT` password checks, the
//! rest are refused (429) without a hash. An attempt is a failure until it
//! succeeds: a right password takes its own record back and clears the
//! account's count.
//!
//! - `PER_ACCOUNT` sign-ins for one account (known or not: an unknown
//!   account costs and counts the same) and `PER_IP` from one address within
//!   `WINDOW_SECS`; more are refused, even with the right password, until the
//!   oldest leaves the window.
//! - `SIGN_UPS_PER_IP` sign-ups from one address within `SIGN_UP_WINDOW_SECS`
//!   (each costs a hash and a row; a classroom's students each sign up once).

use std::net::IpAddr;

use crate::engine::clock::now_secs;
use crate::web::db::sessions;
use crate::web::db::{Db, DbError};

pub const PER_ACCOUNT: u64 = 5;
pub const PER_IP: u64 = 20;
pub const WINDOW_SECS: f64 = 15.0 * 60.0;
pub const SIGN_UPS_PER_IP: u64 = 10;
pub const SIGN_UP_WINDOW_SECS: f64 = 60.0 * 60.0;

/// Records older than the longest window are dropped.
const FORGET_SECS: f64 = if SIGN_UP_WINDOW_SECS > WINDOW_SECS {
    SIGN_UP_WINDOW_SECS
} else {
    WINDOW_SECS
};

/// What the throttle says about one attempt.
#[derive(Debug)]
pub enum Admission {
    /// Refused, with the reason a person reads.
    Refused(&'static str),
    /// Counted: go on and check it.
    Counted(Counted),
}

/// The records one admitted attempt made.
#[derive(Debug)]
pub struct Counted {
    account: Option<String>,
    ids: Vec<i64>,
}

impl Counted {
    /// The attempt was right: take its records back and forget the
    /// account's earlier failures.
    pub async fn succeeded(self, db: &Db) -> Result<(), DbError> {
        db.call(move |c| {
            sessions::uncount(c, &self.ids)?;
            if let Some(account) = &self.account {
                sessions::clear_failures(c, account)?;
            }
            Ok(())
        })
        .await
    }

    /// The attempt was not made (no hasher was free): take it back.
    pub async fn not_made(self, db: &Db) -> Result<(), DbError> {
        db.call(move |c| sessions::uncount(c, &self.ids)).await
    }
}

fn ip_key(prefix: &str, ip: Option<IpAddr>) -> String {
    format!("{prefix}:{}", ip.map(|i| i.to_string()).unwrap_or_default())
}

/// Counts a sign-in for `account` from `ip`.
pub async fn sign_in(db: &Db, account: &str, ip: Option<IpAddr>) -> Result<Admission, DbError> {
    let account = format!("account:{}", account.trim().to_lowercase());
    let ip = ip_key("ip", ip);
    let now = now_secs();
    let since = now - WINDOW_SECS;
    let kept = account.clone();
    let counted = db
        .call(move |c| {
            let limits = [
                (account.as_str(), PER_ACCOUNT, since),
                (ip.as_str(), PER_IP, since),
            ];
            sessions::count_attempt(c, &limits, now, now - FORGET_SECS)
        })
        .await?;
    Ok(match counted {
        Ok(ids) => Admission::Counted(Counted {
            account: Some(kept),
            ids,
        }),
        Err(0) => Admission::Refused("Too many failed sign-ins for this account."),
        Err(_) => Admission::Refused("Too many failed sign-ins from your address."),
    })
}

/// Counts a sign-up from `ip`; a sign-up stays counted whatever its outcome.
pub async fn sign_up(db: &Db, ip: Option<IpAddr>) -> Result<Admission, DbError> {
    let ip = ip_key("sign_up", ip);
    let now = now_secs();
    let counted = db
        .call(move |c| {
            let limits = [(ip.as_str(), SIGN_UPS_PER_IP, now - SIGN_UP_WINDOW_SECS)];
            sessions::count_attempt(c, &limits, now, now - FORGET_SECS)
        })
        .await?;
    Ok(match counted {
        Ok(ids) => Admission::Counted(Counted { account: None, ids }),
        Err(_) => Admission::Refused("Too many sign-ups from your address."),
    })
}

/// Presses of the playground's many-job buttons one anonymous address may
/// make in `BULK_WINDOW_SECS` (admins aren't limited).
pub const BULK_PRESSES_PER_IP: u64 = 10;
pub const BULK_WINDOW_SECS: f64 = 60.0;

/// Counts a press of a many-job button from `ip`: whether it may go ahead.
pub async fn bulk_press(db: &Db, ip: Option<IpAddr>) -> Result<bool, DbError> {
    let ip = ip_key("bulk", ip);
    let now = now_secs();
    let counted = db
        .call(move |c| {
            let limits = [(ip.as_str(), BULK_PRESSES_PER_IP, now - BULK_WINDOW_SECS)];
            sessions::count_attempt(c, &limits, now, now - FORGET_SECS)
        })
        .await?;
    Ok(counted.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bulk_presses_are_limited_per_address() {
        let db = Db::in_memory().unwrap();
        for _ in 0..BULK_PRESSES_PER_IP {
            assert!(bulk_press(&db, local()).await.unwrap());
        }
        assert!(!bulk_press(&db, local()).await.unwrap());
        let other = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(bulk_press(&db, other).await.unwrap(), "per address");
    }

    fn local() -> Option<IpAddr> {
        Some(IpAddr::from([127, 0, 0, 1]))
    }

    #[tokio::test]
    async fn the_sixth_attempt_for_an_account_is_refused_and_a_success_clears_it() {
        let db = Db::in_memory().unwrap();
        for _ in 0..PER_ACCOUNT {
            assert!(matches!(
                sign_in(&db, "A@x.org", local()).await.unwrap(),
                Admission::Counted(_)
            ));
        }
        let Admission::Refused(why) = sign_in(&db, "a@x.org ", local()).await.unwrap() else {
            panic!("the sixth attempt was let through");
        };
        assert!(why.contains("account"), "{why}");
        // Another account from the same address is still let in; its
        // success takes back its own record.
        let Admission::Counted(c) = sign_in(&db, "b@x.org", local()).await.unwrap() else {
            panic!("another account was refused");
        };
        c.succeeded(&db).await.unwrap();
        let Admission::Counted(c) = sign_in(&db, "b@x.org", local()).await.unwrap() else {
            panic!("b was refused");
        };
        c.not_made(&db).await.unwrap();
    }

    #[tokio::test]
    async fn parallel_attempts_are_counted_before_they_are_checked() {
        let db = Db::in_memory().unwrap();
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { sign_in(&db, "victim@x.org", local()).await })
            })
            .collect();
        let mut admitted = 0;
        for t in tasks {
            if let Admission::Counted(_) = t.await.unwrap().unwrap() {
                admitted += 1;
            }
        }
        assert_eq!(admitted, PER_ACCOUNT);
    }

    #[tokio::test]
    async fn sign_ups_are_limited_per_address() {
        let db = Db::in_memory().unwrap();
        for _ in 0..SIGN_UPS_PER_IP {
            assert!(matches!(
                sign_up(&db, local()).await.unwrap(),
                Admission::Counted(_)
            ));
        }
        assert!(matches!(
            sign_up(&db, local()).await.unwrap(),
            Admission::Refused(_)
        ));
        let other = Some(IpAddr::from([127, 0, 0, 2]));
        assert!(matches!(
            sign_up(&db, other).await.unwrap(),
            Admission::Counted(_)
        ));
    }
}
