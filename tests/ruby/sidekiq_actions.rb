# Acts on a Redis through real Sidekiq's API (6.4, 7.3, 8.1):
#   ruby sidekiq_actions.rb REDIS_URL ACTION [ARG]
# ACTION: retry_all_dead | quiet IDENTITY | stop IDENTITY | kill_retries |
#         cleanup (ProcessSet#cleanup: prune dead processes; 7.x+ under the
#         process_cleanup lock) | raw_push JSON (LPUSH queue:QUEUE as a
#         non-Ruby client would, the payload as written)
require "json"
require "sidekiq"
require "sidekiq/api"

url, action, arg = ARGV
Sidekiq.configure_client { |c| c.redis = { url: url } }

out = { "ok" => true }
case action
when "retry_all_dead" then Sidekiq::DeadSet.new.retry_all
when "kill_retries" then Sidekiq::RetrySet.new.each(&:kill)
when "quiet" then Sidekiq::ProcessSet.new.find { |p| p.identity == arg }.quiet!
when "stop" then Sidekiq::ProcessSet.new.find { |p| p.identity == arg }.stop!
when "cleanup" then out["cleaned"] = Sidekiq::ProcessSet.new(false).cleanup
when "raw_push"
  job = JSON.parse(arg)
  Sidekiq.redis do |c|
    c.sadd("queues", job.fetch("queue"))
    c.lpush("queue:#{job.fetch("queue")}", JSON.generate(job))
  end
else abort "unknown action #{action}"
end
puts JSON.generate(out)
