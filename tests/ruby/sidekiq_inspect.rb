# Reads a Redis through real Sidekiq's API (what its web UI shows); runs on
# Sidekiq 6.4, 7.3 and 8.1:
#   ruby sidekiq_inspect.rb REDIS_URL
# Prints one JSON object.
require "json"
require "sidekiq"
require "sidekiq/api"

url = ARGV.fetch(0)
Sidekiq.configure_client { |c| c.redis = { url: url } }

def time_f(t)
  t.respond_to?(:to_f) ? t.to_f : t
end

def entry(e)
  {
    "jid" => e.jid, "klass" => e.klass, "display_class" => e.display_class,
    "args" => e.args, "display_args" => e.display_args, "queue" => e.queue,
    "score" => e.respond_to?(:score) ? e.score : nil,
    "enqueued_at" => time_f(e.enqueued_at), "created_at" => time_f(e.created_at),
    "error_class" => e.item["error_class"], "error_message" => e.item["error_message"],
    "retry_count" => e.item["retry_count"], "latency" => e.latency, "item" => e.item,
  }
end

# 7.x yields Sidekiq::Work objects (6.4: hashes; 7.x Work#[] is deprecated).
def work_field(work, name)
  work.respond_to?(name) ? work.public_send(name) : work[name.to_s]
end

stats = Sidekiq::Stats.new
processes = Sidekiq::ProcessSet.new(false)
out = {
  "version" => Sidekiq::VERSION,
  "stats" => {
    "processed" => stats.processed, "failed" => stats.failed,
    "scheduled_size" => stats.scheduled_size, "retry_size" => stats.retry_size,
    "dead_size" => stats.dead_size, "processes_size" => stats.processes_size,
    "workers_size" => stats.workers_size, "enqueued" => stats.enqueued,
    "queues" => stats.queues, "default_queue_latency" => stats.default_queue_latency,
  },
  "total_concurrency" => processes.total_concurrency,
  "history" => Sidekiq::Stats::History.new(2).processed,
  "queues" => Sidekiq::Queue.all.map { |q| { "name" => q.name, "size" => q.size, "latency" => q.latency, "jobs" => q.map { |j| entry(j) } } },
  "scheduled" => Sidekiq::ScheduledSet.new.map { |e| entry(e) },
  "retries" => Sidekiq::RetrySet.new.map { |e| entry(e) },
  "dead" => Sidekiq::DeadSet.new.map { |e| entry(e) },
  "processes" => processes.map { |p|
    { "identity" => p.identity, "hostname" => p["hostname"], "pid" => p["pid"],
      "concurrency" => p["concurrency"], "queues" => p["queues"], "weights" => p["weights"],
      "capsules" => p["capsules"], "weights_api" => (p.respond_to?(:weights) ? p.weights : nil), "busy" => p["busy"], "tag" => p["tag"], "quiet" => p["quiet"],
      "version" => p["version"], "stopping" => p.stopping? }
  },
  "workers" => Sidekiq::Workers.new.map { |process_id, thread_id, work|
    payload = work_field(work, :payload)
    payload = JSON.parse(payload) if payload.is_a?(String)
    { "process" => process_id, "thread" => thread_id, "queue" => work_field(work, :queue), "jid" => payload["jid"],
      "class" => payload["class"], "run_at" => time_f(work_field(work, :run_at)) }
  },
}
puts JSON.generate(out)
