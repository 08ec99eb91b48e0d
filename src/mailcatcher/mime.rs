//! MIME parsing of a received message (with `mail-parser`) into what the
//! UI and the JSON API show: subject, addresses, the HTML and plain bodies,
//! the header list and the attachments.

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

/// A header as shown on the Headers tab: the name as sent, the value
/// decoded where the parser understood it, else as sent (unfolded).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
}

/// An attachment or an inline part (an image an HTML body points at with
/// `cid:`), downloadable from `/messages/:id/parts/:cid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part's Content-ID without angle brackets, or a made-up one
    /// (`part-N`) when it has none, so every part has a URL.
    pub cid: String,
    pub content_type: String,
    pub filename: Option<String>,
    pub body: Vec<u8>,
}

/// What the catcher shows of one message. A message the parser cannot
/// make sense of still arrives: everything here is then empty, and the
/// Source tab shows what was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMail {
    pub subject: String,
    /// The From header, as `Name <address>` or `address`.
    pub from: Option<String>,
    /// The To and Cc headers, each as `Name <address>` or `address`.
    pub to: Vec<String>,
    /// The top-level content type, like `multipart/alternative`.
    pub content_type: String,
    pub html: Option<String>,
    pub plain: Option<String>,
    pub headers: Vec<HeaderLine>,
    pub parts: Vec<Part>,
}

impl ParsedMail {
    pub fn part(&self, cid: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.cid == cid)
    }
}

/// Parses a message as received. Never fails: see [`ParsedMail`].
pub fn parse(raw: &[u8]) -> ParsedMail {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return ParsedMail::default();
    };
    let html = msg.html_bodies().find_map(|p| match &p.body {
        PartType::Html(h) => Some(h.to_string()),
        _ => None,
    });
    let plain = msg.text_bodies().find_map(|p| match &p.body {
        PartType::Text(t) => Some(t.to_string()),
        _ => None,
    });
    let parts = msg
        .attachments()
        .enumerate()
        .map(|(n, p)| Part {
            cid: p
                .content_id()
                .map(|c| {
                    c.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned()
                })
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| format!("part-{}", n + 1)),
            content_type: p
                .content_type()
                .map(content_type_string)
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            filename: p.attachment_name().map(str::to_owned),
            body: p.contents().to_vec(),
        })
        .collect();
    let root = msg.root_part();
    let headers = root
        .headers
        .iter()
        .map(|h| HeaderLine {
            name: h.name.as_str().to_owned(),
            value: header_value(&h.value).unwrap_or_else(|| {
                let start = h.offset_start as usize;
                let end = (h.offset_end as usize).min(raw.len());
                unfold(&String::from_utf8_lossy(
                    raw.get(start..end).unwrap_or_default(),
                ))
            }),
        })
        .collect();
    ParsedMail {
        subject: msg.subject().unwrap_or_default().to_owned(),
        from: msg.from().and_then(|a| addresses(a).into_iter().next()),
        to: msg
            .to()
            .into_iter()
            .chain(msg.cc())
            .flat_map(addresses)
            .collect(),
        content_type: root
            .content_type()
            .map(|ct| match &ct.c_subtype {
                Some(sub) => format!("{}/{}", ct.c_type, sub),
                None => ct.c_type.to_string(),
            })
            .unwrap_or_else(|| "text/plain".to_owned()),
        html,
        plain,
        headers,
        parts,
    }
}

fn content_type_string(ct: &mail_parser::ContentType<'_>) -> String {
    match &ct.c_subtype {
        Some(sub) => format!("{}/{}", ct.c_type, sub),
        None => ct.c_type.to_string(),
    }
}

fn addresses(a: &Address<'_>) -> Vec<String> {
    a.iter()
        .filter_map(|addr| {
            let address = addr.address()?;
            Some(match addr.name() {
                Some(name) if !name.is_empty() => format!("{name} <{address}>"),
                _ => address.to_owned(),
            })
        })
        .collect()
}

/// The decoded form of a header the parser understood as text or
/// addresses; `None` sends the caller to the raw value.
fn header_value(v: &HeaderValue<'_>) -> Option<String> {
    match v {
        HeaderValue::Text(t) => Some(t.to_string()),
        HeaderValue::TextList(l) => Some(l.join(", ")),
        HeaderValue::Address(a) => {
            let list = addresses(a);
            (!list.is_empty()).then(|| list.join(", "))
        }
        _ => None,
    }
}

fn unfold(raw: &str) -> String {
    raw.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTIPART: &str = "From: Ann <ann@example.com>\r\n\
To: bob@example.com, Cy <cy@example.com>\r\n\
Subject: =?UTF-8?B?SMOpbGxvIOKckw==?=\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: multipart/alternative; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
plain body\r\n\
--b2\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>html body</p>\r\n\
--b2--\r\n\
--b1\r\n\
Content-Type: application/pdf; name=\"r.pdf\"\r\n\
Content-Disposition: attachment; filename=\"r.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0=\r\n\
--b1--\r\n";

    #[test]
    fn multipart_with_attachment() {
        let m = parse(MULTIPART.as_bytes());
        assert_eq!(m.subject, "Héllo ✓");
        assert_eq!(m.from.as_deref(), Some("Ann <ann@example.com>"));
        assert_eq!(m.to, ["bob@example.com", "Cy <cy@example.com>"]);
        assert_eq!(m.content_type, "multipart/mixed");
        assert_eq!(m.plain.as_deref().map(str::trim), Some("plain body"));
        assert_eq!(m.html.as_deref().map(str::trim), Some("<p>html body</p>"));
        assert_eq!(m.parts.len(), 1);
        let p = &m.parts[0];
        assert_eq!(p.filename.as_deref(), Some("r.pdf"));
        assert_eq!(p.content_type, "application/pdf");
        assert_eq!(p.body, b"%PDF-");
        assert_eq!(p.cid, "part-1");
        assert!(m.part("part-1").is_some());
        let subject = m.headers.iter().find(|h| h.name == "Subject").unwrap();
        assert_eq!(subject.value, "Héllo ✓");
    }

    #[test]
    fn plain_only_has_no_html() {
        let m = parse(b"Subject: hi\r\n\r\njust text\r\n");
        assert_eq!(m.subject, "hi");
        assert!(m.html.is_none());
        assert_eq!(m.plain.as_deref().map(str::trim), Some("just text"));
        assert_eq!(m.content_type, "text/plain");
    }

    #[test]
    fn html_only_has_no_plain() {
        let m = parse(b"Content-Type: text/html\r\n\r\n<b>x</b>\r\n");
        assert!(m.plain.is_none());
        assert!(m.html.is_some());
    }

    #[test]
    fn garbage_does_not_panic() {
        for raw in [
            &b""[..],
            b"\r\n",
            b"\xff\xfe\x00",
            b"Content-Type: multipart/mixed\r\n\r\n--",
        ] {
            let _ = parse(raw);
        }
    }

    #[test]
    fn folded_headers_are_unfolded() {
        assert_eq!(unfold("a\r\n  b\r\n\tc"), "a b c");
    }
}
