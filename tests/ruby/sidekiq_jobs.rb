# The job classes a real `sidekiq` process runs in the interop suite
# (`sidekiq -r sidekiq_jobs.rb`, Sidekiq 6.4, 7.3, 8.1). Each run is recorded
# in Redis, so a test counts what Ruby ran:
#   interop:ran        HASH  jid => times run
#   interop:messages   LIST  DemoWorker's message, one entry per run
require "json"
require "sidekiq"

Sidekiq.configure_server do |config|
  # Poll the schedule often (the default waits 10-15 s before the first poll).
  # 7.x+ configs take `[]=`; 6.4 keeps its settings in Sidekiq.options.
  opts = config.respond_to?(:[]=) ? config : Sidekiq.options
  opts[:poll_interval_average] = 0.5
  opts[:average_scheduled_poll_interval] = 0.5
end

module Interop
  def self.record(jid, message)
    Sidekiq.redis do |c|
      c.hincrby("interop:ran", jid, 1)
      c.rpush("interop:messages", message.to_s)
    end
  end
end

# The tutorials' DemoWorker: perform(delay_seconds, message).
class DemoWorker
  include Sidekiq::Worker

  def perform(delay, message)
    sleep delay.to_f
    Interop.record(jid, message)
  end
end

# Always fails (for Metrics' failure counts).
class FailingWorker
  include Sidekiq::Worker
  sidekiq_options retry: false

  def perform(*)
    raise "failing on purpose"
  end
end

# Fails into the retry set.
class RetryingWorker
  include Sidekiq::Worker
  sidekiq_options retry: 3

  def perform(*)
    raise ArgumentError, "retry me"
  end
end

# Fails straight into the morgue (retry: 0).
class DoomedWorker
  include Sidekiq::Worker
  sidekiq_options retry: 0

  def perform(*)
    raise "to the morgue"
  end
end

# The tutorials' DemoWorker as a Rails job (where ActiveJob is installed:
# 7.3's and 8.1's chroots), for `kiqlab enqueue --activejob`. Loading an
# adapter defines Rails' JobWrapper (8.x: an alias of Sidekiq::ActiveJob::Wrapper).
begin
  require "active_job"
  require "active_job/queue_adapters/sidekiq_adapter"
  ActiveJob::Base.logger = Logger.new(nil)
  ActiveJob::Base.queue_adapter = :sidekiq

  class AjDemoJob < ActiveJob::Base
    queue_as :default

    def perform(delay, message)
      sleep delay.to_f
      Interop.record(provider_job_id, message)
    end
  end
rescue LoadError
  # No ActiveJob here (Sidekiq 6.4 on the host).
end
