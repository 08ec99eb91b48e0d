# Drives the real Sidekiq::Web (6.4, 7.3, 8.1) without a server, through
# Rack::MockRequest, as a browser would: GET pages, then post their forms
# with the CSRF token the last page carried (6.x/7.x keep it in the Rack
# session; 8.1 checks Sec-Fetch-Site instead, which a browser sends).
#   ruby sidekiq_web.rb REDIS_URL < STEPS
# STEPS is a JSON array of
#   {"get": PATH}
#   {"follow": PREFIX, "containing": TEXT}  GET the last page's first link
#                                            starting with PREFIX (and holding TEXT)
#   {"post": PATH, "form": {…}}             PATH "." is the last page GOT
# and it prints a JSON array of {"status", "location", "path", "body"}, one per step.
require "cgi"
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
last_path = nil
last_body = ""

steps = JSON.parse($stdin.read)
out = steps.map do |step|
  path = nil
  res =
    if step["get"]
      path = step["get"]
      browser.get(path, headers)
    elsif step["follow"]
      links = last_body.scan(/href=["']([^"']+)["']/).flatten.map { |l| CGI.unescapeHTML(l) }
      path = links.find { |l| l.start_with?(step["follow"]) && l.include?(step.fetch("containing", "")) }
      abort "no link #{step["follow"]}…#{step["containing"]} on #{last_path}" unless path
      browser.get(path, headers)
    else
      path = step.fetch("post")
      path = last_path if path == "."
      form = step.fetch("form", {})
      form = form.merge("authenticity_token" => token) if token && !form.key?("authenticity_token")
      browser.post(path, headers.merge(params: form))
    end
  body = res.body
  if step["get"] || step["follow"]
    last_path = path
    last_body = body
  end
  found = body[/name=["']authenticity_token["'] value=["']([^"']+)/, 1]
  token = found if found
  { "status" => res.status, "location" => res["Location"] || res["location"], "path" => path, "body" => body }
end
puts JSON.generate(out)
