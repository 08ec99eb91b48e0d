//! The live list: a `text/event-stream` of store changes, in
//! MailCatcher's WebSocket message shape (`{type:"add",message}`,
//! `{type:"remove",id}`, `{type:"clear"}`), each also named by its type.

use std::convert::Infallible;
use std::time::Duration;

use crate::shutdown::Shutdown;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{interval_at, Instant, Interval};

use super::api::Summary;
use super::WebState;
use crate::mailcatcher::store::MailEvent;

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

struct Feed {
    rx: broadcast::Receiver<MailEvent>,
    shutdown: Shutdown,
    keep_alive: Interval,
    hello_sent: bool,
}

pub(super) async fn stream(state: web::Data<WebState>) -> HttpResponse {
    // Subscribed before the response starts: once a client has the
    // first event, it will see every later change.
    let feed = Feed {
        rx: state.store.subscribe(),
        shutdown: state.shutdown.clone(),
        keep_alive: interval_at(Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
        hello_sent: false,
    };
    let body = futures::stream::unfold(feed, |mut feed| async move {
        if !feed.hello_sent {
            feed.hello_sent = true;
            let hello = "retry: 2000\nevent: hello\ndata: {\"type\":\"hello\"}\n\n";
            return Some((
                Ok::<_, Infallible>(Bytes::from_static(hello.as_bytes())),
                feed,
            ));
        }
        let chunk = tokio::select! {
            _ = feed.shutdown.wait() => return None,
            _ = feed.keep_alive.tick() => Bytes::from_static(b": keep-alive\n\n"),
            event = feed.rx.recv() => match event {
                Ok(e) => Bytes::from(encode(&e)),
                // Missed events: the page reloads the whole list.
                Err(RecvError::Lagged(_)) => {
                    Bytes::from_static(b"event: reload\ndata: {\"type\":\"reload\"}\n\n")
                }
                Err(RecvError::Closed) => return None,
            },
        };
        Some((Ok(chunk), feed))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

/// One server-sent event for a store change.
fn encode(event: &MailEvent) -> String {
    let (name, data) = match event {
        MailEvent::Added(m) => ("add", json!({"type": "add", "message": Summary::of(m)})),
        MailEvent::Removed(id) => ("remove", json!({"type": "remove", "id": id.get()})),
        MailEvent::Cleared => ("clear", json!({"type": "clear"})),
    };
    // serde_json never writes a raw newline, so `data` is one line.
    format!("event: {name}\ndata: {data}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailcatcher::store::MessageId;

    #[test]
    fn events_are_one_line_of_json_each() {
        let id: MessageId = "4".parse().unwrap();
        assert_eq!(
            encode(&MailEvent::Removed(id)),
            "event: remove\ndata: {\"type\":\"remove\",\"id\":4}\n\n"
        );
        assert_eq!(
            encode(&MailEvent::Cleared),
            "event: clear\ndata: {\"type\":\"clear\"}\n\n"
        );
    }
}
