//! The process registry: heartbeats with their signals, the Busy page's
//! processes and work, and the return of jobs held by dead processes.
//!
//! Liveness follows the expiry of Sidekiq's heartbeat hash: a row is live
//! until `expires_at`, the wall-clock time of its last write plus its TTL.
//! The `beat` field is shown, never trusted for liveness, so a test clock
//! (which feeds `beat` and `now`) can never make a live worker look dead.

use std::collections::BTreeMap;

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;

use super::write::release_all;
use crate::engine::clock::now_secs;
use crate::engine::store::{Heartbeat, LocalHost, ProcessRecord, Result, WorkRecord};

/// Signals not popped within this many seconds are dropped (Redis: EXPIRE 60).
const SIGNAL_TTL_SECS: f64 = 60.0;

/// Writes a heartbeat; pops and returns the oldest pending signal.
pub fn heartbeat(tx: &Transaction<'_>, beat: &Heartbeat) -> Result<Option<String>> {
    let wall = now_secs();
    let work: serde_json::Map<String, Value> = beat
        .work
        .iter()
        .map(|(tid, json)| (tid.clone(), Value::String(json.clone())))
        .collect();
    tx.prepare_cached(
        "INSERT INTO processes(identity, info, busy, beat, quiet, rss_kb, rtt_us, work, ttl_secs, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(identity) DO UPDATE SET info = excluded.info, busy = excluded.busy,
             beat = excluded.beat, quiet = excluded.quiet, rss_kb = excluded.rss_kb,
             rtt_us = excluded.rtt_us, work = excluded.work, ttl_secs = excluded.ttl_secs,
             expires_at = excluded.expires_at",
    )?
    .execute(params![
        beat.identity,
        beat.info_json,
        beat.busy as i64,
        beat.beat,
        beat.quiet,
        i64::try_from(beat.rss_kb).unwrap_or(i64::MAX),
        i64::try_from(beat.rtt_us).unwrap_or(i64::MAX),
        Value::Object(work).to_string(),
        i64::try_from(beat.ttl_secs).unwrap_or(i64::MAX),
        wall + beat.ttl_secs as f64,
    ])?;
    tx.prepare_cached("DELETE FROM signals WHERE sent_at < ?1")?
        .execute([wall - SIGNAL_TTL_SECS])?;
    let next: Option<(i64, String)> = tx
        .prepare_cached("SELECT id, signal FROM signals WHERE identity = ?1 ORDER BY id LIMIT 1")?
        .query_row([&beat.identity], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match next {
        Some((id, signal)) => {
            tx.prepare_cached("DELETE FROM signals WHERE id = ?1")?
                .execute([id])?;
            Some(signal)
        }
        None => None,
    })
}

pub fn signal(tx: &Transaction<'_>, identity: &str, signal: &str) -> Result<()> {
    tx.prepare_cached("INSERT INTO signals(identity, signal, sent_at) VALUES (?1, ?2, ?3)")?
        .execute(params![identity, signal, now_secs()])?;
    Ok(())
}

fn forget(tx: &Transaction<'_>, identity: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM processes WHERE identity = ?1")?
        .execute([identity])?;
    super::idle::leave(tx, identity)
}

/// A clean stop: returns anything still held, then leaves the registry.
/// Returns how many jobs went back.
pub fn clear_heartbeat(tx: &Transaction<'_>, identity: &str) -> Result<usize> {
    let n = release_all(tx, identity)?;
    forget(tx, identity)?;
    Ok(n)
}

/// Returns the jobs held by dead processes to the front of their queues and
/// drops those processes from the registry. Dead: no live heartbeat, or on
/// this machine with its pid gone.
pub fn recover_orphans(tx: &Transaction<'_>, local: &LocalHost) -> Result<usize> {
    let wall = now_secs();
    let holders: Vec<String> = tx
        .prepare_cached(
            "SELECT DISTINCT claimed_by FROM jobs WHERE state = 'claimed' AND claimed_by IS NOT NULL",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut dead: Vec<String> = Vec::new();
    for identity in holders {
        let row: Option<(String, f64)> = tx
            .prepare_cached("SELECT info, expires_at FROM processes WHERE identity = ?1")?
            .query_row([&identity], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let is_dead = match &row {
            None => true,
            Some((_, expires_at)) if *expires_at <= wall => true,
            Some((info, _)) => locally_dead(local, info),
        };
        if is_dead {
            dead.push(identity);
        }
    }
    // Processes known dead on this machine leave the Busy page now, whether
    // or not they held anything.
    let rows: Vec<(String, String)> = tx
        .prepare_cached("SELECT identity, info FROM processes WHERE expires_at > ?1")?
        .query_map([wall], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (identity, info) in rows {
        if locally_dead(local, &info) && !dead.contains(&identity) {
            dead.push(identity);
        }
    }
    let mut total = 0;
    for identity in &dead {
        let n = release_all(tx, identity)?;
        if n > 0 {
            tracing::warn!(identity = %identity, jobs = n, "recovered jobs of a dead process");
        }
        total += n;
        forget(tx, identity)?;
    }
    Ok(total)
}

fn locally_dead(local: &LocalHost, info: &str) -> bool {
    serde_json::from_str::<Value>(info)
        .map(|v| local.is_dead_locally(&v))
        .unwrap_or(false)
}

/// Deletes expired heartbeats (what `Sidekiq::ProcessSet#cleanup` does).
pub fn prune(tx: &Transaction<'_>) -> Result<usize> {
    Ok(tx
        .prepare_cached("DELETE FROM processes WHERE expires_at <= ?1")?
        .execute([now_secs()])?)
}

/// Live processes, by identity, and whether expired ones are waiting to be pruned.
pub fn processes(tx: &Transaction<'_>) -> Result<(Vec<ProcessRecord>, bool)> {
    let wall = now_secs();
    let expired: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM processes WHERE expires_at <= ?1)")?
        .query_row([wall], |r| r.get(0))?;
    let mut stmt = tx.prepare_cached(
        "SELECT identity, info, busy, beat, quiet, rss_kb, rtt_us FROM processes
         WHERE expires_at > ?1 ORDER BY identity",
    )?;
    let rows = stmt.query_map([wall], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, f64>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, i64>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (identity, info, busy, beat, quiet, rss, rtt) = row?;
        let Ok(info) = serde_json::from_str::<Value>(&info) else {
            continue;
        };
        out.push(ProcessRecord {
            identity,
            info,
            busy: busy.max(0) as u64,
            beat,
            quiet,
            rss_kb: rss.max(0) as u64,
            rtt_us: rtt.max(0) as u64,
        });
    }
    Ok((out, expired))
}

/// Jobs in progress on every live process, oldest first.
pub fn work(tx: &Transaction<'_>) -> Result<Vec<WorkRecord>> {
    let rows: Vec<(String, String)> = tx
        .prepare_cached("SELECT identity, work FROM processes WHERE expires_at > ?1")?
        .query_map([now_secs()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for (identity, work) in rows {
        let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(&work) else {
            continue;
        };
        out.extend(
            map.iter()
                .filter_map(|(tid, json)| WorkRecord::parse(&identity, tid, json)),
        );
    }
    out.sort_by(|a, b| a.run_at.total_cmp(&b.run_at));
    Ok(out)
}

/// (count, Σ busy) of live processes.
pub fn busy_totals(tx: &Transaction<'_>) -> Result<(u64, u64)> {
    let (n, busy): (i64, i64) = tx
        .prepare_cached(
            "SELECT count(*), coalesce(sum(busy), 0) FROM processes WHERE expires_at > ?1",
        )?
        .query_row([now_secs()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((n.max(0) as u64, busy.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn beat(identity: &str, ttl_secs: u64) -> Heartbeat {
        Heartbeat {
            identity: identity.into(),
            info_json: r#"{"pid":1}"#.into(),
            busy: 0,
            concurrency: 5,
            beat: 1.0,
            quiet: true,
            rss_kb: 0,
            rtt_us: 0,
            work: vec![(
                "t".into(),
                r#"{"queue":"q","payload":"{}","run_at":3}"#.into(),
            )],
            ttl_secs,
        }
    }

    #[test]
    fn liveness_follows_the_wall_clock_not_the_beat_field() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let tx = conn.transaction().unwrap();
        // `beat` = 1.0 (a test clock) does not make the process look dead.
        heartbeat(&tx, &beat("a", 60)).unwrap();
        heartbeat(&tx, &beat("b", 0)).unwrap();
        let (live, expired) = processes(&tx).unwrap();
        assert_eq!(live.len(), 1);
        assert!(live[0].quiet && expired);
        assert_eq!(prune(&tx).unwrap(), 1);
        assert_eq!(busy_totals(&tx).unwrap(), (1, 0));
        assert_eq!(work(&tx).unwrap()[0].queue, "q");
    }

    #[test]
    fn stale_signals_are_dropped() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let tx = conn.transaction().unwrap();
        signal(&tx, "a", "TSTP").unwrap();
        tx.execute("UPDATE signals SET sent_at = sent_at - 61", [])
            .unwrap();
        signal(&tx, "a", "TERM").unwrap();
        assert_eq!(
            heartbeat(&tx, &beat("a", 60)).unwrap().as_deref(),
            Some("TERM")
        );
        assert_eq!(heartbeat(&tx, &beat("a", 60)).unwrap(), None);
    }
}
