# Pushes jobs with real Sidekiq's client, as a Rails app would (6.4, 7.3, 8.1):
#   ruby sidekiq_push.rb REDIS_URL
# Prints a JSON object of the jids it pushed.
require "json"
require "sidekiq"

url = ARGV.fetch(0)
Sidekiq.configure_client { |c| c.redis = { url: url } }

class DemoWorker
  include Sidekiq::Worker
end

out = {
  "perform_async" => DemoWorker.perform_async(0, "from ruby"),
  "perform_in" => DemoWorker.perform_in(1, 0, "from ruby, 1 s later"),
  "push_bulk" => Sidekiq::Client.push_bulk("class" => DemoWorker, "queue" => "interop", "args" => (1..5).map { |i| [0, "bulk #{i}"] }),
  "set_queue" => DemoWorker.set(queue: "interop").perform_async(0, "set queue"),
}
puts JSON.generate(out)
