//! A raw TCP client that misbehaves: each bad command gets the right
//! reply code, the session goes on, and the server keeps serving others.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::harness::spawn_catcher;
use kiqlab::mailcatcher::MailCatcherConfig;

struct Client {
    rd: BufReader<OwnedReadHalf>,
    wr: OwnedWriteHalf,
}

impl Client {
    async fn connect(port: u16) -> (Client, String) {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (rd, wr) = stream.into_split();
        let mut c = Client {
            rd: BufReader::new(rd),
            wr,
        };
        let greeting = c.reply().await;
        (c, greeting)
    }

    /// Reads one (possibly multi-line) reply; returns its last line.
    async fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = self.rd.read_line(&mut line).await.unwrap();
            assert!(n > 0, "server closed the connection");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.wr.write_all(bytes).await.unwrap();
    }

    /// Sends one line and returns the reply's code and the reply.
    async fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
        let r = self.reply().await;
        (r[..3].parse().unwrap(), r)
    }

    async fn expect(&mut self, line: &str, code: u16) -> String {
        let (got, reply) = self.cmd(line).await;
        assert_eq!(got, code, "{line:?} got {reply:?}");
        reply
    }
}

#[tokio::test]
async fn a_malformed_dialogue_gets_the_right_codes_and_the_server_goes_on() {
    let t = spawn_catcher().await;
    let (mut c, greeting) = Client::connect(t.smtp_port()).await;
    assert!(greeting.starts_with("220 "), "{greeting}");

    c.expect("HELO", 501).await; // no domain
    c.expect("MAIL FROM:<ann@example.com>", 503).await; // no HELO yet
    c.expect("EHLO raw-client", 250).await;
    c.expect("RCPT TO:<bob@example.com>", 503).await; // no MAIL
    c.expect("DATA", 503).await; // no MAIL
    c.expect("MAIL FROM:ann@example.com", 501).await; // no brackets
    c.expect("MAIL FROM:<ann@example.com> SIZE=999999999999", 552)
        .await;
    c.expect("MAIL FROM:<ann@example.com> BODY=BINARYMIME", 555)
        .await;
    c.expect("FROBNICATE now", 500).await;
    c.expect("STARTTLS", 502).await;
    c.expect(&"X".repeat(5000), 500).await; // far too long for a command
    c.send_raw(b"\x00\xff\xfe binary junk\r\n").await;
    let junk = c.reply().await;
    assert!(junk.starts_with('5'), "{junk}");
    c.expect("MAIL FROM:<ann@example.com> BODY=8BITMIME", 250)
        .await;
    c.expect("MAIL FROM:<ann@example.com>", 503).await; // nested MAIL
    c.expect("RCPT TO:<bob@example.com>", 250).await;
    c.expect("RCPT TO:<not an address", 501).await;
    c.expect("DATA", 354).await;
    c.send_raw("Subject: survived\r\n\r\n8-bit body: naïve café\r\n..dot\r\n.\r\n".as_bytes())
        .await;
    let queued = c.reply().await;
    assert!(queued.starts_with("250 "), "{queued}");
    c.expect("NOOP", 250).await;
    c.expect("RSET", 250).await;
    c.expect("QUIT", 221).await;

    // Another client is served as usual while and after that.
    let (mut d, _) = Client::connect(t.smtp_port()).await;
    d.expect("HELO second", 250).await;
    d.expect("MAIL FROM:<>", 250).await;
    d.expect("RCPT TO:<bob@example.com>", 250).await;
    d.expect("DATA", 354).await;
    d.send_raw(b"Subject: second\r\n\r\nhi\r\n.\r\n").await;
    assert!(d.reply().await.starts_with("250 "));
    d.expect("QUIT", 221).await;

    t.wait_for_count(2).await;
    let list = t.get_json("/messages").await;
    assert_eq!(list[0]["subject"], "survived");
    assert_eq!(list[1]["subject"], "second");
    assert_eq!(list[1]["sender"], "<>");
    let id = list[0]["id"].as_u64().unwrap();
    let source = t.get_text(&format!("/messages/{id}.source")).await;
    assert_eq!(
        source,
        "Subject: survived\r\n\r\n8-bit body: naïve café\r\n.dot\r\n"
    );
    t.stop().await;
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let t = spawn_catcher().await;
    let (mut c, _) = Client::connect(t.smtp_port()).await;
    c.expect("EHLO pipe", 250).await;
    c.send_raw(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n")
        .await;
    for code in ["250", "250", "250", "354"] {
        let r = c.reply().await;
        assert!(r.starts_with(code), "{r}");
    }
    c.send_raw(b"Subject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        .await;
    assert!(c.reply().await.starts_with("250 "));
    assert!(c.reply().await.starts_with("221 "));
    let m = t.only_message().await;
    assert_eq!(
        m["recipients"],
        serde_json::json!(["<b@example.com>", "<c@example.com>"])
    );
    t.stop().await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_gets_552_and_the_session_goes_on() {
    let t = super::harness::spawn_catcher_with(MailCatcherConfig {
        max_message_size: std::num::NonZeroUsize::new(1024).unwrap(),
        ..MailCatcherConfig::default()
    })
    .await;
    let (mut c, _) = Client::connect(t.smtp_port()).await;
    let ehlo = {
        c.send_raw(b"EHLO big\r\n").await;
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            c.rd.read_line(&mut line).await.unwrap();
            let last = line.as_bytes().get(3) == Some(&b' ');
            lines.push(line);
            if last {
                break;
            }
        }
        lines.concat()
    };
    assert!(
        ehlo.contains("250-SIZE 1024") || ehlo.contains("250 SIZE 1024"),
        "{ehlo}"
    );
    c.expect("MAIL FROM:<a@example.com>", 250).await;
    c.expect("RCPT TO:<b@example.com>", 250).await;
    c.expect("DATA", 354).await;
    let big = "y".repeat(70);
    for _ in 0..100 {
        c.send_raw(format!("{big}\r\n").as_bytes()).await;
    }
    c.send_raw(b".\r\n").await;
    let r = c.reply().await;
    assert!(r.starts_with("552 "), "{r}");
    c.expect("MAIL FROM:<a@example.com>", 250).await;
    c.expect("RCPT TO:<b@example.com>", 250).await;
    c.expect("DATA", 354).await;
    c.send_raw(b"Subject: small\r\n\r\nfits\r\n.\r\n").await;
    assert!(c.reply().await.starts_with("250 "));
    c.expect("QUIT", 221).await;
    let m = t.only_message().await;
    assert_eq!(m["subject"], "small");
    t.stop().await;
}

#[tokio::test]
async fn shutdown_tells_connected_clients_421() {
    let t = spawn_catcher().await;
    let (mut c, _) = Client::connect(t.smtp_port()).await;
    c.expect("HELO waiting", 250).await;
    let port = t.smtp_port();
    t.stop().await;
    let r = c.reply().await;
    assert!(r.starts_with("421 "), "{r}");
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
}
