//! Runs every command of `docs/walkthroughs/*.md`, page by page, in the
//! order written, the way a reader would: each page in a network namespace
//! of its own (so the pages' default ports 3000, 1025, 6379… collide with
//! nothing) and a fresh directory holding the project's scripts, with
//! `kiqlab` on PATH.
//!
//! The commands are the ```` ```sh ```` blocks; words after `sh` say how:
//!
//! - (none): run with `bash -euo pipefail`; must succeed.
//! - `background [name=N] [wait-for=URL]`: a server left running (the
//!   reader's other terminal) until the page ends; the next block waits
//!   until URL answers.
//! - `interrupt=N`: first press Ctrl-C in N's terminal (SIGINT to its
//!   process group) and wait for it to end.
//! - `min-s=S`, `max-s=S`: the block's wall time, the response times the
//!   page promises.
//! - `root`: brings up the namespace lab (`sudo scripts/lab-netns …`); the
//!   page takes the lab's turn and `scripts/lab-netns down` runs at its end.
//! - `vagrant`: needs VirtualBox, so it is checked instead of run: every line
//!   is `vagrant SUBCOMMAND [MACHINE…]` with machines the Vagrantfile defines
//!   (and `vagrant validate` passes).
//! - `heroku`: needs a Heroku account, so it is checked: known subcommands,
//!   `ps:scale` process types from the Procfile, `config:set` variables that
//!   kiqlab (or a command on the page) reads.
//!
//! Other fences (```` ```text ````, ```` ```ruby ````) are output or the
//! original's code, not commands.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{kill_process_group, Pid, Signal};

use super::procfile::procfile;
use super::{can_use_netns, netns_lab_free, netns_lab_turn, repo, repo_file, which};
use crate::support::{kiqlab_bin, temp_dir};

#[derive(Debug, Clone)]
struct Block {
    line: usize,
    tags: Vec<String>,
    body: String,
}

impl Block {
    fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find_map(|t| t.strip_prefix(key)?.strip_prefix('='))
    }

    fn secs(&self, key: &str) -> Option<Duration> {
        self.value(key)
            .map(|v| Duration::from_secs_f64(v.parse().unwrap_or_else(|_| panic!("{key}={v}"))))
    }
}

/// The ```sh blocks of a page.
fn blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = md.lines().enumerate();
    while let Some((n, l)) = lines.next() {
        let Some(info) = l.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let is_sh = words.next() == Some("sh");
        let tags: Vec<String> = words.map(str::to_owned).collect();
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        if is_sh {
            out.push(Block {
                line: n + 1,
                tags,
                body,
            });
        }
    }
    out
}

/// Splits a command line into words as bash would (quotes honoured).
fn words(line: &str) -> Vec<String> {
    let o = Command::new("bash")
        .args(["-c", &format!("w() {{ printf '%s\\0' \"$@\"; }}; w {line}")])
        .output()
        .unwrap();
    assert!(o.status.success(), "cannot split {line:?}");
    String::from_utf8_lossy(&o.stdout)
        .split('\0')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn command_lines(body: &str) -> Vec<String> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The machines the Vagrantfile defines (KIQLAB_WORKERS=2), from
/// `vagrant status` after `vagrant validate`, in a scratch copy.
fn vagrant_machines() -> BTreeSet<String> {
    let dir = temp_dir();
    std::fs::copy(repo_file("Vagrantfile"), dir.path().join("Vagrantfile")).unwrap();
    std::os::unix::fs::symlink(repo_file("provisioning"), dir.path().join("provisioning")).unwrap();
    let run = |args: &[&str]| {
        Command::new("vagrant")
            .args(args)
            .current_dir(dir.path())
            .env("KIQLAB_WORKERS", "2")
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap()
    };
    let v = run(&["validate"]);
    assert!(v.status.success(), "vagrant validate: {v:?}");
    let s = run(&["status"]);
    String::from_utf8_lossy(&s.stdout)
        .lines()
        .filter(|l| l.contains("not created") || l.contains("running") || l.contains("poweroff"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn check_vagrant(block: &Block, machines: &BTreeSet<String>) {
    const SUBCOMMANDS: [&str; 9] = [
        "up",
        "halt",
        "destroy",
        "ssh",
        "status",
        "provision",
        "reload",
        "validate",
        "rsync",
    ];
    for line in command_lines(&block.body) {
        let w = words(&line);
        assert_eq!(w[0], "vagrant", "line {}: {line}", block.line);
        assert!(
            SUBCOMMANDS.contains(&w[1].as_str()),
            "line {}: vagrant {}?",
            block.line,
            w[1]
        );
        let mut rest = w[2..].iter();
        while let Some(a) = rest.next() {
            if a == "-c" || a == "--command" {
                rest.next();
            } else if !a.starts_with('-') {
                assert!(
                    machines.contains(a),
                    "line {}: no machine {a} in {machines:?}",
                    block.line
                );
            }
        }
    }
}

/// `page`: a variable the page's own commands use (`$HEROKU_APP`) counts as read.
fn check_heroku(block: &Block, kiqlab_vars: &dyn Fn(&str) -> bool, page: &str) {
    const SUBCOMMANDS: [&str; 12] = [
        "create",
        "addons:create",
        "config",
        "config:set",
        "config:get",
        "ps",
        "ps:scale",
        "logs",
        "fork",
        "info",
        "open",
        "buildpacks:set",
    ];
    let types = procfile();
    for line in command_lines(&block.body) {
        let w = words(&line);
        if w[0] == "git" {
            assert_eq!(&w[1..3], ["push", "heroku"], "line {}: {line}", block.line);
            continue;
        }
        assert_eq!(w[0], "heroku", "line {}: {line}", block.line);
        assert!(
            SUBCOMMANDS.contains(&w[1].as_str()),
            "line {}: heroku {}?",
            block.line,
            w[1]
        );
        let mut args = w[2..].iter();
        let mut providers = BTreeSet::new();
        let mut set = Vec::new();
        while let Some(a) = args.next() {
            if a == "-a" || a == "--app" || a == "--from" || a == "--to" {
                args.next();
                continue;
            }
            let Some((k, v)) = a.split_once('=') else {
                continue;
            };
            match w[1].as_str() {
                "ps:scale" => assert!(
                    types.contains_key(k),
                    "line {}: no process type {k} in the Procfile",
                    block.line
                ),
                "config:set" => {
                    if k == "REDIS_PROVIDER" {
                        providers.insert(v.to_owned());
                    }
                    set.push(k.to_owned());
                }
                _ => {}
            }
        }
        for k in set {
            assert!(
                kiqlab_vars(&k)
                    || providers.contains(&k)
                    || k.ends_with("_URL")
                    || page.contains(&format!("${k}")),
                "line {}: nothing on the page or in kiqlab reads {k}",
                block.line
            );
        }
    }
}

/// One page's namespace, directory and background processes; everything
/// is stopped and removed on drop, whatever happened.
struct Sandbox {
    ns: String,
    dir: tempfile::TempDir,
    background: HashMap<String, tokio::process::Child>,
    lab_used: bool,
}

impl Sandbox {
    fn new(page: &str) -> Sandbox {
        let ns = format!("kqwt-{}-{page}", std::process::id());
        let ok = |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?}");
        ok(Command::new("ip").args(["netns", "add", &ns]));
        ok(Command::new("ip").args(["-n", &ns, "link", "set", "lo", "up"]));
        let dir = temp_dir();
        let d = dir.path();
        for f in ["scripts", "provisioning", "Procfile", "Vagrantfile", "docs"] {
            std::os::unix::fs::symlink(repo_file(f), d.join(f)).unwrap();
        }
        // What `cargo build --release` leaves, for the Procfile's lines.
        std::fs::create_dir_all(d.join("target/release")).unwrap();
        std::os::unix::fs::symlink(kiqlab_bin(), d.join("target/release/kiqlab")).unwrap();
        // We are root already; a reader types sudo.
        std::fs::create_dir_all(d.join("bin")).unwrap();
        std::fs::write(d.join("bin/sudo"), "#!/bin/sh\nexec \"$@\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("bin/sudo"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::create_dir_all(d.join("home")).unwrap();
        Sandbox {
            ns,
            dir,
            background: HashMap::new(),
            lab_used: false,
        }
    }

    fn bash(&self, script: &str) -> tokio::process::Command {
        let d = self.dir.path();
        let kiqlab_dir = Path::new(kiqlab_bin()).parent().unwrap();
        let path = format!(
            "{}:{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            d.join("bin").display(),
            kiqlab_dir.display()
        );
        let mut c = tokio::process::Command::new("nsenter");
        c.arg(format!("--net=/run/netns/{}", self.ns))
            .args(["--", "bash", "-euo", "pipefail", "-c", script])
            .current_dir(d)
            .env_clear()
            .env("PATH", path)
            .env("HOME", d.join("home"))
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn")
            .env("KIQLAB_BIN", kiqlab_bin())
            .env("KIQLAB_LAB_BY_TESTS", "1")
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .stdin(Stdio::null());
        c
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    async fn run(&mut self, page: &str, b: &Block) {
        let at = format!("{page}:{}", b.line);
        if let Some(name) = b.value("interrupt") {
            let mut child = self
                .background
                .remove(name)
                .unwrap_or_else(|| panic!("{at}: no background {name} to interrupt"));
            let pgid = Pid::from_raw(child.id().unwrap() as i32).unwrap();
            kill_process_group(pgid, Signal::INT).unwrap();
            tokio::time::timeout(Duration::from_secs(40), child.wait())
                .await
                .unwrap_or_else(|_| panic!("{at}: {name} did not stop on Ctrl-C"))
                .unwrap();
        }
        if b.has("background") {
            let name = b.value("name").unwrap_or("server").to_owned();
            let log = std::fs::File::create(self.log(&name)).unwrap();
            let child = self
                .bash(&b.body)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .process_group(0)
                .kill_on_drop(true)
                .spawn()
                .unwrap();
            self.background.insert(name.clone(), child);
            if let Some(url) = b.value("wait-for") {
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let ok = self
                        .bash(&format!("curl -s -o /dev/null --max-time 2 '{url}'"))
                        .status()
                        .await
                        .unwrap()
                        .success();
                    if ok {
                        break;
                    }
                    let exited = self.background.get_mut(&name).unwrap().try_wait().unwrap();
                    let log = std::fs::read_to_string(self.log(&name)).unwrap_or_default();
                    assert!(exited.is_none(), "{at}: {name} exited ({exited:?}):\n{log}");
                    assert!(
                        Instant::now() < deadline,
                        "{at}: {url} never answered:\n{log}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            return;
        }
        let start = Instant::now();
        let out = tokio::time::timeout(Duration::from_secs(300), self.bash(&b.body).output())
            .await
            .unwrap_or_else(|_| panic!("{at}: still running after 300 s:\n{}", b.body))
            .unwrap();
        let took = start.elapsed();
        let text = format!(
            "{at}:\n{}\n--- status {}\n--- stdout\n{}--- stderr\n{}",
            b.body,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        if let Some(max) = b.secs("max-s") {
            assert!(
                took <= max,
                "{at}: took {took:?}, the page promises at most {max:?}\n{text}"
            );
        }
        if let Some(min) = b.secs("min-s") {
            assert!(
                took >= min,
                "{at}: took {took:?}, the page promises at least {min:?}\n{text}"
            );
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for (_, child) in self.background.drain() {
            if let Some(id) = child.id().and_then(|id| Pid::from_raw(id as i32)) {
                let _ = kill_process_group(id, Signal::KILL);
            }
        }
        if self.lab_used {
            let _ = Command::new(repo_file("scripts/lab-netns"))
                .arg("down")
                .env("KIQLAB_BIN", kiqlab_bin())
                .status();
        }
        // Daemons a page started (redis-server --daemonize yes) live on in the namespace.
        if let Ok(o) = Command::new("ip")
            .args(["netns", "pids", &self.ns])
            .output()
        {
            for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                if let Some(p) = pid.parse().ok().and_then(Pid::from_raw) {
                    let _ = rustix::process::kill_process(p, Signal::KILL);
                }
            }
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

fn source_vars() -> impl Fn(&str) -> bool {
    fn walk(dir: &Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut src = String::new();
    walk(&repo_file("src"), &mut src);
    move |k: &str| src.contains(&format!("\"{k}\""))
}

async fn run_page(file: &str) {
    let path = repo().join("docs/walkthroughs").join(file);
    let md = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let blocks = blocks(&md);
    assert!(!blocks.is_empty(), "{file} has no commands");
    if !can_use_netns(file) {
        return;
    }
    let needs_lab = blocks.iter().any(|b| b.has("root"));
    let _turn = if needs_lab {
        Some(netns_lab_turn().await)
    } else {
        None
    };
    if needs_lab && !netns_lab_free(file) {
        return;
    }
    let machines = if blocks.iter().any(|b| b.has("vagrant")) {
        assert!(
            which("vagrant").is_some() || std::env::var_os("CI").is_none(),
            "CI needs vagrant"
        );
        which("vagrant").map(|_| vagrant_machines())
    } else {
        None
    };
    let vars = source_vars();
    let page = file.trim_end_matches(".md");
    let mut sandbox = Sandbox::new(&page[..3]);
    sandbox.lab_used = needs_lab;
    for b in &blocks {
        if b.has("vagrant") {
            match &machines {
                Some(m) => check_vagrant(b, m),
                None => eprintln!("SKIPPED {file}:{}: vagrant is not installed", b.line),
            }
        } else if b.has("heroku") {
            check_heroku(b, &vars, &md);
        } else {
            sandbox.run(file, b).await;
        }
    }
}

#[test]
fn every_walkthrough_page_is_tested() {
    let mut pages: Vec<String> = std::fs::read_dir(repo_file("docs/walkthroughs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "README.md")
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "000-sidekiq-on-separate-servers.md",
            "001-sidekiq-in-development-and-production.md",
            "002-background-workers-revisited.md",
            "003-a-scalable-worker.md",
            "004-delayed-jobs.md",
        ]
    );
    let b = blocks(
        "x\n```sh background name=w wait-for=http://h/\nkiqlab web\n```\n```text\nout\n```\n",
    );
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].value("name"), b[0].value("wait-for")),
        (Some("w"), Some("http://h/"))
    );
    assert_eq!(
        words("vagrant ssh worker-01 -c 'journalctl -u x'")[4],
        "journalctl -u x"
    );
}

macro_rules! page_test {
    ($($name:ident => $file:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            run_page($file).await;
        }
    )*};
}

page_test!(
    walkthrough_000_separate_servers => "000-sidekiq-on-separate-servers.md",
    walkthrough_001_development_and_production => "001-sidekiq-in-development-and-production.md",
    walkthrough_002_background_workers_revisited => "002-background-workers-revisited.md",
    walkthrough_003_a_scalable_worker => "003-a-scalable-worker.md",
    walkthrough_004_delayed_jobs => "004-delayed-jobs.md",
);
