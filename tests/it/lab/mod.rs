//! The lab (issues 7 and 16): the network-namespace lab end to end (the
//! fast one), the Vagrant provisioning replayed under systemd in
//! containers, the autoscaler with real child processes, the Procfile, the
//! Vagrantfile and provisioning scripts, and every command of the
//! walkthroughs.

mod autoscale;
mod files;
mod netns;
mod procfile;
mod systemd;
mod walkthroughs;

use std::path::{Path, PathBuf};

use tokio::sync::{Mutex, MutexGuard};

/// The namespace and container labs use machine-wide names (`web`,
/// `worker-01`, `/run/kiqlab-lab`, 192.168.56.0/24), so the tests that
/// bring one up take turns: in this process (a mutex) and with other test
/// runs on the machine, from other checkouts too (a lock file).
static NETNS_LAB: Mutex<()> = Mutex::const_new(());

const MACHINE_LOCK: &str = "/run/kiqlab-lab-tests.lock";

pub struct LabTurn {
    _in_process: MutexGuard<'static, ()>,
    _machine: Option<std::fs::File>,
}

pub async fn netns_lab_turn() -> LabTurn {
    let in_process = NETNS_LAB.lock().await;
    // Released when the file is closed, so also when a run is killed.
    let machine = tokio::task::spawn_blocking(|| {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(MACHINE_LOCK)
            .ok()?;
        f.lock().ok()?;
        Some(f)
    })
    .await
    .unwrap();
    LabTurn {
        _in_process: in_process,
        _machine: machine,
    }
}

/// Call holding the lab turn. True when the namespace lab's names are free
/// for this test: nothing there, or a lab the tests made (marked so by
/// `KIQLAB_LAB_BY_TESTS`) that a killed run left, now taken down; under CI,
/// any leftover is taken down (the machine is the run's own). A lab brought
/// up by hand outside CI is not touched: the test is skipped with a message.
pub fn netns_lab_free(test: &str) -> bool {
    let mark = Path::new("/run/kiqlab-lab/owner");
    let leftover_ns = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.split_whitespace().next() == Some("kiqlab-lan"))
        })
        .unwrap_or(false);
    if !mark.exists() && !leftover_ns {
        return true;
    }
    let by_tests = std::fs::read_to_string(mark)
        .map(|m| m.contains("(made by the tests)"))
        .unwrap_or(false);
    if !by_tests && std::env::var_os("CI").is_none() {
        eprintln!(
            "SKIPPED {test}: a namespace lab is already up (scripts/lab-netns status); not touching it"
        );
        return false;
    }
    eprintln!("{test}: taking down the namespace lab a killed run left");
    let o = std::process::Command::new(repo_file("scripts/lab-netns"))
        .args(["down", "--force"])
        .output()
        .expect("run scripts/lab-netns down --force");
    assert!(
        o.status.success(),
        "{test}: lab-netns down --force: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    true
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_file(rel: &str) -> PathBuf {
    repo().join(rel)
}

/// True when this test may build network namespaces. Without root it is
/// skipped with a message, except under CI, where that is a failure.
pub fn can_use_netns(test: &str) -> bool {
    let root = rustix::process::geteuid().is_root();
    let tools = ["ip", "nsenter", "unshare", "redis-server", "curl"]
        .iter()
        .all(|t| which(t).is_some());
    if root && tools {
        return true;
    }
    let why = if root {
        "ip, nsenter, unshare, redis-server or curl is missing"
    } else {
        "it needs root (network namespaces)"
    };
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why}, and CI is set");
    }
    eprintln!("SKIPPED {test}: {why}");
    false
}

/// A program on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}
