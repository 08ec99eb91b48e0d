//! Reads beyond Sidekiq's API on Redis: the recent-jobs feed
//! (`kiqlab:recent`), and the per-minute metrics and histograms in both
//! Sidekiq 7's and 8's layouts (`layouts`), merged.

use redis::aio::ConnectionManager;

use super::ack::{RECENT_KEY, RECENT_MAX};
use super::layouts::{
    histogram_key_v7, histogram_key_v8, merge_fields, metrics_key_v7, metrics_key_v8,
};
use crate::engine::store::metrics::{minute_of, ClassMinute, Histogram, BUCKETS};
use crate::engine::store::{JobRecord, Result};

pub async fn recent_jobs(
    con: &mut ConnectionManager,
    limit: u64,
    host: Option<&str>,
) -> Result<Vec<JobRecord>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    // The feed is short (1,000), so a host filter reads all of it.
    let stop = match host {
        Some(_) => RECENT_MAX - 1,
        None => i64::try_from(limit).unwrap_or(RECENT_MAX).min(RECENT_MAX) - 1,
    };
    let raws: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg(RECENT_KEY)
        .arg(0)
        .arg(stop)
        .query_async(con)
        .await?;
    Ok(raws
        .iter()
        .filter_map(|r| serde_json::from_slice::<JobRecord>(r).ok())
        .filter(|r| host.is_none_or(|h| r.host == h))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect())
}

/// The minute starts from `since` to `now`, at most 8 hours' worth.
fn minutes(since: f64, now: f64) -> Vec<i64> {
    let last = minute_of(now);
    let first = minute_of(since).max(last - crate::engine::store::metrics::METRICS_KEEP_SECS);
    (0..)
        .map(|i| first + i * 60)
        .take_while(|m| *m <= last)
        .collect()
}

pub async fn class_metrics(
    con: &mut ConnectionManager,
    since: f64,
    now: f64,
) -> Result<Vec<ClassMinute>> {
    let mins = minutes(since, now);
    if mins.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for m in &mins {
        pipe.cmd("HGETALL").arg(metrics_key_v7(*m as f64));
        pipe.cmd("HGETALL").arg(metrics_key_v8(*m as f64));
    }
    let hashes: Vec<Vec<(String, u64)>> = pipe.query_async(con).await?;
    let mut out = Vec::new();
    let mut pairs = hashes.into_iter();
    for minute in mins {
        let (v7, v8) = (
            pairs.next().unwrap_or_default(),
            pairs.next().unwrap_or_default(),
        );
        let fields = merge_fields(v7, v8);
        let mut by_class: std::collections::BTreeMap<String, ClassMinute> = Default::default();
        for (field, n) in fields {
            let Some((class, kind)) = field.rsplit_once('|') else {
                continue;
            };
            let e = by_class
                .entry(class.to_owned())
                .or_insert_with(|| ClassMinute {
                    minute,
                    class: class.to_owned(),
                    ms: 0,
                    executions: 0,
                    failures: 0,
                });
            match kind {
                "ms" => e.ms += n,
                "p" => e.executions += n,
                "f" => e.failures += n,
                _ => {}
            }
        }
        out.extend(by_class.into_values());
    }
    Ok(out)
}

pub async fn class_histogram(
    con: &mut ConnectionManager,
    class: &str,
    since: f64,
    now: f64,
) -> Result<Histogram> {
    let mut total = [0u64; BUCKETS];
    let mins = minutes(since, now);
    if mins.is_empty() {
        return Ok(total);
    }
    let mut pipe = redis::pipe();
    for m in &mins {
        for key in [
            histogram_key_v7(class, *m as f64),
            histogram_key_v8(class, *m as f64),
        ] {
            // BITFIELD with GETs only (BITFIELD_RO needs Redis 6.2).
            let mut bf = redis::cmd("BITFIELD");
            bf.arg(key);
            for i in 0..BUCKETS {
                bf.arg("GET").arg("u16").arg(format!("#{i}"));
            }
            pipe.add_command(bf);
        }
    }
    let rows: Vec<Vec<u64>> = pipe.query_async(con).await?;
    // Per minute, the larger of the two layouts' counts per bucket.
    for pair in rows.chunks(2) {
        let (v7, v8) = (&pair[0], pair.get(1).unwrap_or(&pair[0]));
        for (i, t) in total.iter_mut().enumerate() {
            let a = v7.get(i).copied().unwrap_or(0);
            let b = v8.get(i).copied().unwrap_or(0);
            *t += a.max(b);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_capped_at_the_kept_window() {
        assert_eq!(minutes(120.0, 245.0), vec![120, 180, 240]);
        assert_eq!(minutes(0.0, 100_000.0).len(), 481);
        assert!(minutes(300.0, 100.0).is_empty());
    }
}
