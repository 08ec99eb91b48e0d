//! The flow view's diff: one snapshot of the store after another becomes
//! events (enqueued to a queue, picked up by a worker, done, failed), one per
//! job, or per group above a rate so a burst of 500 does not flood a browser.
//!
//! What the store tells, and when: queue sizes and the feed of finished jobs
//! are written as they happen; the work a worker runs is written with its
//! heartbeat (every few seconds, as in Sidekiq). So a quick job is seen
//! picked up when it finishes, and a job a queue lost before its worker
//! reported it stays "taken" until the worker does.

use std::collections::{BTreeMap, HashSet, VecDeque};

use serde::Serialize;

/// Above this many events in one tick, the tick is sent grouped.
pub const AGGREGATE_ABOVE: usize = 20;
/// Finished runs remembered, so the feed's older entries are not told twice.
const REMEMBER: usize = 5000;
/// Ticks a queue's unexplained loss waits for its worker's heartbeat before
/// it is taken as a clear or a delete.
const TAKEN_PATIENCE: u32 = 40;

/// A job a worker runs now.
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    pub jid: String,
    pub class: String,
    pub queue: String,
    pub worker: String,
}

/// A finished run, from the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub jid: String,
    pub class: String,
    pub queue: String,
    pub worker: String,
    pub started_at: f64,
    pub ok: bool,
}

/// A live worker as the page draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerBox {
    pub name: String,
    pub ip: String,
    pub concurrency: u64,
    pub queues: Vec<String>,
}

/// What the store says now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub queues: BTreeMap<String, u64>,
    pub busy: Vec<Busy>,
    /// Newest first, as the feed gives them.
    pub finished: Vec<Finished>,
    pub workers: Vec<WorkerBox>,
    pub processed: u64,
    pub failed: u64,
}

/// One thing that happened, to `count` jobs (1 below the rate).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FlowEvent {
    Enqueued {
        queue: String,
        count: u64,
    },
    Picked {
        queue: String,
        worker: String,
        count: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        jid: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        class: Option<String>,
    },
    Done {
        worker: String,
        count: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        jid: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        class: Option<String>,
    },
    Failed {
        worker: String,
        count: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        jid: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        class: Option<String>,
    },
}

impl FlowEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            FlowEvent::Enqueued { .. } => "enqueued",
            FlowEvent::Picked { .. } => "picked",
            FlowEvent::Done { .. } => "done",
            FlowEvent::Failed { .. } => "failed",
        }
    }
}

/// Per worker, since the view started watching.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkerCounts {
    pub running: u64,
    pub done: u64,
    pub failed: u64,
}

/// The picture after a tick: what a new page draws first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlowState {
    pub queues: BTreeMap<String, u64>,
    pub workers: Vec<WorkerBox>,
    pub counts: BTreeMap<String, WorkerCounts>,
    pub processed: u64,
    pub failed: u64,
    /// Whether the last tick was sent grouped.
    pub aggregated: bool,
}

/// A tick's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub events: Vec<FlowEvent>,
    pub aggregated: bool,
}

/// Remembers the previous snapshot and turns the next into events.
#[derive(Debug, Default)]
pub struct Tracker {
    started: bool,
    sizes: BTreeMap<String, u64>,
    /// Jids seen running (so their pick-up is told once).
    busy: HashSet<String>,
    seen_runs: HashSet<(String, u64)>,
    seen_order: VecDeque<(String, u64)>,
    /// Per queue: jobs that left it whose worker has not said so yet
    /// (negative balance), and for how many ticks.
    taken: BTreeMap<String, (i64, u32)>,
    state: FlowState,
}

fn run_key(f: &Finished) -> (String, u64) {
    (f.jid.clone(), f.started_at.to_bits())
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    pub fn state(&self) -> &FlowState {
        &self.state
    }

    /// Whether this run of the feed was told already (or is the baseline's).
    pub fn knows(&self, f: &Finished) -> bool {
        self.seen_runs.contains(&run_key(f))
    }

    fn remember(&mut self, key: (String, u64)) -> bool {
        if !self.seen_runs.insert(key.clone()) {
            return false;
        }
        self.seen_order.push_back(key);
        while self.seen_order.len() > REMEMBER {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen_runs.remove(&old);
            }
        }
        true
    }

    /// The events between the previous snapshot and `snap`; the first
    /// snapshot is the baseline and tells nothing.
    pub fn tick(&mut self, snap: Snapshot) -> Tick {
        let first = !self.started;
        self.started = true;
        let mut single = Vec::new();
        // Jobs that left each queue this tick, as far as the workers say.
        let mut left: BTreeMap<String, i64> = BTreeMap::new();
        let now_busy: HashSet<String> = snap.busy.iter().map(|b| b.jid.clone()).collect();
        for b in &snap.busy {
            if !self.busy.contains(&b.jid) && !first {
                *left.entry(b.queue.clone()).or_default() += 1;
                single.push(FlowEvent::Picked {
                    queue: b.queue.clone(),
                    worker: b.worker.clone(),
                    count: 1,
                    jid: Some(b.jid.clone()),
                    class: Some(b.class.clone()),
                });
            }
        }
        // Oldest first, so a retried job's runs come in order.
        for f in snap.finished.iter().rev() {
            if !self.remember(run_key(f)) || first {
                continue;
            }
            if !self.busy.contains(&f.jid) && !now_busy.contains(&f.jid) {
                *left.entry(f.queue.clone()).or_default() += 1;
                single.push(FlowEvent::Picked {
                    queue: f.queue.clone(),
                    worker: f.worker.clone(),
                    count: 1,
                    jid: Some(f.jid.clone()),
                    class: Some(f.class.clone()),
                });
            }
            let (worker, jid, class) =
                (f.worker.clone(), Some(f.jid.clone()), Some(f.class.clone()));
            single.push(if f.ok {
                FlowEvent::Done {
                    worker,
                    count: 1,
                    jid,
                    class,
                }
            } else {
                FlowEvent::Failed {
                    worker,
                    count: 1,
                    jid,
                    class,
                }
            });
        }
        // Kept while a stale heartbeat still lists it, so it is picked once.
        self.busy = now_busy;
        let mut entered = Vec::new();
        if !first {
            let names: HashSet<&String> = snap
                .queues
                .keys()
                .chain(self.sizes.keys())
                .chain(left.keys())
                .collect();
            for q in names {
                let before = self.sizes.get(q).copied().unwrap_or(0) as i64;
                let now = snap.queues.get(q).copied().unwrap_or(0) as i64;
                let (balance, waited) = self.taken.entry(q.clone()).or_default();
                *balance += now - before + left.get(q).copied().unwrap_or(0);
                if *balance > 0 {
                    entered.push(FlowEvent::Enqueued {
                        queue: q.clone(),
                        count: *balance as u64,
                    });
                    *balance = 0;
                }
                if *balance < 0 {
                    *waited += 1;
                    if *waited > TAKEN_PATIENCE {
                        *balance = 0;
                    }
                }
                if *balance == 0 {
                    *waited = 0;
                }
            }
        }
        // Enqueued first: a job lands before a worker takes it.
        let enqueued: u64 = entered
            .iter()
            .map(|e| match e {
                FlowEvent::Enqueued { count, .. } => *count,
                _ => 0,
            })
            .sum();
        let total = enqueued as usize + single.len();
        let aggregated = total > AGGREGATE_ABOVE;
        let mut events = Vec::new();
        if aggregated {
            events.extend(entered);
            events.extend(group(&single));
        } else {
            for e in entered {
                if let FlowEvent::Enqueued { queue, count } = e {
                    for _ in 0..count {
                        events.push(FlowEvent::Enqueued {
                            queue: queue.clone(),
                            count: 1,
                        });
                    }
                }
            }
            events.extend(single);
        }
        self.sizes = snap.queues.clone();
        self.update_state(&snap, &events, aggregated);
        Tick { events, aggregated }
    }

    fn update_state(&mut self, snap: &Snapshot, events: &[FlowEvent], aggregated: bool) {
        let s = &mut self.state;
        s.queues = snap.queues.clone();
        s.workers = snap.workers.clone();
        s.processed = snap.processed;
        s.failed = snap.failed;
        s.aggregated = aggregated;
        for w in &snap.workers {
            s.counts.entry(w.name.clone()).or_default();
        }
        for c in s.counts.values_mut() {
            c.running = 0;
        }
        // A finished job is no longer running, whatever a stale heartbeat says.
        let finished: HashSet<&str> = snap.finished.iter().map(|f| f.jid.as_str()).collect();
        for b in snap
            .busy
            .iter()
            .filter(|b| !finished.contains(b.jid.as_str()))
        {
            s.counts.entry(b.worker.clone()).or_default().running += 1;
        }
        for e in events {
            match e {
                FlowEvent::Done { worker, count, .. } => {
                    s.counts.entry(worker.clone()).or_default().done += count
                }
                FlowEvent::Failed { worker, count, .. } => {
                    s.counts.entry(worker.clone()).or_default().failed += count
                }
                _ => {}
            }
        }
    }
}

/// Picked per (queue, worker), done and failed per worker, in that order.
fn group(single: &[FlowEvent]) -> Vec<FlowEvent> {
    let mut picked: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut done: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed: BTreeMap<String, u64> = BTreeMap::new();
    for e in single {
        match e {
            FlowEvent::Picked {
                queue,
                worker,
                count,
                ..
            } => *picked.entry((queue.clone(), worker.clone())).or_default() += count,
            FlowEvent::Done { worker, count, .. } => {
                *done.entry(worker.clone()).or_default() += count
            }
            FlowEvent::Failed { worker, count, .. } => {
                *failed.entry(worker.clone()).or_default() += count
            }
            FlowEvent::Enqueued { .. } => {}
        }
    }
    let mut out: Vec<FlowEvent> = picked
        .into_iter()
        .map(|((queue, worker), count)| FlowEvent::Picked {
            queue,
            worker,
            count,
            jid: None,
            class: None,
        })
        .collect();
    out.extend(done.into_iter().map(|(worker, count)| FlowEvent::Done {
        worker,
        count,
        jid: None,
        class: None,
    }));
    out.extend(failed.into_iter().map(|(worker, count)| FlowEvent::Failed {
        worker,
        count,
        jid: None,
        class: None,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|(q, n)| (q.to_string(), *n)).collect()
    }

    fn fin(jid: &str, worker: &str, ok: bool) -> Finished {
        Finished {
            jid: jid.into(),
            class: "HighlightWorker".into(),
            queue: "default".into(),
            worker: worker.into(),
            started_at: 1.0,
            ok,
        }
    }

    fn count(events: &[FlowEvent], name: &str) -> u64 {
        events
            .iter()
            .filter(|e| e.name() == name)
            .map(|e| match e {
                FlowEvent::Enqueued { count, .. }
                | FlowEvent::Picked { count, .. }
                | FlowEvent::Done { count, .. }
                | FlowEvent::Failed { count, .. } => *count,
            })
            .sum()
    }

    #[test]
    fn a_slow_job_is_enqueued_then_picked_then_done() {
        let mut t = Tracker::new();
        assert!(t.tick(Snapshot::default()).events.is_empty());
        let e = t.tick(Snapshot {
            queues: queues(&[("default", 1)]),
            ..Default::default()
        });
        assert_eq!(
            e.events,
            vec![FlowEvent::Enqueued {
                queue: "default".into(),
                count: 1
            }]
        );
        let busy = Busy {
            jid: "a".into(),
            class: "DemoWorker".into(),
            queue: "default".into(),
            worker: "worker-01".into(),
        };
        let e = t.tick(Snapshot {
            busy: vec![busy.clone()],
            ..Default::default()
        });
        assert_eq!(e.events.len(), 1, "{e:?}");
        assert_eq!(e.events[0].name(), "picked");
        assert_eq!(t.state().counts["worker-01"].running, 1);
        // The heartbeat still lists it when the feed already has it.
        let e = t.tick(Snapshot {
            busy: vec![busy],
            finished: vec![fin("a", "worker-01", true)],
            ..Default::default()
        });
        assert_eq!(
            e.events.iter().map(FlowEvent::name).collect::<Vec<_>>(),
            ["done"]
        );
        assert_eq!(t.state().counts["worker-01"].done, 1);
    }

    #[test]
    fn a_quick_job_seen_only_when_finished_is_told_whole() {
        let mut t = Tracker::new();
        t.tick(Snapshot::default());
        let e = t.tick(Snapshot {
            finished: vec![fin("b", "worker-02", false)],
            ..Default::default()
        });
        let names: Vec<_> = e.events.iter().map(FlowEvent::name).collect();
        assert_eq!(names, ["enqueued", "picked", "failed"]);
        // Told once.
        let e = t.tick(Snapshot {
            finished: vec![fin("b", "worker-02", false)],
            ..Default::default()
        });
        assert!(e.events.is_empty());
        assert_eq!(t.state().counts["worker-02"].failed, 1);
    }

    #[test]
    fn the_baseline_tells_nothing_of_the_past() {
        let mut t = Tracker::new();
        let e = t.tick(Snapshot {
            queues: queues(&[("default", 7)]),
            finished: vec![fin("old", "worker-01", true)],
            ..Default::default()
        });
        assert!(e.events.is_empty());
        assert_eq!(t.state().queues["default"], 7);
    }

    #[test]
    fn a_burst_is_grouped_and_adds_up() {
        let mut t = Tracker::new();
        t.tick(Snapshot::default());
        let e = t.tick(Snapshot {
            queues: queues(&[("default", 500)]),
            ..Default::default()
        });
        assert!(e.aggregated);
        assert_eq!(e.events.len(), 1);
        assert_eq!(count(&e.events, "enqueued"), 500);
        let finished: Vec<_> = (0..300)
            .map(|i| {
                fin(
                    &format!("j{i}"),
                    if i % 2 == 0 { "worker-01" } else { "worker-02" },
                    true,
                )
            })
            .collect();
        let e = t.tick(Snapshot {
            queues: queues(&[("default", 200)]),
            finished,
            ..Default::default()
        });
        assert!(e.aggregated);
        assert_eq!(count(&e.events, "enqueued"), 0);
        assert_eq!(count(&e.events, "picked"), 300);
        assert_eq!(count(&e.events, "done"), 300);
        assert!(e.events.len() <= 4, "{e:?}");
        assert_eq!(t.state().counts["worker-01"].done, 150);
    }

    #[test]
    fn a_job_taken_before_its_worker_reports_is_not_enqueued_twice() {
        let mut t = Tracker::new();
        t.tick(Snapshot {
            queues: queues(&[("default", 1)]),
            ..Default::default()
        });
        // Gone from the queue; the worker's heartbeat has not come yet.
        assert!(t.tick(Snapshot::default()).events.is_empty());
        let e = t.tick(Snapshot {
            busy: vec![Busy {
                jid: "c".into(),
                class: "DemoWorker".into(),
                queue: "default".into(),
                worker: "worker-01".into(),
            }],
            ..Default::default()
        });
        assert_eq!(
            e.events.iter().map(FlowEvent::name).collect::<Vec<_>>(),
            ["picked"]
        );
    }
}
