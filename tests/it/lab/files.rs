//! The lab's files checked as a host would use them: `vagrant validate`,
//! shellcheck on every shell script of the project, the one env file's
//! variables all read by kiqlab, the units' command lines accepted by the
//! binary, every address from KIQLAB_NET, one list of provisioning steps,
//! LF line endings.

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
    // No host build in the copy: the step is skipped (each VM builds).
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
    // With a host build: the kiqlab-binary step (the Vagrantfile's own
    // provisioner) validates, for the amd64 and the arm64 box alike.
    for (box_, with_binary) in [("debian/bookworm64", true), ("arm64", false)] {
        let mut cmd = Command::new("vagrant");
        cmd.arg("validate")
            .current_dir(dir.path())
            .env("KIQLAB_BOX", box_)
            .env("VAGRANT_CHECKPOINT_DISABLE", "1");
        if with_binary {
            cmd.env("KIQLAB_BINARY", kiqlab_bin());
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "vagrant validate, box {box_}: {o:?}");
    }
    let o = Command::new("vagrant")
        .arg("validate")
        .current_dir(dir.path())
        .env("KIQLAB_NET", "192.168.300")
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    assert!(!o.status.success(), "a bad KIQLAB_NET is refused");
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
            .env("KIQLAB_NET", "192.168.56")
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
fn every_address_comes_from_kiqlab_net() {
    let read = |f: &str| std::fs::read_to_string(repo_file(f)).unwrap();
    let vagrantfile = read("Vagrantfile");
    assert!(vagrantfile.contains(r#"KIQLAB_NET     = ENV.fetch("KIQLAB_NET", "192.168.56")"#));
    assert!(vagrantfile.contains("\"#{KIQLAB_NET}.10\""));
    assert!(vagrantfile.contains("\"#{KIQLAB_NET}.#{10 + i}\""));
    assert!(vagrantfile.contains(r#"vars["KIQLAB_NET"] = KIQLAB_NET"#));
    for script in ["scripts/lab-netns", "scripts/lab-nspawn"] {
        assert!(
            read(script).contains("NET=${KIQLAB_NET:-192.168.56}\n"),
            "{script}"
        );
    }
    // Outside comments, the default network is written in those three
    // places only: no file of provisioning/ names an address of its own.
    for f in ["Vagrantfile", "scripts/lab-netns", "scripts/lab-nspawn"] {
        let literal = read(f)
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && l.contains("192.168.56"))
            .filter(|l| !l.contains("must be three octets")) // the error message's example
            .count();
        assert_eq!(literal, 1, "{f}: 192.168.56 only as KIQLAB_NET's default");
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut files = Vec::new();
    walk(&repo_file("provisioning"), &mut files);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            !text.contains("192.168."),
            "{} names an address",
            f.display()
        );
    }
    let conf = read("provisioning/redis/kiqlab.conf");
    assert!(conf.contains("bind @NET@.10 127.0.0.1"));
    assert!(conf.contains("appendonly yes"));
    let env = read("provisioning/lab.env");
    for line in [
        "@@NET@.10:6379/",
        "KIQLAB_WEB_URL=http://@NET@.10:3000",
        "KIQLAB_SMTP=@NET@.10:1025",
        "KIQLAB_TAGGER_URL=http://@NET@.10:3000/tagger/enrich",
    ] {
        assert!(env.contains(line), "lab.env lacks {line}");
    }
    assert!(exec_start("kiqlab-web").join(" ").contains("--port 3000"));

    // Another network: every address of the rendered env file moves.
    let dir = temp_dir();
    let out = dir.path().join("lab.env");
    let render = |net: &str| {
        Command::new(repo_file("provisioning/common/render-env"))
            .arg(repo_file("provisioning/lab.env"))
            .arg(&out)
            .env("KIQLAB_LAB_REDIS_PASSWORD", "pw")
            .env("KIQLAB_LAB_INTERNAL_TOKEN", "tok")
            .env("KIQLAB_LAB_TAGGER_KEY", "key")
            .env("KIQLAB_NET", net)
            .output()
            .unwrap()
    };
    let o = render("10.20.30");
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("192.168"), "{text}");
    assert!(
        text.contains("REDIS_URL=redis://:pw@10.20.30.10:6379/0"),
        "{text}"
    );
    assert!(text.contains("KIQLAB_SMTP_BIND=10.20.30.10:1025"), "{text}");
    assert!(
        !render("10.20.300").status.success(),
        "a bad network is refused"
    );
    assert!(!render("").status.success(), "KIQLAB_NET is required");
}

#[test]
fn one_list_of_provisioning_steps_for_vagrant_and_the_container_lab() {
    let read = |f: &str| std::fs::read_to_string(repo_file(f)).unwrap();
    let steps: Vec<Vec<String>> = read("provisioning/steps")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect();
    let names: Vec<&str> = steps.iter().map(|s| s[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "kiqlab-binary",
            "common/install",
            "common/start",
            "ROLE/install",
            "ROLE/start"
        ]
    );
    for s in &steps {
        assert_eq!(s.len(), 3, "NAME RUN ENV: {s:?}");
        assert!(matches!(s[1].as_str(), "once" | "always"), "{s:?}");
        if s[0] != "kiqlab-binary" {
            for role in ["web", "worker"] {
                let script = format!("provisioning/{}.sh", s[0].replace("ROLE", role));
                assert!(repo_file(&script).is_file(), "{script}");
            }
        }
    }
    assert!(read("Vagrantfile").contains(r#"File.join(ROOT, "provisioning", "steps")"#));
    assert!(read("scripts/lab-nspawn").contains(r#""$PROV/steps""#));
    // The rsync folder's exclusions, read by lab-nspawn from the Vagrantfile.
    assert!(read("Vagrantfile").contains(r#"rsync__exclude: [".git/", "target/", ".vagrant/""#));
}

#[test]
fn the_units_keep_data_private_and_keep_retrying() {
    let read = |f: &str| std::fs::read_to_string(repo_file(f)).unwrap();
    let web = read("provisioning/systemd/kiqlab-web.service");
    for line in [
        "StateDirectory=kiqlab",
        "StateDirectoryMode=0750",
        "UMask=0027",
    ] {
        assert!(web.lines().any(|l| l == line), "kiqlab-web lacks {line}");
    }
    let worker = read("provisioning/systemd/kiqlab-worker.service");
    for line in [
        "StartLimitIntervalSec=0",
        "UMask=0027",
        "Restart=on-failure",
    ] {
        assert!(
            worker.lines().any(|l| l == line),
            "kiqlab-worker lacks {line}"
        );
    }
    let redis = read("provisioning/systemd/redis-server.service.d/kiqlab.conf");
    assert!(
        redis.lines().any(|l| l == "Restart=always"),
        "Debian's Restart=always kept"
    );
    let start = read("provisioning/worker/start.sh");
    assert!(
        start.contains("SMEMBERS processes"),
        "waits for the heartbeat"
    );
    assert!(!start.contains("is-active"), "not for is-active");
}

#[test]
fn text_files_have_lf_endings_and_binaries_are_marked() {
    let attrs = std::fs::read_to_string(repo_file(".gitattributes")).unwrap();
    assert!(attrs.lines().any(|l| l == "* text=auto eol=lf"));
    assert!(attrs.lines().any(|l| l == "*.png binary"));
    let o = Command::new("git")
        .args(["ls-files", "--eol"])
        .current_dir(repo())
        .output();
    let Ok(o) = o else {
        return; // not a git checkout (a source tarball)
    };
    if !o.status.success() {
        return;
    }
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let mut f = line.split_whitespace();
        let (index, tree) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
        assert!(
            !index.contains("crlf") && !tree.contains("crlf"),
            "CRLF in {line}"
        );
        if line.ends_with(".png") {
            assert!(line.contains("-text"), "{line} is binary");
        }
    }
}
