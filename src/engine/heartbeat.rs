//! Who this process is and what it tells the store every few seconds:
//! identity `hostname:pid:hex12` (unique per start), the `info` JSON that
//! Sidekiq's Busy page reads (plus the host's IP), busy count, RSS, Redis RTT,
//! and the jobs in progress as Sidekiq's work hash entries.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use rand::RngCore;
use serde_json::{json, Value};

use super::job::hex;
use super::manager::Probe;
use super::queue::QueueSpec;
use super::store::{Heartbeat, LocalHost};

/// Sidekiq 6's `BEAT_PAUSE`.
pub const BEAT_SECS: u64 = 5;
/// The heartbeat hash lives this long without renewal.
pub const BEAT_TTL_SECS: u64 = 60;

#[derive(Debug, Clone)]
pub struct ProcessIdentity {
    pub identity: String,
    /// The name shown as hostname: `--name`, `DYNO`, or the machine's hostname.
    pub hostname: String,
    pub pid: u32,
    pub ip: String,
    pub started_at: f64,
    /// Serialised once, as Sidekiq does.
    pub info_json: String,
    /// tid per processor slot, base 36 like Sidekiq's.
    pub tids: Vec<String>,
    /// Processor threads, also written as the hash's own `concurrency`
    /// field, which Sidekiq 8 reads in preference to `info.concurrency`.
    pub concurrency: usize,
}

pub struct IdentityParams<'a> {
    pub hostname: String,
    pub ip: String,
    pub tag: &'a str,
    pub labels: &'a [String],
    pub concurrency: usize,
    pub queues: &'a QueueSpec,
    pub started_at: f64,
    pub local: &'a LocalHost,
}

impl ProcessIdentity {
    pub fn new(p: IdentityParams<'_>) -> ProcessIdentity {
        let pid = std::process::id();
        let mut nonce = [0u8; 6];
        rand::rng().fill_bytes(&mut nonce);
        let identity = format!("{}:{}:{}", p.hostname, pid, hex(&nonce));
        let queues: Vec<&str> = p.queues.queues().iter().map(|q| q.as_str()).collect();
        let weights: serde_json::Map<String, Value> = p
            .queues
            .weights()
            .iter()
            .map(|(q, w)| (q.to_string(), Value::from(*w)))
            .collect();
        let info = json!({
            "hostname": p.hostname,
            "started_at": p.started_at,
            "pid": pid,
            "tag": p.tag,
            "concurrency": p.concurrency,
            "queues": queues,
            "labels": p.labels,
            "identity": identity,
            "version": concat!("kiqlab ", env!("CARGO_PKG_VERSION")),
            // Sidekiq 7's `weights` (one hash per capsule), deprecated by
            // 8.x's `capsules` (a name ⇒ concurrency, mode, weights).
            "weights": [weights],
            "capsules": {"default": {
                "concurrency": p.concurrency,
                "mode": capsule_mode(p.queues),
                "weights": weights,
            }},
            "ip": p.ip,
            "pid_space": p.local.pid_space,
        });
        let mut tid_seed = [0u8; 4];
        rand::rng().fill_bytes(&mut tid_seed);
        let seed = u64::from(u32::from_le_bytes(tid_seed));
        let tids = (0..p.concurrency as u64)
            .map(|i| base36((seed << 8) ^ (i + 1) ^ u64::from(pid)))
            .collect();
        ProcessIdentity {
            identity,
            hostname: p.hostname,
            pid,
            ip: p.ip,
            started_at: p.started_at,
            info_json: info.to_string(),
            tids,
            concurrency: p.concurrency,
        }
    }

    /// The heartbeat for this moment.
    pub fn beat(&self, probe: Option<&Probe>, now: f64, quiet: bool, rtt_us: u64) -> Heartbeat {
        let running = probe.map(Probe::running).unwrap_or_default();
        let work = running
            .iter()
            .map(|(slot, r)| {
                let payload = String::from_utf8_lossy(&r.unit.payload);
                let tid = self
                    .tids
                    .get(*slot)
                    .cloned()
                    .unwrap_or_else(|| slot.to_string());
                let entry = json!({
                    "queue": r.unit.queue.as_str(),
                    "payload": payload,
                    "run_at": r.run_at as i64,
                });
                (tid, entry.to_string())
            })
            .collect();
        Heartbeat {
            identity: self.identity.clone(),
            info_json: self.info_json.clone(),
            busy: running.len(),
            concurrency: self.concurrency,
            beat: now,
            quiet,
            rss_kb: rss_kb(),
            rtt_us,
            work,
            ttl_secs: BEAT_TTL_SECS,
        }
    }
}

/// Sidekiq 8's `Capsule#mode`: `strict` when every weight is 0, `random`
/// when every weight is 1, else `weighted`.
fn capsule_mode(queues: &QueueSpec) -> &'static str {
    let w = queues.weights();
    if w.iter().all(|(_, n)| *n == 0) {
        "strict"
    } else if w.iter().all(|(_, n)| *n == 1) {
        "random"
    } else {
        "weighted"
    }
}

fn base36(mut n: u64) -> String {
    const D: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(D[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `DYNO` (Heroku) or the machine's hostname, as Sidekiq picks it.
pub fn default_hostname() -> String {
    std::env::var("DYNO")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned())
}

/// Resident set size in KB (`VmRSS`), 0 where unknown.
pub fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The IP this host is known by: the local address of a route towards
/// `target` (the Redis server), else towards the default route, else the
/// first non-loopback interface address, else 127.0.0.1.
pub fn detect_ip(target: Option<SocketAddr>) -> String {
    let via = |addr: SocketAddr| -> Option<IpAddr> {
        let bind = if addr.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let s = UdpSocket::bind(bind).ok()?;
        s.connect(addr).ok()?;
        s.local_addr().ok().map(|a| a.ip())
    };
    if let Some(ip) = target.and_then(via).filter(|ip| !ip.is_loopback()) {
        return ip.to_string();
    }
    // TEST-NET-1: connecting a UDP socket sends nothing, it only picks a route.
    if let Some(ip) = via(SocketAddr::from(([192, 0, 2, 1], 9))).filter(|ip| !ip.is_loopback()) {
        return ip.to_string();
    }
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        if let Some(i) = ifaces.iter().find(|i| !i.is_loopback() && i.ip().is_ipv4()) {
            return i.ip().to_string();
        }
    }
    "127.0.0.1".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_host_pid_hex12_and_unique() {
        let spec = QueueSpec::default();
        let local = LocalHost::detect();
        let make = || {
            ProcessIdentity::new(IdentityParams {
                hostname: "worker-01".into(),
                ip: "10.0.0.11".into(),
                tag: "app",
                labels: &[],
                concurrency: 3,
                queues: &spec,
                started_at: 1.5,
                local: &local,
            })
        };
        let a = make();
        let b = make();
        assert_ne!(a.identity, b.identity);
        let parts: Vec<&str> = a.identity.split(':').collect();
        assert_eq!(parts[0], "worker-01");
        assert_eq!(parts[1], std::process::id().to_string());
        assert_eq!(parts[2].len(), 12);
        let info: Value = serde_json::from_str(&a.info_json).unwrap();
        for k in [
            "hostname",
            "started_at",
            "pid",
            "tag",
            "concurrency",
            "queues",
            "labels",
            "identity",
            "ip",
        ] {
            assert!(info.get(k).is_some(), "info lacks {k}");
        }
        assert_eq!(info["queues"], json!(["default"]));
        assert_eq!(
            info["capsules"],
            json!({"default": {"concurrency": 3, "mode": "strict", "weights": {"default": 0}}})
        );
        assert_eq!(a.tids.len(), 3);
        let hb = a.beat(None, 10.0, false, 90);
        assert_eq!((hb.busy, hb.ttl_secs, hb.rtt_us), (0, 60, 90));
        assert_eq!(hb.concurrency, 3);
    }

    #[test]
    fn rss_and_ip_are_plausible() {
        assert!(rss_kb() > 0);
        let ip = detect_ip(None);
        assert!(ip.parse::<IpAddr>().is_ok(), "{ip}");
    }
}
