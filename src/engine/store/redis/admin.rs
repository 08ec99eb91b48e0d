//! `AdminSide` on Redis, as Sidekiq's API does it: entries taken out of a
//! sorted set by key or in `ZPOPMIN` batches, added (the dead set trimmed)
//! or restored byte for byte, sets and queues cleared, one queued job
//! deleted by value (`LREM`), signals pushed onto `IDENTITY-signals`, and
//! counters reset.

use async_trait::async_trait;

use super::write::{find_or_take, score_arg, trim_dead};
use super::RedisStore;
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::store::{AdminSide, EntryKey, Removal, Result, SetKind, Signal, SortedEntry};

/// Unread signals expire after this many seconds (as Sidekiq::Web sets).
const SIGNAL_TTL_SECS: u64 = 60;

#[async_trait]
impl AdminSide for RedisStore {
    async fn take_entry(&self, set: SetKind, key: &EntryKey) -> Result<Removal<SortedEntry>> {
        Ok(match find_or_take(&mut self.con(), set, key, true).await? {
            Some(e) => Removal::Removed(e),
            None => Removal::NotFound,
        })
    }

    async fn pop_entries(&self, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let items: Vec<(Vec<u8>, f64)> = redis::cmd("ZPOPMIN")
            .arg(set.key())
            .arg(limit)
            .query_async(&mut self.con())
            .await?;
        Ok(items
            .into_iter()
            .map(|(m, s)| SortedEntry::new(s, String::from_utf8_lossy(&m).into_owned()))
            .collect())
    }

    async fn add_entries(&self, set: SetKind, entries: &[(f64, Job)]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut z = redis::cmd("ZADD");
        z.arg(set.key());
        let mut newest = f64::MIN;
        for (score, job) in entries {
            z.arg(score_arg(*score)).arg(job.to_json());
            newest = newest.max(*score);
        }
        pipe.add_command(z).ignore();
        if set == SetKind::Dead {
            trim_dead(&mut pipe, newest, self.limits);
        }
        let _: () = pipe.query_async(&mut self.con()).await?;
        Ok(())
    }

    async fn restore_entries(&self, set: SetKind, entries: &[SortedEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut z = redis::cmd("ZADD");
        z.arg(set.key());
        for e in entries {
            z.arg(score_arg(e.score)).arg(e.raw.as_bytes());
        }
        let _: () = z.query_async(&mut self.con()).await?;
        Ok(())
    }

    async fn clear_set(&self, set: SetKind) -> Result<u64> {
        let (n, _): (u64, ()) = redis::pipe()
            .atomic()
            .cmd("ZCARD")
            .arg(set.key())
            .cmd("UNLINK")
            .arg(set.key())
            .query_async(&mut self.con())
            .await?;
        Ok(n)
    }

    async fn clear_queue(&self, queue: &QueueName) -> Result<u64> {
        let key = format!("queue:{queue}");
        let (n, _, _): (u64, (), ()) = redis::pipe()
            .atomic()
            .cmd("LLEN")
            .arg(&key)
            .cmd("UNLINK")
            .arg(&key)
            .cmd("SREM")
            .arg("queues")
            .arg(queue.as_str())
            .query_async(&mut self.con())
            .await?;
        Ok(n)
    }

    async fn delete_queued(&self, queue: &QueueName, raw: &str) -> Result<Removal> {
        let n: u64 = redis::cmd("LREM")
            .arg(format!("queue:{queue}"))
            .arg(1)
            .arg(raw)
            .query_async(&mut self.con())
            .await?;
        Ok(if n > 0 {
            Removal::Removed(())
        } else {
            Removal::NotFound
        })
    }

    async fn signal(&self, identity: &str, signal: &Signal) -> Result<()> {
        let key = format!("{identity}-signals");
        let _: ((), ()) = redis::pipe()
            .atomic()
            .cmd("LPUSH")
            .arg(&key)
            .arg(signal.as_str())
            .cmd("EXPIRE")
            .arg(&key)
            .arg(SIGNAL_TTL_SECS)
            .query_async(&mut self.con())
            .await?;
        Ok(())
    }

    async fn reset_stats(&self, processed: bool, failed: bool) -> Result<()> {
        let mut cmd = redis::cmd("MSET");
        if processed {
            cmd.arg("stat:processed").arg(0);
        }
        if failed {
            cmd.arg("stat:failed").arg(0);
        }
        if processed || failed {
            let _: () = cmd.query_async(&mut self.con()).await?;
        }
        Ok(())
    }
}
