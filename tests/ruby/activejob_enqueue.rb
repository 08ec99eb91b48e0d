# Enqueues a Rails-style job through ActiveJob 7.2 with one of the two
# Sidekiq adapters, as a Rails app's `perform_later` does:
#   ruby activejob_enqueue.rb REDIS_URL rails|sidekiq
# rails:   Rails' own adapter (ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper)
# sidekiq: Sidekiq 8's adapter (Sidekiq::ActiveJob::Wrapper)
# Prints {"jid", "job_id", "wrapper"} or {"missing": WHY} when this
# environment lacks ActiveJob or that adapter.
require "json"

url, which = ARGV
begin
  require "active_job"
rescue LoadError
  puts JSON.generate("missing" => "no ActiveJob here")
  exit
end
require "sidekiq"
Sidekiq.configure_client { |c| c.redis = { url: url } }

gem_name = which == "rails" ? "activejob" : "sidekiq"
adapter = File.join(Gem::Specification.find_by_name(gem_name).gem_dir, "lib/active_job/queue_adapters/sidekiq_adapter.rb")
unless File.exist?(adapter)
  puts JSON.generate("missing" => "#{gem_name} #{Gem::Specification.find_by_name(gem_name).version} ships no ActiveJob adapter")
  exit
end
require adapter

ActiveJob::Base.logger = Logger.new(nil)
ActiveJob::Base.queue_adapter = :sidekiq

# The tutorials' DemoWorker written as a Rails job.
class DemoWorker < ActiveJob::Base
  queue_as :default

  def perform(delay, message); end
end

job = DemoWorker.perform_later(0, "aj now")
payload = Sidekiq.redis { |c| c.lrange("queue:default", 0, 0) }.first
puts JSON.generate("jid" => job.provider_job_id, "job_id" => job.job_id, "wrapper" => JSON.parse(payload)["class"])
