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

/// Acknowledges a batch. Side effects (retry/dead/failed entries, counters)
/// happen only for jobs actually removed from a wip list, so repeating a batch
/// whose reply was lost changes nothing.
/// KEYS = stat:processed, stat:processed:DATE, stat:failed, stat:failed:DATE,
///        retry, dead, failed, then the distinct wip lists.
/// ARGV = now score, dead cutoff score, dead keep, failed keep, stats ttl,
///        then per job: wip index, payload, kind (d=done r=retry x=dead
///        f=discard), new payload, score, failure entry ("" for none).
/// Returns {processed, failed}.
pub static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local now, cutoff = ARGV[1], ARGV[2]
local dead_keep, failed_keep, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local processed, failed, dead_added, failures = 0, 0, false, false
for i = 6, #ARGV, 6 do
  local wip = KEYS[8 + tonumber(ARGV[i])]
  if redis.call('LREM', wip, -1, ARGV[i + 1]) > 0 then
    processed = processed + 1
    local kind = ARGV[i + 2]
    if kind ~= 'd' then failed = failed + 1 end
    if kind == 'r' then
      redis.call('ZADD', KEYS[5], ARGV[i + 4], ARGV[i + 3])
    elseif kind == 'x' then
      redis.call('ZADD', KEYS[6], now, ARGV[i + 3])
      dead_added = true
    end
    if ARGV[i + 5] ~= '' then
      redis.call('ZADD', KEYS[7], now, ARGV[i + 5])
      failures = true
    end
  end
end
if dead_added then
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. cutoff)
  redis.call('ZREMRANGEBYRANK', KEYS[6], 0, -(dead_keep + 1))
end
if failures then
  redis.call('ZREMRANGEBYRANK', KEYS[7], 0, -(failed_keep + 1))
end
if processed > 0 then
  redis.call('INCRBY', KEYS[1], processed)
  redis.call('INCRBY', KEYS[2], processed)
  redis.call('EXPIRE', KEYS[2], ttl)
end
if failed > 0 then
  redis.call('INCRBY', KEYS[3], failed)
  redis.call('INCRBY', KEYS[4], failed)
  redis.call('EXPIRE', KEYS[4], ttl)
end
return {processed, failed}
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
        assert_eq!(
            parse_wip_key(&k),
            Some(("web:12:abcdef012345", "mail:high"))
        );
        assert_eq!(parse_wip_key("queue:default"), None);
    }
}
