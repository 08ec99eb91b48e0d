# Baseline: real Sidekiq (Debian's 6.4.1) on the same machine and Redis.
#   ruby bench/sidekiq_load.rb REDIS_URL JOBS CONCURRENCY
# Pushes JOBS no-op jobs with push_bulk (batches of 1,000, as Sidekiq does),
# starts `sidekiq -c CONCURRENCY`, and times until the queue is drained and
# every job counted (as bin/sidekiqload does, by polling). Prints JSON.
require "json"
require "sidekiq"
require "sidekiq/api"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

url, jobs, concurrency = ARGV[0], Integer(ARGV[1]), Integer(ARGV[2])
Sidekiq.configure_client { |c| c.redis = { url: url, size: 2 } }
Sidekiq.logger.level = Logger::WARN
require_relative "sidekiq_noop"

Sidekiq.redis { |c| c.del("queue:bench") }
processed_before = Sidekiq::Stats.new.processed

t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
(0...jobs).each_slice(1000) do |slice|
  Sidekiq::Client.push_bulk("class" => NoopWorker, "queue" => "bench", "args" => slice.map { |i| [i] })
end
enqueue_s = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0

lib = File.join(__dir__, "sidekiq_noop.rb")
env = { "REDIS_URL" => url }
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
pid = Process.spawn(env, "sidekiq", "-r", lib, "-c", concurrency.to_s, "-q", "bench", "-t", "5",
                    out: File::NULL, err: File::NULL)
peak_rss = 0
loop do
  sleep 0.05
  status = File.read("/proc/#{pid}/status") rescue ""
  hwm = status[/VmHWM:\s+(\d+)/, 1].to_i
  peak_rss = hwm if hwm > peak_rss
  size = Sidekiq.redis { |c| c.llen("queue:bench") }
  busy = Sidekiq::Workers.new.size
  break if size == 0 && busy == 0
end
process_s = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
stat = File.read("/proc/#{pid}/stat").split(") ").last.split
ticks = Integer(`getconf CLK_TCK`.strip) rescue 100
cpu_s = (stat[11].to_i + stat[12].to_i) / ticks.to_f
Process.kill("TERM", pid)
Process.wait(pid)

puts JSON.generate(
  "system" => "sidekiq #{Sidekiq::VERSION} (ruby #{RUBY_VERSION})",
  "jobs" => jobs, "concurrency" => concurrency,
  "enqueue_jobs_per_s" => jobs / enqueue_s,
  "process_jobs_per_s" => jobs / process_s,
  "process_seconds" => process_s,
  "peak_rss_kb" => peak_rss,
  "worker_cpu_s" => cpu_s,
  "processed_counted" => Sidekiq::Stats.new.processed - processed_before
)
