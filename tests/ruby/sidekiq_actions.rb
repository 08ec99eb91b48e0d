# Acts on a Redis through real Sidekiq 6.4's API, as its web UI's buttons do:
#   ruby sidekiq_actions.rb REDIS_URL ACTION [ARG]
# ACTION: retry_all_dead | quiet IDENTITY | stop IDENTITY | kill_retries
require "json"
require "sidekiq"
require "sidekiq/api"

url, action, arg = ARGV
Sidekiq.configure_client { |c| c.redis = { url: url } }

case action
when "retry_all_dead" then Sidekiq::DeadSet.new.retry_all
when "kill_retries" then Sidekiq::RetrySet.new.each(&:kill)
when "quiet" then Sidekiq::ProcessSet.new.find { |p| p.identity == arg }.quiet!
when "stop" then Sidekiq::ProcessSet.new.find { |p| p.identity == arg }.stop!
else abort "unknown action #{action}"
end
puts JSON.generate("ok" => true)
