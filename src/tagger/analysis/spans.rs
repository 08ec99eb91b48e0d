//! Mentions found in a text as byte spans, shared by the entity detector
//! and the name finder: a hit, and whether a span overlaps earlier hits.

/// A found mention, in bytes, before grouping.
pub(super) struct Hit {
    pub start: usize,
    pub end: usize,
    pub kind: &'static str,
    pub country: Option<&'static str>,
}

/// Whether `start..end` overlaps one of `hits`, which are sorted by
/// start and do not overlap each other (so their ends are sorted too).
pub(super) fn covered(hits: &[Hit], start: usize, end: usize) -> bool {
    let first_ending_after = hits.partition_point(|h| h.end <= start);
    hits.get(first_ending_after).is_some_and(|h| h.start < end)
}

#[cfg(test)]
mod tests {
    use super::super::gazetteer as g;
    use super::*;

    #[test]
    fn covered_finds_overlaps_in_sorted_hits() {
        let hit = |start, end| Hit {
            start,
            end,
            kind: g::URL,
            country: None,
        };
        let hits = [hit(0, 5), hit(10, 20), hit(30, 31)];
        assert!(covered(&hits, 4, 6));
        assert!(!covered(&hits, 5, 10));
        assert!(covered(&hits, 19, 40));
        assert!(covered(&hits, 0, 100));
        assert!(!covered(&hits, 31, 40));
        assert!(!covered(&[], 0, 1));
    }
}
