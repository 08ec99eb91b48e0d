//! `rediss://` against a real `redis-server --tls-port` with a CA and a
//! server certificate this test makes (openssl CLI): a job pushed and run
//! over TLS with `KIQLAB_REDIS_CA_FILE`, a server whose CA is unknown
//! refused with a clear error (with the system's roots and with another CA
//! file), and `#insecure` accepted with a warning in the log.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use kiqlab::engine::store::redis::RedisStore;
use kiqlab::engine::store::url::StoreUrl;

use crate::support::redis_server::{free_port, RedisServer};
use crate::support::{eventually, kiqlab_bin, temp_dir};

/// A CA, a server certificate it signed for 127.0.0.1 and localhost, and
/// a second CA that signed nothing.
struct Certs {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    other_ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (apt-get install openssl)");
    assert!(o.status.success(), "openssl {args:?}: {o:?}");
}

fn make_certs() -> Certs {
    let dir = temp_dir();
    let d = dir.path();
    for ca in ["ca", "other-ca"] {
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=kiqlab test {ca}"),
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
            ],
        );
    }
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
    );
    Certs {
        ca: d.join("ca.pem"),
        other_ca: d.join("other-ca.pem"),
        cert: d.join("server.pem"),
        key: d.join("server.key"),
        _dir: dir,
    }
}

/// A redis-server answering TLS on its own port (and plain TCP on the
/// helper's, for assertions); clients need no certificate of their own.
fn tls_server(certs: &Certs) -> Option<(RedisServer, u16)> {
    let tls_port = free_port().to_string();
    let (cert, key, ca) = (
        certs.cert.to_str().unwrap(),
        certs.key.to_str().unwrap(),
        certs.ca.to_str().unwrap(),
    );
    let server = RedisServer::start_with(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        cert,
        "--tls-key-file",
        key,
        "--tls-ca-cert-file",
        ca,
        "--tls-auth-clients",
        "no",
    ])?;
    Some((server, tls_port.parse().unwrap()))
}

fn kiqlab(args: &[&str], ca: Option<&Path>) -> Output {
    let mut cmd = Command::new(kiqlab_bin());
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .env_remove("KIQLAB_REDIS_CA_FILE");
    if let Some(ca) = ca {
        cmd.env("KIQLAB_REDIS_CA_FILE", ca);
    }
    cmd.output().expect("run kiqlab")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `kiqlab worker` child, killed when dropped.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn processed(server: &RedisServer) -> u64 {
    let mut con = server.connection();
    redis::cmd("GET")
        .arg("stat:processed")
        .query::<Option<u64>>(&mut con)
        .unwrap()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_is_pushed_and_run_over_tls_with_the_ca_file() {
    let certs = make_certs();
    let Some((server, port)) = tls_server(&certs) else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{port}/0");

    // The library: the store over TLS, verified against the CA file.
    let StoreUrl::Redis(redis_url) = StoreUrl::parse(&url).unwrap() else {
        panic!("a Redis URL");
    };
    let client = redis_url.client_with_ca(Some(&certs.ca)).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut con).await.unwrap();
    assert_eq!(pong, "PONG");

    // The binary: enqueue and a worker, both over TLS with KIQLAB_REDIS_CA_FILE.
    let o = kiqlab(
        &[
            "enqueue",
            "--store",
            &url,
            "DemoWorker",
            "0",
            "over-tls",
            "--count",
            "3",
        ],
        Some(&certs.ca),
    );
    assert!(o.status.success(), "enqueue over TLS: {}", text(&o));
    let log = temp_dir();
    let log_path = log.path().join("worker.log");
    let child = Command::new(kiqlab_bin())
        .args(["worker", "--store", &url, "--poll-interval", "200ms"])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .env("KIQLAB_REDIS_CA_FILE", &certs.ca)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("spawn kiqlab worker");
    let _worker = Worker(child);
    eventually(Duration::from_secs(60), "3 jobs run over TLS", || async {
        (processed(&server) >= 3).then_some(())
    })
    .await;
    let o = kiqlab(&["stats", "--json", "--store", &url], Some(&certs.ca));
    assert!(o.status.success(), "stats over TLS: {}", text(&o));
    let stats: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(stats["processed"], 3, "{stats}");
    let log_text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log_text.contains("over-tls"),
        "the worker ran the jobs: {log_text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_is_refused_with_a_clear_error() {
    let certs = make_certs();
    let Some((_server, port)) = tls_server(&certs) else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{port}/0");
    // The system's roots do not know the test's CA, nor does another CA file.
    for ca in [None, Some(certs.other_ca.as_path())] {
        let o = kiqlab(&["stats", "--store", &url], ca);
        let t = text(&o);
        assert!(!o.status.success(), "refused with CA {ca:?}: {t}");
        assert!(
            t.contains("certificate") && t.contains("UnknownIssuer"),
            "says why (CA {ca:?}): {t}"
        );
        assert!(t.contains("KIQLAB_REDIS_CA_FILE"), "says what to do: {t}");
        assert!(!t.contains("panicked"), "{t}");
    }
    // The library says the same, as a StoreError.
    let StoreUrl::Redis(u) = StoreUrl::parse(&url).unwrap() else {
        panic!("a Redis URL");
    };
    let err = RedisStore::connect(&u).await.unwrap_err().to_string();
    assert!(err.contains("UnknownIssuer"), "{err}");
    // A CA file that is not there is refused before connecting.
    let o = kiqlab(
        &["stats", "--store", &url],
        Some(Path::new("/nonexistent/ca.pem")),
    );
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("/nonexistent/ca.pem"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_skips_verification_with_a_warning() {
    let certs = make_certs();
    let Some((server, port)) = tls_server(&certs) else {
        return;
    };
    let url = format!("rediss://127.0.0.1:{port}/0#insecure");
    let o = kiqlab(
        &["enqueue", "--store", &url, "DemoWorker", "0", "insecure"],
        None,
    );
    let t = text(&o);
    assert!(
        o.status.success(),
        "#insecure accepts the self-signed server: {t}"
    );
    assert!(
        t.contains("WARN") && t.contains("without verifying its certificate"),
        "the log warns: {t}"
    );
    let mut con = server.connection();
    let queued: u64 = redis::cmd("LLEN")
        .arg("queue:default")
        .query(&mut con)
        .unwrap();
    assert_eq!(queued, 1, "the job is in Redis");
}
