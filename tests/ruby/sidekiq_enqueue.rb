# Pushes the named jobs with real Sidekiq's client (6.4, 7.3, 8.1):
#   ruby sidekiq_enqueue.rb REDIS_URL < JOBS
# JOBS is a JSON array of {"class", "args", "queue"?, "in"?, "retry"?}; the classes need
# not exist here (as a Rails app pushing to another app's workers). Prints
# the jids in order.
require "json"
require "sidekiq"

url = ARGV.fetch(0)
Sidekiq.configure_client { |c| c.redis = { url: url } }

jids = JSON.parse($stdin.read).map do |job|
  item = { "class" => job.fetch("class"), "args" => job.fetch("args"), "queue" => job.fetch("queue", "default") }
  item["at"] = Time.now.to_f + job["in"] if job["in"]
  item["retry"] = job["retry"] if job.key?("retry")
  Sidekiq::Client.push(item)
end
puts JSON.generate(jids)
