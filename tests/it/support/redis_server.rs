//! A private `redis-server` for one test: bound to 127.0.0.1 on a free port,
//! no persistence unless asked, killed on drop. When `redis-server` is
//! missing the test is skipped, except under CI, where it fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts a server, or returns `None` (skip) when redis-server is not
    /// installed and CI is not set.
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(&[])
    }

    /// Starts a server with extra `redis-server` arguments (e.g. `--appendonly yes`).
    pub fn start_with(extra: &[&str]) -> Option<RedisServer> {
        if !redis_available() {
            if std::env::var_os("CI").is_some() {
                panic!("redis-server is not installed, and CI is set: install it (apt-get install redis-server)");
            }
            eprintln!("SKIPPED: redis-server is not installed");
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("kiqlab-redis-")
            .tempdir()
            .expect("temp dir for redis");
        let mut server = RedisServer {
            child: None,
            port: 0,
            dir,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        server.spawn_on(free_port());
        Some(server)
    }

    fn spawn_on(&mut self, port: u16) {
        // Several tries: another process may grab the port between probe and bind.
        for attempt in 0..5 {
            let port = if attempt == 0 { port } else { free_port() };
            let child = self.command(port).spawn().expect("spawn redis-server");
            self.child = Some(child);
            self.port = port;
            if self.wait_ready(Duration::from_secs(10)) {
                return;
            }
            self.kill();
        }
        panic!("redis-server did not start");
    }

    /// `redis-server` on `port`, loopback only, its files in our directory.
    fn command(&self, port: u16) -> Command {
        let mut cmd = Command::new("redis-server");
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .arg("--save")
            .arg("")
            .arg("--dir")
            .arg(self.dir.path())
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// Waits until *our* child answers on the port: another test's server may
    /// hold the same port (it was free when probed), and must not be mistaken
    /// for ours.
    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let Some(pid) = self.child.as_ref().map(Child::id) else {
            return false;
        };
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    return false;
                }
            }
            if let Ok(client) = redis::Client::open(self.url()) {
                if let Ok(mut con) = client.get_connection() {
                    if let Ok(info) = redis::cmd("INFO").arg("server").query::<String>(&mut con) {
                        let ours = info
                            .lines()
                            .find_map(|l| l.strip_prefix("process_id:"))
                            .and_then(|p| p.trim().parse::<u32>().ok())
                            == Some(pid);
                        if ours {
                            return true;
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A blocking connection for assertions.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("connect to test redis")
    }

    /// Kills the server (SIGKILL) and starts it again on the same port and
    /// directory, so persisted data (AOF) comes back.
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        let mut cmd_ok = false;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && !cmd_ok {
            self.child = Some(self.command(port).spawn().expect("respawn redis-server"));
            cmd_ok = self.wait_ready(Duration::from_secs(5));
            if !cmd_ok {
                self.kill();
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        assert!(cmd_ok, "redis-server did not restart on port {port}");
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn redis_available() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Binds port 0, reads the port the kernel chose, releases it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}
