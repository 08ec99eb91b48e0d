"""Times dashboard page renders over HTTP: signs in, then GETs each page
REPS times and prints one JSON line per page (median and 90th percentile in
milliseconds, response size). Used by bench/dashboard.sh.

usage: dashboard.py BASE_URL EMAIL PASSWORD STORE REPS
"""
import http.cookiejar
import json
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

base, email, password, store, reps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(path):
    with opener.open(base + path, timeout=120) as r:
        return r.status, r.read()


def token(html):
    m = re.search(rb'name="authenticity_token" value="([^"]+)"', html)
    return m.group(1).decode()


_, page = get("/sign_in")
form = urllib.parse.urlencode({"authenticity_token": token(page), "email": email, "password": password, "next": "/sidekiq"})
with opener.open(base + "/sign_in", data=form.encode(), timeout=60) as r:
    assert r.status == 200 and r.url.endswith("/sidekiq"), f"sign-in failed: {r.status} {r.url}"

# A retry-set key for the detail page, and a jid to filter by.
_, retries = get("/sidekiq/retries?count=1")
key = re.search(rb'href="/sidekiq/retries/([^"]+)"', retries).group(1).decode()
jid = key.rsplit("-", 1)[1]

pages = [
    ("dashboard", "/sidekiq"),
    ("stats.json", "/sidekiq/stats"),
    ("busy", "/sidekiq/busy"),
    ("queues", "/sidekiq/queues"),
    ("queue, first page", "/sidekiq/queues/default"),
    ("queue, page 2000 (offset 49,975)", "/sidekiq/queues/default?page=2000"),
    ("retries, first page", "/sidekiq/retries"),
    ("retries, page 2000 (offset 49,975)", "/sidekiq/retries?page=2000"),
    ("retries, filtered by a jid", "/sidekiq/retries?substr=" + jid),
    ("retry detail", "/sidekiq/retries/" + key),
    ("metrics (8 h)", "/sidekiq/metrics?period=8h"),
    ("recent jobs", "/sidekiq/recent"),
]
for name, path in pages:
    get(path)  # warm-up
    times = []
    size = 0
    for _ in range(reps):
        t0 = time.perf_counter()
        status, body = get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200, (path, status)
        size = len(body)
    times.sort()
    print(json.dumps({
        "store": store,
        "page": name,
        "path": path.split("?")[0] if "substr" in path or "/retries/" in path else path,
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[max(0, int(len(times) * 0.9) - 1)], 2),
        "bytes": size,
    }), flush=True)
