# Exact numbers (issue 14), with real Sidekiq's client and API (6.4, 7.3, 8.1):
#   ruby sidekiq_big_numbers.rb REDIS_URL push       pushes one job, prints its jid
#   ruby sidekiq_big_numbers.rb REDIS_URL read JID   reads it back from the retry set
# Prints one JSON object.
require "json"
require "sidekiq"
require "sidekiq/api"

url, mode, jid = ARGV
Sidekiq.configure_client { |c| c.redis = { url: url } }

ARGS = [2**64 + 1, -(2**127) - 1, 1.5e300, 0.1].freeze

# Unknown to kiqlab's worker, so every run fails (NameError) and is retried.
class BigNumbersJob
  include Sidekiq::Worker
end

case mode
when "push"
  puts JSON.generate("jid" => BigNumbersJob.perform_async(*ARGS))
when "read"
  e = Sidekiq::RetrySet.new.find_job(jid)
  abort "#{jid} is not in the retry set" unless e
  puts JSON.generate(
    "exact" => e.args == ARGS,
    "args" => e.args.map(&:inspect),
    "classes" => e.args.map { |a| a.class.name },
    "retry_count" => e.item["retry_count"],
    "error_class" => e.item["error_class"],
    "raw" => e.value,
  )
else
  abort "usage: sidekiq_big_numbers.rb REDIS_URL push|read JID"
end
