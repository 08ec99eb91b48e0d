//! The Lua scripts of the Redis store. Each one is a single atomic step on
//! Sidekiq's keys plus kiqlab's in-progress lists (`kiqlab:wip|IDENTITY|QUEUE`).

use std::sync::LazyLock;

use redis::Script;

/// Registry of every in-progress list, so dead processes' lists can be found
/// without scanning the keyspace.
pub const WIP_REGISTRY: &str = "kiqlab:wip";

pub fn wip_key(identity: &str, queue: &str) -> String {
    format!("kiqlab:wip|{identity}|{queue}")
}

/// Splits a `kiqlab:wip|IDENTITY|QUEUE` key.
pub fn parse_wip_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("kiqlab:wip|")?;
    rest.rsplit_once('|')
}

/// Reliable batch fetch. KEYS[1] = registry, then (queue, wip) pairs in fetch
/// order; ARGV[1] = how many at most. Pops from each queue's tail (FIFO) into
/// its wip list until the count is reached. Returns {pair index, {jobs}}…
pub static FETCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local max = tonumber(ARGV[1])
local out = {}
local pairs_n = (#KEYS - 1) / 2
for i = 1, pairs_n do
  if max <= 0 then break end
  local items = redis.call('RPOP', KEYS[2 * i], max)
  if items then
    redis.call('LPUSH', KEYS[2 * i + 1], unpack(items))
    redis.call('SADD', KEYS[1], KEYS[2 * i + 1])
    out[#out + 1] = i
    out[#out + 1] = items
    max = max - #items
  end
end
return out
"#,
    )
});

/// Puts a held job back at the front of its queue, if this process still holds
/// it (sent with EVAL inside a pipeline). KEYS = wip, queue; ARGV = job.
pub const REQUEUE: &str = r#"
if redis.call('LREM', KEYS[1], -1, ARGV[1]) > 0 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"#;

/// Moves a due job from a sorted set to its queue, with its new payload, if
/// nobody else moved it first. KEYS = set, queue; ARGV = old member, new
/// payload, queue name.
pub const MOVE_DUE: &str = r#"
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[2])
  redis.call('SADD', 'queues', ARGV[3])
  return 1
end
return 0
"#;

/// Returns every job of a dead process's wip list to the front of its queue.
/// KEYS = wip, queue, registry, heartbeat hash; ARGV = force ("1" when the
/// process is known dead although its heartbeat has not expired), queue name.
/// Returns the number moved, or -1 when the process is alive.
pub static RECOVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if ARGV[1] ~= '1' and redis.call('EXISTS', KEYS[4]) == 1 then
  return -1
end
local n = 0
while true do
  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not v then break end
  n = n + 1
end
redis.call('SREM', KEYS[3], KEYS[1])
if n > 0 then redis.call('SADD', 'queues', ARGV[2]) end
return n
"#,
    )
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wip_keys_split_back() {
        let k = wip_key("web:12:abcdef012345", "mail:high");
        assert_eq!(parse_wip_key(&k), Some(("web:12:abcdef012345", "mail:high")));
        assert_eq!(parse_wip_key("queue:default"), None);
    }
}
