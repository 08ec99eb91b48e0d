//! The caught messages: an in-memory store with caps on count and bytes
//! (oldest dropped first) that tells subscribers about every change, for
//! the live list.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use tokio::sync::broadcast;

use super::mime::ParsedMail;

/// Events buffered per subscriber before a slow one is told it lagged.
const EVENT_BUFFER: usize = 256;

/// A message's number, as used in the URLs (`/messages/7.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(u64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a message id: {0:?} (expected a positive number)")]
pub struct BadMessageId(pub String);

impl MessageId {
    pub fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for MessageId {
    type Err = BadMessageId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<u64>() {
            Ok(n) if n > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(MessageId(n)),
            _ => Err(BadMessageId(s.to_owned())),
        }
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What the SMTP dialogue said, as opposed to what the headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The name the client gave in HELO/EHLO.
    pub helo: String,
    /// `MAIL FROM` address (empty for a bounce, `<>`).
    pub sender: String,
    /// `RCPT TO` addresses, in order.
    pub recipients: Vec<String>,
}

/// One caught message: the envelope, the bytes as received (after
/// dot-unstuffing) and what the MIME parser made of them.
#[derive(Debug)]
pub struct StoredMessage {
    pub id: MessageId,
    pub envelope: Envelope,
    pub received_at: DateTime<Utc>,
    pub raw: Vec<u8>,
    pub mail: ParsedMail,
}

impl StoredMessage {
    pub fn size(&self) -> usize {
        self.raw.len()
    }

    /// Roughly what the message holds in memory: the source plus its
    /// decoded bodies and parts.
    fn footprint(&self) -> usize {
        let m = &self.mail;
        self.raw.len()
            + m.html.as_ref().map_or(0, String::len)
            + m.plain.as_ref().map_or(0, String::len)
            + m.parts.iter().map(|p| p.body.len()).sum::<usize>()
    }
}

/// A change to the store, as pushed to the live list.
#[derive(Debug, Clone)]
pub enum MailEvent {
    Added(Arc<StoredMessage>),
    Removed(MessageId),
    Cleared,
}

struct Inner {
    next_id: u64,
    messages: BTreeMap<MessageId, Arc<StoredMessage>>,
    max_messages: NonZeroUsize,
    max_bytes: NonZeroUsize,
    bytes: usize,
}

impl Inner {
    fn over_limits(&self) -> bool {
        self.messages.len() > self.max_messages.get()
            || (self.bytes > self.max_bytes.get() && self.messages.len() > 1)
    }
}

/// Cheap to clone: every clone is the same store.
#[derive(Clone)]
pub struct MessageStore {
    inner: Arc<Mutex<Inner>>,
    events: broadcast::Sender<MailEvent>,
}

impl fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageStore")
            .field("len", &self.len())
            .finish()
    }
}

impl MessageStore {
    /// Keeps at most `max_messages`, and drops the oldest while all of
    /// them take more than `max_bytes` (the newest is always kept).
    pub fn new(max_messages: NonZeroUsize, max_bytes: NonZeroUsize) -> Self {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        MessageStore {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1,
                messages: BTreeMap::new(),
                max_messages,
                max_bytes,
                bytes: 0,
            })),
            events,
        }
    }

    // A panic while the lock was held cannot leave the map half-updated
    // (every change is one insert or remove), so a poisoned lock is usable.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps a message, dropping the oldest ones beyond the caps.
    pub fn insert(&self, envelope: Envelope, raw: Vec<u8>, mail: ParsedMail) -> Arc<StoredMessage> {
        let (message, evicted) = {
            let mut inner = self.lock();
            let id = MessageId(inner.next_id);
            inner.next_id += 1;
            let message = Arc::new(StoredMessage {
                id,
                envelope,
                received_at: Utc::now(),
                raw,
                mail,
            });
            inner.bytes += message.footprint();
            inner.messages.insert(id, Arc::clone(&message));
            let mut evicted = Vec::new();
            while inner.over_limits() {
                match inner.messages.pop_first() {
                    Some((old, m)) => {
                        inner.bytes -= m.footprint();
                        evicted.push(old);
                    }
                    None => break,
                }
            }
            (message, evicted)
        };
        for id in evicted {
            self.publish(MailEvent::Removed(id));
        }
        self.publish(MailEvent::Added(Arc::clone(&message)));
        message
    }

    /// All messages, oldest first (MailCatcher's order).
    pub fn list(&self) -> Vec<Arc<StoredMessage>> {
        self.lock().messages.values().cloned().collect()
    }

    pub fn get(&self, id: MessageId) -> Option<Arc<StoredMessage>> {
        self.lock().messages.get(&id).cloned()
    }

    /// Deletes one message; `false` when there was none with that id.
    pub fn remove(&self, id: MessageId) -> bool {
        let removed = {
            let mut inner = self.lock();
            match inner.messages.remove(&id) {
                Some(m) => {
                    inner.bytes -= m.footprint();
                    true
                }
                None => false,
            }
        };
        if removed {
            self.publish(MailEvent::Removed(id));
        }
        removed
    }

    pub fn clear(&self) {
        {
            let mut inner = self.lock();
            inner.messages.clear();
            inner.bytes = 0;
        }
        self.publish(MailEvent::Cleared);
    }

    pub fn len(&self) -> usize {
        self.lock().messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every change from now on, for the live list.
    pub fn subscribe(&self) -> broadcast::Receiver<MailEvent> {
        self.events.subscribe()
    }

    fn publish(&self, event: MailEvent) {
        // No subscriber is not an error: nobody is watching the list.
        let _ = self.events.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            helo: "client".into(),
            sender: "a@example.com".into(),
            recipients: vec!["b@example.com".into()],
        }
    }

    fn store(cap: usize) -> MessageStore {
        MessageStore::new(
            NonZeroUsize::new(cap).unwrap(),
            NonZeroUsize::new(1 << 30).unwrap(),
        )
    }

    #[test]
    fn message_ids_are_positive_numbers() {
        assert_eq!("12".parse::<MessageId>().unwrap().get(), 12);
        for bad in ["0", "-1", "+3", "x", "", "1.5", "99999999999999999999999"] {
            assert!(bad.parse::<MessageId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_grow_and_the_oldest_go_beyond_the_cap() {
        let s = store(2);
        let mut rx = s.subscribe();
        let a = s.insert(envelope(), b"a".to_vec(), ParsedMail::default());
        let b = s.insert(envelope(), b"b".to_vec(), ParsedMail::default());
        let c = s.insert(envelope(), b"c".to_vec(), ParsedMail::default());
        assert!(a.id < b.id && b.id < c.id);
        let ids: Vec<_> = s.list().iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![b.id, c.id]);
        assert!(s.get(a.id).is_none());
        let mut seen = Vec::new();
        while let Ok(e) = rx.try_recv() {
            seen.push(match e {
                MailEvent::Added(m) => format!("add {}", m.id),
                MailEvent::Removed(id) => format!("remove {id}"),
                MailEvent::Cleared => "clear".into(),
            });
        }
        assert_eq!(seen, ["add 1", "add 2", "remove 1", "add 3"]);
    }

    #[test]
    fn remove_and_clear() {
        let s = store(10);
        let a = s.insert(envelope(), b"a".to_vec(), ParsedMail::default());
        s.insert(envelope(), b"b".to_vec(), ParsedMail::default());
        assert!(s.remove(a.id));
        assert!(!s.remove(a.id));
        assert_eq!(s.len(), 1);
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn the_oldest_go_when_the_bytes_cap_is_reached() {
        let s = MessageStore::new(
            NonZeroUsize::new(100).unwrap(),
            NonZeroUsize::new(25).unwrap(),
        );
        let a = s.insert(envelope(), vec![b'a'; 10], ParsedMail::default());
        let b = s.insert(envelope(), vec![b'b'; 10], ParsedMail::default());
        assert_eq!(s.len(), 2);
        let c = s.insert(envelope(), vec![b'c'; 10], ParsedMail::default());
        let ids: Vec<_> = s.list().iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![b.id, c.id]);
        assert!(s.get(a.id).is_none());
        // A message larger than the cap on its own is still kept.
        let big = s.insert(envelope(), vec![b'x'; 100], ParsedMail::default());
        let ids: Vec<_> = s.list().iter().map(|m| m.id).collect();
        assert_eq!(ids, vec![big.id]);
        assert!(s.remove(big.id));
        let d = s.insert(envelope(), vec![b'd'; 10], ParsedMail::default());
        let e = s.insert(envelope(), vec![b'e'; 10], ParsedMail::default());
        assert_eq!(s.list().len(), 2, "{d:?} {e:?}");
    }
}
