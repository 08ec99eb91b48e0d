//! The kiqlab side of the interop checks, through the binary only (so the
//! checks hold whatever src/ looks like inside): `kiqlab enqueue`, `kiqlab
//! stats`, and `kiqlab web` with an admin signed in to read the dashboard.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::redis_server::free_port;
use crate::support::{eventually, kiqlab_bin, temp_dir};

/// Runs `kiqlab ARGS…`, asserts success, returns standard output.
pub fn kiqlab(args: &[&str]) -> String {
    let out = Command::new(kiqlab_bin())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kiqlab");
    assert!(
        out.status.success(),
        "kiqlab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `kiqlab enqueue --store URL ARGS…`; returns the jid(s) it printed.
pub fn enqueue(url: &str, args: &[&str]) -> String {
    let mut a = vec!["enqueue", "--store", url];
    a.extend_from_slice(args);
    kiqlab(&a).trim().to_owned()
}

const EMAIL: &str = "boss@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// `kiqlab web` on a store, with an admin account, killed on drop.
pub struct KiqlabWeb {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
}

impl KiqlabWeb {
    pub async fn start(store_url: &str) -> KiqlabWeb {
        let dir = temp_dir();
        let db = dir.path().join("web.db");
        let mut admin = Command::new(kiqlab_bin())
            .arg("admin")
            .arg("--database")
            .arg(&db)
            .args(["create-user", EMAIL, "--admin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kiqlab admin");
        admin
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password");
        assert!(admin.wait().expect("kiqlab admin").success());
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("web.log")).expect("log");
        let child = Command::new(kiqlab_bin())
            .args(["web", "--store", store_url, "--port", &port.to_string()])
            .arg("--database")
            .arg(&db)
            .args(["--no-mailcatcher", "--no-tagger"])
            .env("KIQLAB_DATA_DIR", dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn kiqlab web");
        let web = KiqlabWeb {
            child,
            base: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let http = reqwest::Client::new();
        let url = format!("{}/sign_in", web.base);
        eventually(Duration::from_secs(60), "kiqlab web to answer", || async {
            http.get(&url).send().await.ok().map(|_| ())
        })
        .await;
        web
    }

    /// A browser signed in as the admin.
    pub async fn admin(&self) -> Browser {
        let mut b = Browser {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
            cookie: None,
            token: None,
        };
        let (s, _) = b.get("/sign_in").await;
        assert_eq!(s, 200);
        let (s, _) = b
            .post(
                "/sign_in",
                &[
                    ("email", EMAIL),
                    ("password", PASSWORD),
                    ("next", "/sidekiq"),
                ],
            )
            .await;
        assert_eq!(s, 303, "signing in to kiqlab's dashboard");
        b
    }
}

impl Drop for KiqlabWeb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keeps the session cookie and the last CSRF token, as a person's browser.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
    token: Option<String>,
}

impl Browser {
    async fn send(&mut self, req: reqwest::RequestBuilder) -> (u16, String) {
        let req = match &self.cookie {
            Some(c) => req.header("Cookie", c),
            None => req,
        };
        let r = req.send().await.expect("request to kiqlab web");
        for v in r.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap_or("").split(';').next().unwrap_or("");
            self.cookie = (!pair.ends_with('=')).then(|| pair.to_owned());
        }
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = r.text().await.unwrap_or_default();
        if let Some(t) = input_value(&body, "authenticity_token") {
            self.token = Some(t);
        }
        (status, location.unwrap_or(body))
    }

    /// GET `path`: (status, body).
    pub async fn get(&mut self, path: &str) -> (u16, String) {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// GET `path`, asserting 200; the body.
    pub async fn page(&mut self, path: &str) -> String {
        let (s, body) = self.get(path).await;
        assert_eq!(s, 200, "GET {path} on kiqlab's dashboard: {body}");
        body
    }

    /// POSTs `pairs` with the last CSRF token: (status, Location or body).
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
        let body = {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            if let Some(t) = &self.token {
                ser.append_pair("authenticity_token", t);
            }
            for (k, v) in pairs {
                ser.append_pair(k, v);
            }
            ser.finish()
        };
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }
}

/// The value of the first `<input name="NAME" value="…">` on a page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let i = html.find(&marker)? + marker.len();
    let rest = &html[i..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The text of each cell of the first table row containing `needle`
/// (tags stripped, entities for quotes and ampersands decoded, trimmed).
pub fn row_cells(html: &str, needle: &str) -> Option<Vec<String>> {
    let at = html.find(needle)?;
    let start = html[..at].rfind("<tr")?;
    let end = at + html[at..].find("</tr>")?;
    let row = &html[start..end];
    Some(
        row.split("<td")
            .skip(1)
            .map(|cell| text(cell.split_once('>').map(|(_, c)| c).unwrap_or("")))
            .collect(),
    )
}

/// `html` with tags removed and common entities decoded.
pub fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
