//! The worker's local buffer of fetched jobs, by queue, handed to
//! processors in the queue order of the spec (a fresh weighted shuffle each
//! time), each with its fetch sequence number.

use std::collections::{HashMap, VecDeque};

use crate::engine::queue::{QueueName, QueueSpec};
use crate::engine::store::UnitOfWork;

#[derive(Debug, Default)]
pub(super) struct Buffer {
    by_queue: HashMap<QueueName, VecDeque<(u64, UnitOfWork)>>,
    len: usize,
    next_seq: u64,
}

impl Buffer {
    pub(super) fn push(&mut self, u: UnitOfWork) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_queue
            .entry(u.queue.clone())
            .or_default()
            .push_back((seq, u));
        self.len += 1;
    }

    /// The next job in the spec's order (a fresh weighted shuffle each time).
    pub(super) fn take(&mut self, spec: &QueueSpec) -> Option<(u64, UnitOfWork)> {
        if self.len == 0 {
            return None;
        }
        let order = if spec.queues().len() == 1 {
            spec.queues().to_vec()
        } else {
            spec.fetch_order()
        };
        for q in order {
            if let Some(u) = self.by_queue.get_mut(&q).and_then(VecDeque::pop_front) {
                self.len -= 1;
                return Some(u);
            }
        }
        None
    }

    /// Everything buffered, in fetch order.
    pub(super) fn drain(&mut self) -> Vec<(u64, UnitOfWork)> {
        self.len = 0;
        let mut all: Vec<(u64, UnitOfWork)> = self.by_queue.drain().flat_map(|(_, q)| q).collect();
        all.sort_by_key(|(seq, _)| *seq);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::WeightedQueue;

    fn unit(q: &str, n: u8) -> UnitOfWork {
        UnitOfWork::unheld(QueueName::parse(q).unwrap(), vec![n])
    }

    #[test]
    fn buffer_hands_out_in_strict_queue_order() {
        let spec = QueueSpec::new(
            vec![
                "urgent".parse::<WeightedQueue>().unwrap(),
                "default".parse().unwrap(),
            ],
            false,
        )
        .unwrap();
        let mut b = Buffer::default();
        b.push(unit("default", 1));
        b.push(unit("default", 2));
        b.push(unit("urgent", 3));
        assert_eq!(b.take(&spec).unwrap().1.payload[0], 3);
        assert_eq!(b.take(&spec).unwrap().1.payload[0], 1);
        assert_eq!(b.drain().len(), 1);
        assert!(b.take(&spec).is_none());
    }
}
