//! The manager's long-running tasks: the fetch loop (with the sweep for
//! jobs held but never received), the processors, and the acknowledger.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{lock, requeue_with_retry, Running, Shared, ACK_BATCH, FETCH_BLOCK};
use crate::engine::processor;
use crate::engine::store::{Completion, Fetcher, UnitOfWork};
use crate::shutdown::Shutdown;

/// Adds fetched units to the buffer for the processors.
fn accept(shared: &Shared, units: Vec<UnitOfWork>) {
    let n = units.len();
    if n == 0 {
        return;
    }
    shared.hold(&units);
    shared.held.fetch_add(n, Ordering::AcqRel);
    {
        let mut buf = lock(&shared.buffer);
        for u in units {
            buf.push(u);
        }
    }
    shared.available.add_permits(n);
}

/// Jobs the store holds for us that we never received (a fetch reply lost
/// to a dropped connection) would wait until this process dies. Entries seen
/// unknown in two sweeps in a row go back to their queues.
async fn sweep(
    shared: &Shared,
    fetcher: &mut Box<dyn Fetcher>,
    suspects: &mut HashSet<bytes::Bytes>,
) {
    accept(shared, fetcher.take_pending());
    let held = match shared
        .store
        .held(&shared.identity, shared.spec.queues())
        .await
    {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!(error = %e, "sweep: cannot list held jobs");
            return;
        }
    };
    let mut unknown = Vec::new();
    {
        let mut local = lock(&shared.local).clone();
        for u in held {
            match local.get_mut(&u.payload) {
                Some(n) if *n > 0 => *n -= 1,
                _ => unknown.push(u),
            }
        }
    }
    let (stranded, fresh): (Vec<UnitOfWork>, Vec<UnitOfWork>) = unknown
        .into_iter()
        .partition(|u| suspects.contains(&u.payload));
    *suspects = fresh.into_iter().map(|u| u.payload).collect();
    if !stranded.is_empty() {
        tracing::warn!(
            jobs = stranded.len(),
            "returning held jobs this worker never received (a lost fetch reply) to their queues"
        );
        requeue_with_retry(shared, stranded).await;
    }
}

pub(super) async fn fetch_loop(
    shared: Arc<Shared>,
    mut fetcher: Box<dyn Fetcher>,
    quiet: Shutdown,
) {
    let mut backoff = Duration::from_millis(50);
    let mut suspects: HashSet<bytes::Bytes> = HashSet::new();
    let mut last_sweep = tokio::time::Instant::now();
    loop {
        if quiet.is_triggered() {
            break;
        }
        if last_sweep.elapsed() >= shared.sweep_interval {
            sweep(&shared, &mut fetcher, &mut suspects).await;
            last_sweep = tokio::time::Instant::now();
        }
        let held = shared.held.load(Ordering::Acquire);
        let cap = shared.capacity();
        if held >= cap {
            tokio::select! {
                _ = shared.slot_freed.notified() => {}
                _ = quiet.wait() => {}
                _ = tokio::time::sleep(shared.sweep_interval) => {}
            }
            continue;
        }
        let order = shared.spec.fetch_order();
        let fetched = tokio::select! {
            r = fetcher.fetch(&order, cap - held, FETCH_BLOCK) => r,
            _ = quiet.wait() => break,
        };
        match fetched {
            Ok(units) => {
                backoff = Duration::from_millis(50);
                accept(&shared, units);
            }
            Err(e) if e.is_fatal() => {
                tracing::error!(error = %e, "the job store cannot be used; stopping");
                *lock(&shared.fatal) = Some(e.to_string());
                shared.failed.trigger();
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "fetch failed");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = quiet.wait() => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    // Quiet: give back what was fetched but not started.
    let mut back: Vec<UnitOfWork> = lock(&shared.buffer)
        .drain()
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    let buffered = back.len();
    match fetcher.close().await {
        // Late arrivals from close() were never counted in `held`.
        Ok(late) => back.extend(late),
        Err(e) => tracing::warn!(error = %e, "closing the fetcher failed"),
    }
    if !back.is_empty() {
        let n = back.len();
        shared.release(back.iter().map(|u| &u.payload));
        requeue_with_retry(&shared, back).await;
        tracing::info!(jobs = n, "quiet: returned prefetched jobs to their queues");
    }
    shared.unhold(buffered);
}

pub(super) async fn processor_loop(
    shared: Arc<Shared>,
    idx: usize,
    done: mpsc::UnboundedSender<Completion>,
) {
    loop {
        match shared.available.acquire().await {
            Ok(p) => p.forget(),
            Err(_) => return,
        }
        let Some((seq, unit)) = lock(&shared.buffer).take(&shared.spec) else {
            continue;
        };
        let run_at = shared.env.clock.now();
        *lock(&shared.slots[idx]) = Some(Running {
            unit: unit.clone(),
            run_at,
            seq,
        });
        let completion = processor::process(&shared.env, &unit).await;
        if let Some(r) = &completion.record {
            shared.record_duration(r.duration_ms);
        }
        // No await between taking the slot and sending: a stop that cancels
        // this task either sees the job in the slot (and requeues it) or not.
        if lock(&shared.slots[idx]).take().is_some() {
            let _ = done.send(completion);
        }
        shared.executed.fetch_add(1, Ordering::Relaxed);
        shared.unhold(1);
        shared.slot_freed.notify_one();
    }
}

pub(super) async fn acker_loop(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Completion>) {
    let mut buf: Vec<Completion> = Vec::with_capacity(ACK_BATCH);
    let mut backoff = Duration::from_millis(50);
    loop {
        if buf.is_empty() {
            if rx.recv_many(&mut buf, ACK_BATCH).await == 0 {
                return;
            }
        } else {
            while buf.len() < ACK_BATCH {
                match rx.try_recv() {
                    Ok(c) => buf.push(c),
                    Err(_) => break,
                }
            }
        }
        let now = shared.env.clock.now();
        match shared.store.complete(&shared.identity, &buf, now).await {
            Ok(()) => {
                shared.release(buf.iter().map(|c| &c.unit.payload));
                buf.clear();
                backoff = Duration::from_millis(50);
                if shared.ack_failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("acknowledging works again");
                }
            }
            Err(e) => {
                if !shared.ack_failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, jobs = buf.len(), "cannot acknowledge finished jobs; retrying");
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}
