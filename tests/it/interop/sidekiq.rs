//! The real Sidekiq versions: 6.4 from the host's Ruby (Debian 12's
//! ruby-sidekiq), 7.3 and 8.1 from the chroots `scripts/sidekiq-chroots.sh`
//! builds (trixie, sid). Runs the Ruby scripts of tests/ruby and the real
//! `sidekiq` CLI in them; a missing Ruby or chroot fails under CI.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V6_4,
    V7_3,
    V8_1,
}

impl Version {
    /// From the generated test's name (`sidekiq_7_3`).
    pub fn from_label(label: &str) -> Version {
        match label {
            "sidekiq_6_4" => Version::V6_4,
            "sidekiq_7_3" => Version::V7_3,
            "sidekiq_8_1" => Version::V8_1,
            other => panic!("unknown Sidekiq version label {other}"),
        }
    }

    pub fn major(self) -> u8 {
        match self {
            Version::V6_4 => 6,
            Version::V7_3 => 7,
            Version::V8_1 => 8,
        }
    }

    /// The Debian suite whose chroot holds this version (`None`: the host).
    fn suite(self) -> Option<&'static str> {
        match self {
            Version::V6_4 => None,
            Version::V7_3 => Some("trixie"),
            Version::V8_1 => Some("sid"),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Version::V6_4 => "6.4.",
            Version::V7_3 => "7.3.",
            Version::V8_1 => "8.1.",
        }
    }
}

/// Where the chroots are: `KIQLAB_CHROOTS`, else /var/cache/kiqlab-ci.
pub fn chroots_dir() -> PathBuf {
    std::env::var_os("KIQLAB_CHROOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/kiqlab-ci"))
}

fn ruby_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ruby")
}

/// One Sidekiq version ready to run.
#[derive(Clone, Debug)]
pub struct Sidekiq {
    pub version: Version,
    /// The chroot, or `None` for the host.
    root: Option<PathBuf>,
    /// `Sidekiq::VERSION`, e.g. "8.1.7".
    pub full_version: String,
    /// ActiveJob's version when the environment has it.
    pub activejob: Option<String>,
}

impl Sidekiq {
    /// The environment for `version`, probed once per test binary; `None`
    /// (skip) when it is missing, except under CI, where that panics.
    pub fn get(version: Version) -> Option<Sidekiq> {
        static FOUND: OnceLock<[Result<Sidekiq, String>; 3]> = OnceLock::new();
        let all =
            FOUND.get_or_init(|| [Version::V6_4, Version::V7_3, Version::V8_1].map(Sidekiq::probe));
        let idx = match version {
            Version::V6_4 => 0,
            Version::V7_3 => 1,
            Version::V8_1 => 2,
        };
        match &all[idx] {
            Ok(s) => Some(s.clone()),
            Err(why) => {
                if std::env::var_os("CI").is_some() {
                    panic!("{why}, and CI is set");
                }
                eprintln!("SKIPPED: {why}");
                None
            }
        }
    }

    fn probe(version: Version) -> Result<Sidekiq, String> {
        let root = match version.suite() {
            None => None,
            Some(suite) => {
                let root = chroots_dir().join(suite);
                if !root.join("kiqlab-chroot.txt").is_file() {
                    return Err(format!(
                        "no {suite} chroot at {} (run scripts/sidekiq-chroots.sh as root)",
                        root.display()
                    ));
                }
                Some(root)
            }
        };
        let mut s = Sidekiq {
            version,
            root,
            full_version: String::new(),
            activejob: None,
        };
        let probe = "require 'sidekiq'; require 'sidekiq/api'; print Sidekiq::VERSION; \
                     begin; require 'active_job'; print ' ', ActiveJob.version; rescue LoadError; end";
        let out = s
            .command("ruby")
            .args(["-e", probe])
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run ruby for Sidekiq {version:?}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ruby with sidekiq does not load for {version:?} (apt-get install ruby-sidekiq): {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut words = text.split_whitespace();
        s.full_version = words.next().unwrap_or_default().to_owned();
        s.activejob = words.next().map(str::to_owned);
        if !s.full_version.starts_with(version.prefix()) {
            return Err(format!(
                "expected Sidekiq {}x, found {}",
                version.prefix(),
                s.full_version
            ));
        }
        Ok(s)
    }

    /// `program` with `args` run in this version's environment: on the host,
    /// or chrooted, with /proc and tests/ruby (as /kiqlab) mounted in a
    /// private mount namespace that goes away with the process. The process
    /// keeps the pid of the returned `Command`'s child (everything `exec`s).
    pub fn command(&self, program: &str) -> Command {
        match &self.root {
            None => Command::new(program),
            Some(root) => {
                let mut c = Command::new("unshare");
                c.args(["--mount", "--propagation", "private", "--", "sh", "-ec"])
                    .arg(
                        "root=$1; rb=$2; shift 2; mount -t proc proc \"$root/proc\"; \
                         mount --bind \"$rb\" \"$root/kiqlab\"; exec chroot \"$root\" \"$@\"",
                    )
                    .arg("sh")
                    .arg(root)
                    .arg(ruby_dir())
                    .arg(program);
                c
            }
        }
    }

    /// The path of a tests/ruby file as Ruby in this environment sees it.
    pub fn script(&self, name: &str) -> PathBuf {
        match &self.root {
            None => ruby_dir().join(name),
            Some(_) => Path::new("/kiqlab").join(name),
        }
    }

    /// Runs `ruby tests/ruby/NAME ARGS…` (stdin from `input`), asserts success,
    /// and parses the JSON it printed.
    pub fn ruby(&self, name: &str, args: &[&str]) -> Value {
        self.ruby_input(name, args, "")
    }

    pub fn ruby_input(&self, name: &str, args: &[&str], input: &str) -> Value {
        let out = self.ruby_output(name, args, input);
        assert!(
            out.status.success(),
            "Sidekiq {}: ruby {name} {args:?} failed: {}",
            self.full_version,
            String::from_utf8_lossy(&out.stderr)
        );
        // Sidekiq may log to standard output first; the JSON is the last line.
        let text = String::from_utf8_lossy(&out.stdout);
        let last = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("ruby {name} printed no JSON ({e}): {text}"))
    }

    pub fn ruby_output(&self, name: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command("ruby")
            .arg(self.script(name))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ruby");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(input.as_bytes())
            .expect("write ruby's stdin");
        drop(stdin);
        child.wait_with_output().expect("ruby output")
    }

    /// Sidekiq's API view of the Redis at `url` (tests/ruby/sidekiq_inspect.rb).
    pub fn inspect(&self, url: &str) -> Value {
        self.ruby("sidekiq_inspect.rb", &[url])
    }

    /// Starts the real `sidekiq` CLI with tests/ruby/sidekiq_jobs.rb on `url`.
    pub fn start_sidekiq(&self, url: &str, args: &[&str], log: &Path) -> RubySidekiq {
        let file = std::fs::File::create(log).expect("sidekiq log");
        let child = self
            .command("sidekiq")
            .arg("-r")
            .arg(self.script("sidekiq_jobs.rb"))
            .args(args)
            .env("REDIS_URL", url)
            .env("APP_ENV", "production")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("spawn sidekiq");
        RubySidekiq {
            child: Some(child),
            log: log.to_owned(),
        }
    }
}

/// A real Ruby `sidekiq` process, killed on drop.
pub struct RubySidekiq {
    child: Option<Child>,
    pub log: PathBuf,
}

impl RubySidekiq {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM (Sidekiq's stop), then waits for the exit.
    pub fn term(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("sidekiq running");
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        c.wait().expect("wait for sidekiq")
    }
}

impl Drop for RubySidekiq {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
