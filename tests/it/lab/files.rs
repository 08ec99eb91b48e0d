//! The lab's files checked as a host would use them: `vagrant validate`,
//! shellcheck on every shell script of the project, the one env file's
//! variables all read by kiqlab, the units' command lines accepted by the
//! binary, and the same addresses everywhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{repo, repo_file, which};
use crate::support::{kiqlab_bin, temp_dir};

/// Skips (or fails under CI) when a tool is missing.
fn tool(name: &str, test: &str) -> bool {
    if which(name).is_some() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {name} is not installed, and CI is set (apt-get install {name})");
    }
    eprintln!("SKIPPED {test}: {name} is not installed");
    false
}

/// Every file of the project that starts with a sh/bash shebang.
fn shell_scripts() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if p.is_dir() {
                if !matches!(
                    name.as_ref(),
                    "target" | ".git" | ".vagrant" | "node_modules" | "kiqlab-data"
                ) {
                    walk(&p, out);
                }
            } else if let Ok(text) = std::fs::read(&p) {
                let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
                let first = String::from_utf8_lossy(first);
                if first.starts_with("#!") && (first.ends_with("sh") || first.contains("bash")) {
                    out.push(p);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(repo(), &mut out);
    out.sort();
    out
}

#[test]
fn every_shell_script_is_shellcheck_clean() {
    if !tool("shellcheck", "shellcheck") {
        return;
    }
    let scripts = shell_scripts();
    for must in [
        "scripts/lab-netns",
        "provisioning/common/render-env",
        "provisioning/common/start.sh",
        "provisioning/web/start.sh",
        "provisioning/worker/start.sh",
    ] {
        assert!(
            scripts.contains(&repo_file(must)),
            "{must} not found among {scripts:?}"
        );
    }
    let o = Command::new("shellcheck")
        .args(["--external-sources", "--severity=style"])
        .args(&scripts)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "shellcheck:\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn vagrantfile_validates_with_the_workers_it_names() {
    if !tool("vagrant", "vagrant validate") {
        return;
    }
    // A copy, so validating writes its secrets file in a scratch .vagrant.
    let dir = temp_dir();
    std::fs::copy(repo_file("Vagrantfile"), dir.path().join("Vagrantfile")).unwrap();
    std::os::unix::fs::symlink(repo_file("provisioning"), dir.path().join("provisioning")).unwrap();
    let vagrant = |args: &[&str], workers: &str| {
        Command::new("vagrant")
            .args(args)
            .current_dir(dir.path())
            .env("KIQLAB_WORKERS", workers)
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .output()
            .unwrap()
    };
    let o = vagrant(&["validate"], "2");
    assert!(o.status.success(), "vagrant validate: {o:?}");
    let o = vagrant(&["status"], "3");
    let text = String::from_utf8_lossy(&o.stdout);
    for m in ["web", "worker-01", "worker-02", "worker-03"] {
        assert!(
            text.lines().any(|l| l.starts_with(m)),
            "{m} not in vagrant status: {text}"
        );
    }
    let o = vagrant(&["validate"], "0");
    assert!(!o.status.success(), "KIQLAB_WORKERS=0 is refused");
    let secrets = std::fs::read_to_string(dir.path().join(".vagrant/kiqlab-secrets.env")).unwrap();
    assert_eq!(
        secrets.lines().count(),
        3,
        "the lab's three secrets made once"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join(".vagrant/kiqlab-secrets.env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

fn env_keys() -> Vec<String> {
    std::fs::read_to_string(repo_file("provisioning/lab.env"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
        .map(|l| l.split('=').next().unwrap().to_owned())
        .collect()
}

fn source_text() -> String {
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
    let mut s = String::new();
    walk(&repo_file("src"), &mut s);
    s
}

#[test]
fn the_env_file_renders_and_kiqlab_reads_every_variable() {
    let src = source_text();
    // Read by libraries rather than named in kiqlab's code.
    let external = ["RUST_LOG", "NO_COLOR"];
    for key in env_keys() {
        if external.contains(&key.as_str()) {
            continue;
        }
        assert!(
            src.contains(&format!("\"{key}\"")),
            "{key} in lab.env is read nowhere in src/"
        );
    }
    let dir = temp_dir();
    let out = dir.path().join("lab.env");
    let render = |token: &str| {
        Command::new(repo_file("provisioning/common/render-env"))
            .arg(repo_file("provisioning/lab.env"))
            .arg(&out)
            .env("KIQLAB_LAB_REDIS_PASSWORD", "pw123")
            .env("KIQLAB_LAB_INTERNAL_TOKEN", token)
            .env("KIQLAB_LAB_TAGGER_KEY", "key456")
            .output()
            .unwrap()
    };
    let o = render("tok789");
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let placeholder = line
            .split('@')
            .skip(1)
            .any(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        assert!(!placeholder, "a placeholder left: {line}");
    }
    assert!(text.contains("REDIS_URL=redis://:pw123@192.168.56.10:6379/0"));
    assert!(text.contains("KIQLAB_INTERNAL_TOKEN=tok789"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o077;
    assert_eq!(mode & 0o007, 0, "not readable by others");
    assert!(
        !render("bad token").status.success(),
        "a secret with a space is refused"
    );
}

/// The `kiqlab …` arguments of a unit's ExecStart= line.
fn exec_start(unit: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_file(&format!("provisioning/systemd/{unit}.service")))
        .unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap_or_else(|| panic!("{unit}: no ExecStart="));
    let args = line
        .strip_prefix("/usr/local/bin/kiqlab ")
        .unwrap_or_else(|| panic!("{unit}: ExecStart= runs /usr/local/bin/kiqlab"));
    args.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn every_listed_unit_exists_and_its_command_line_parses() {
    for role in ["web", "worker"] {
        let list =
            std::fs::read_to_string(repo_file(&format!("provisioning/{role}/units"))).unwrap();
        for unit in list
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if unit == "redis-server" {
                continue; // Debian's unit, with provisioning/systemd/redis-server.service.d
            }
            let args = exec_start(unit);
            let o = Command::new(kiqlab_bin())
                .args(&args)
                .arg("--help")
                .env_clear()
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{unit}: kiqlab {args:?} is refused: {o:?}"
            );
            let text =
                std::fs::read_to_string(repo_file(&format!("provisioning/systemd/{unit}.service")))
                    .unwrap();
            for line in [
                "EnvironmentFile=/etc/kiqlab/lab.env",
                "Restart=on-failure",
                "User=kiqlab",
            ] {
                assert!(text.contains(line), "{unit} lacks {line}");
            }
        }
    }
    assert!(repo_file("provisioning/systemd/redis-server.service.d/kiqlab.conf").is_file());
}

#[test]
fn the_same_addresses_everywhere() {
    let read = |f: &str| std::fs::read_to_string(repo_file(f)).unwrap();
    let vagrantfile = read("Vagrantfile");
    assert!(vagrantfile.contains("KIQLAB_NET     = \"192.168.56\""));
    assert!(vagrantfile.contains("\"#{KIQLAB_NET}.10\""));
    assert!(vagrantfile.contains("\"#{KIQLAB_NET}.#{10 + i}\""));
    assert!(read("scripts/lab-netns").contains("NET=192.168.56\n"));
    assert!(read("provisioning/redis/kiqlab.conf").contains("bind 192.168.56.10 127.0.0.1"));
    assert!(read("provisioning/redis/kiqlab.conf").contains("appendonly yes"));
    let env = read("provisioning/lab.env");
    for line in [
        "@192.168.56.10:6379/",
        "KIQLAB_WEB_URL=http://192.168.56.10:3000",
        "KIQLAB_SMTP=192.168.56.10:1025",
        "KIQLAB_TAGGER_URL=http://192.168.56.10:3000/tagger/enrich",
    ] {
        assert!(env.contains(line), "lab.env lacks {line}");
    }
    assert!(exec_start("kiqlab-web").join(" ").contains("--port 3000"));
}
