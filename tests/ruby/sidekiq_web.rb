# Drives the real Sidekiq::Web (6.4, 7.3, 8.1) without a server, through
# Rack::MockRequest, as a browser would: GET pages, then post their forms
# with the CSRF token the last page carried (6.x/7.x keep it in the Rack
# session; 8.1 checks Sec-Fetch-Site instead, which a browser sends).
#   ruby sidekiq_web.rb REDIS_URL < STEPS
# STEPS is a JSON array of {"get": PATH} or {"post": PATH, "form": {…}};
# prints a JSON array of {"status", "location", "body"}, one per step.
require "json"
require "rack"
require "rack/mock"
require "sidekiq"
require "sidekiq/api"
require "sidekiq/web"

url = ARGV.fetch(0)
Sidekiq.configure_client { |c| c.redis = { url: url } }
ENV["SIDEKIQ_WEB_TESTING"] = "1"

# The session a cookie would carry between requests.
class KeptSession
  def initialize(app)
    @app = app
    @session = {}
  end

  def call(env)
    env["rack.session"] = @session
    @app.call(env)
  end
end

app = Rack::Builder.new do
  use KeptSession
  map("/sidekiq") { run Sidekiq::Web }
end.to_app # once: Builder#call would build a new chain (and session) per request
browser = Rack::MockRequest.new(app)
headers = { "HTTP_SEC_FETCH_SITE" => "same-origin", "HTTP_HOST" => "localhost" }
token = nil

steps = JSON.parse($stdin.read)
out = steps.map do |step|
  res =
    if step["get"]
      browser.get(step["get"], headers)
    else
      form = step.fetch("form", {})
      form = form.merge("authenticity_token" => token) if token && !form.key?("authenticity_token")
      browser.post(step.fetch("post"), headers.merge(params: form))
    end
  body = res.body
  found = body[/name=["']authenticity_token["'] value=["']([^"']+)/, 1]
  token = found if found
  { "status" => res.status, "location" => res["Location"] || res["location"], "body" => body }
end
puts JSON.generate(out)
