//! Throttling of failed sign-ins: after `PER_ACCOUNT` failures for one
//! account, or `PER_IP` from one address, within `WINDOW_SECS`, sign-ins
//! there are refused (even with the right password) until the oldest
//! failure leaves the window. A success clears the account's count.

use std::net::IpAddr;

use crate::engine::clock::now_secs;
use crate::web::db::sessions;
use crate::web::db::{Db, DbError};

pub const PER_ACCOUNT: u64 = 5;
pub const PER_IP: u64 = 20;
pub const WINDOW_SECS: f64 = 15.0 * 60.0;

/// The throttle's keys for one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: String,
    ip: String,
}

impl Attempt {
    pub fn new(account: &str, ip: Option<IpAddr>) -> Attempt {
        Attempt {
            account: format!("account:{}", account.trim().to_lowercase()),
            ip: format!("ip:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
        }
    }

    /// `Some(reason)` when this attempt must be refused.
    pub async fn blocked(&self, db: &Db) -> Result<Option<&'static str>, DbError> {
        let (account, ip) = (self.account.clone(), self.ip.clone());
        let since = now_secs() - WINDOW_SECS;
        db.call(move |c| {
            if sessions::failures_since(c, &account, since)? >= PER_ACCOUNT {
                return Ok(Some("Too many failed sign-ins for this account."));
            }
            if sessions::failures_since(c, &ip, since)? >= PER_IP {
                return Ok(Some("Too many failed sign-ins from your address."));
            }
            Ok(None)
        })
        .await
    }

    pub async fn failed(&self, db: &Db) -> Result<(), DbError> {
        let (account, ip) = (self.account.clone(), self.ip.clone());
        let now = now_secs();
        db.call(move |c| sessions::add_failure(c, &[&account, &ip], now, now - WINDOW_SECS))
            .await
    }

    pub async fn succeeded(&self, db: &Db) -> Result<(), DbError> {
        let account = self.account.clone();
        db.call(move |c| sessions::clear_failures(c, &account))
            .await
    }
}
