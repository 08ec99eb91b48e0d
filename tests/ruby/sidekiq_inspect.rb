# Reads a Redis through real Sidekiq 6.4's API (what its web UI shows):
#   ruby sidekiq_inspect.rb REDIS_URL
# Prints one JSON object.
require "json"
require "sidekiq"
require "sidekiq/api"

url = ARGV.fetch(0)
Sidekiq.configure_client { |c| c.redis = { url: url } }

def entry(e)
  {
    "jid" => e.jid, "klass" => e.klass, "display_class" => e.display_class,
    "args" => e.args, "queue" => e.queue, "score" => e.respond_to?(:score) ? e.score : nil,
    "enqueued_at" => e.enqueued_at&.to_f, "created_at" => e.created_at&.to_f,
    "error_class" => e.item["error_class"], "error_message" => e.item["error_message"],
    "retry_count" => e.item["retry_count"], "latency" => e.latency,
  }
end

stats = Sidekiq::Stats.new
out = {
  "stats" => {
    "processed" => stats.processed, "failed" => stats.failed,
    "scheduled_size" => stats.scheduled_size, "retry_size" => stats.retry_size,
    "dead_size" => stats.dead_size, "processes_size" => stats.processes_size,
    "workers_size" => stats.workers_size, "enqueued" => stats.enqueued,
    "queues" => stats.queues, "default_queue_latency" => stats.default_queue_latency,
  },
  "history" => Sidekiq::Stats::History.new(2).processed,
  "queues" => Sidekiq::Queue.all.map { |q| { "name" => q.name, "size" => q.size, "latency" => q.latency, "jobs" => q.map { |j| entry(j) } } },
  "scheduled" => Sidekiq::ScheduledSet.new.map { |e| entry(e) },
  "retries" => Sidekiq::RetrySet.new.map { |e| entry(e) },
  "dead" => Sidekiq::DeadSet.new.map { |e| entry(e) },
  "processes" => Sidekiq::ProcessSet.new.map { |p|
    { "identity" => p.identity, "hostname" => p["hostname"], "pid" => p["pid"],
      "concurrency" => p["concurrency"], "queues" => p["queues"], "busy" => p["busy"],
      "tag" => p["tag"], "quiet" => p["quiet"], "stopping" => p.stopping? }
  },
  "workers" => Sidekiq::Workers.new.map { |process_id, thread_id, work|
    payload = work["payload"]
    payload = JSON.parse(payload) if payload.is_a?(String)
    { "process" => process_id, "thread" => thread_id, "queue" => work["queue"], "jid" => payload["jid"],
      "class" => payload["class"], "run_at" => work["run_at"] }
  },
}
puts JSON.generate(out)
