# The no-op job Sidekiq runs in the baseline benchmark (like its own
# bin/sidekiqload's LoadWorker): `sidekiq -r bench/sidekiq_noop.rb`.
require "sidekiq"

class NoopWorker
  include Sidekiq::Worker
  sidekiq_options retry: 1

  def perform(_idx)
  end
end
