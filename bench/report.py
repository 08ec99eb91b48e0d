"""Writes docs/benchmarks.md from the raw results bench/run.sh collected.

usage: report.py RAW_DIR JOBS REPS REDIS_VERSION
"""
import json
import os
import platform
import statistics
import subprocess
import sys

raw, jobs, reps, redis_version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def load(name):
    path = os.path.join(raw, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1048576:.0f} GiB RAM, Linux {platform.release()}, {rustc}, {redis_version.split(' sha')[0]}"


def redis_bench(name):
    path = os.path.join(raw, name)
    if not os.path.exists(path):
        return {}
    out = {}
    for line in open(path).read().replace("\r", "\n").splitlines():
        if ":" in line and "requests per second" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = float(v.split()[0])
    return out


rows = []
sidekiq = {c: load(f"sidekiq-c{c}.jsonl") for c in (10, 25)}
for store in ("redis", "sqlite"):
    for c in (10, 25):
        rows.append((store, c, 1, load(f"kiqlab-{store}-c{c}.jsonl")))
rows.append(("redis", 25, 2, load("kiqlab-redis-c25-p2.jsonl")))

print("# Benchmarks")
print()
print("Regenerate with `bench/run.sh` (it builds the release binary, starts a private")
print("redis-server, and runs everything below). Figures are medians of", reps, "runs of")
print(f"{jobs:,} no-op jobs. Speeds are also given as a ratio against real Sidekiq 6.4.1")
print("(Debian's ruby-sidekiq on Ruby 3.1) measured in the same run, on the same Redis.")
print()
print(f"Machine: {machine()}.")
print()
print("## Throughput, latency, memory")
print()
print("| system | store | processes x c | enqueue jobs/s | processed jobs/s | vs Sidekiq | pickup p50 / p99 ms | worker peak RSS | worker CPU s | redis CPU s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for c in (10, 25):
    s = sidekiq[c]
    if s:
        print(f"| Sidekiq 6.4.1 | redis | 1 x {c} | {fmt(med(s, 'enqueue_jobs_per_s'))} | {fmt(med(s, 'process_jobs_per_s'))} | 1.0x | n/a | {fmt(med(s, 'peak_rss_kb'))} KB | {fmt(med(s, 'worker_cpu_s'), 2)} | n/a |")
for store, c, p, r in rows:
    if not r:
        continue
    base = med(sidekiq.get(c, []), "process_jobs_per_s")
    proc = med(r, "process_jobs_per_s")
    ratio = f"{proc / base:.1f}x" if base and proc else "n/a"
    print(
        f"| kiqlab | {store} | {p} x {c} | {fmt(med(r, 'enqueue_jobs_per_s'))} | {fmt(proc)} | {ratio} | "
        f"{fmt(med(r, 'pickup_p50_ms'), 2)} / {fmt(med(r, 'pickup_p99_ms'), 2)} | {fmt(med(r, 'peak_rss_kb'))} KB | "
        f"{fmt(med(r, 'worker_cpu_s'), 2)} | {fmt(med(r, 'redis_cpu_s'), 2)} |"
    )
print()
rb = redis_bench("redis-benchmark.txt")
rb16 = redis_bench("redis-benchmark-p16.txt")
print("## The ceiling: redis-benchmark on the same machine")
print()
print("| command | requests/s, one at a time | requests/s, pipelined 16 |")
print("|---|---|---|")
for k in ("LPUSH", "RPOP"):
    print(f"| {k} | {fmt(rb.get(k))} | {fmt(rb16.get(k))} |")
print()
print("One unpipelined round trip per job cannot exceed the first column. kiqlab moves jobs")
print("in batches instead: one Lua call fetches up to concurrency + 100 sub-millisecond jobs")
print("into the worker's in-progress list (no prefetch until jobs have been timed), and one")
print("Lua call acknowledges a batch of completions with their retry/dead entries and stat")
print("counters; `push_bulk` sends 1,000 pre-encoded payloads per LPUSH, 4 batches in flight.")
print("So it is bounded by the pipelined figures and by redis-server's CPU instead.")
print()
print("## How it is measured")
print()
print("- `kiqlab bench --jobs N -c C --store URL --json`: pushes N `NoopWorker` jobs with")
print("  `push_bulk` (enqueue rate), starts the worker processes (children of the same binary,")
print("  reliable fetch on) and times until the processed counter has grown by N; then times")
print("  1,000 single jobs from `perform_async` to the start of the handler on an idle worker")
print("  (pickup p50/p99). Peak RSS is the worker's `VmHWM`; CPU is user+system from `/proc`.")
print("- `bench/sidekiq_load.rb`: the same N jobs pushed with Sidekiq's `push_bulk`, then")
print("  `sidekiq -c C` until the queue is empty and no job is busy (as Sidekiq's own")
print("  `bin/sidekiqload` measures).")
print("- Both run on the same private redis-server (no persistence) on loopback.")

dash = load("dashboard.jsonl")
if dash:
    print()
    print("## Dashboard render time")
    print()
    print("`bench/dashboard.sh` seeds 100,000 jobs into the `default` queue and 100,000 into")
    print("the retry set (real failures: a worker runs `DemoWorker` with a bad argument), starts")
    print("`kiqlab web` (release build), signs in and GETs each page over HTTP; medians of the")
    print("repetitions, in milliseconds (90th percentile in brackets). Every list is a paged")
    print("store query: on Redis page 1 and page 2,000 cost the same; on SQLite a deep page")
    print("walks the index up to its OFFSET. A substring filter reads the whole set (Redis")
    print("`ZSCAN MATCH`, SQLite `instr`). On SQLite the Dashboard and `stats.json` also count")
    print("the rows per state for the store panel.")
    print()
    pages = []
    for r in dash:
        if r["page"] not in pages:
            pages.append(r["page"])
    print("| page | Redis ms | SQLite ms | size |")
    print("|---|---|---|---|")
    for name in pages:
        cell = {}
        size = 0
        for r in dash:
            if r["page"] == name:
                cell[r["store"]] = f"{r['median_ms']:,.1f} ({r['p90_ms']:,.1f})"
                size = max(size, r["bytes"])
        print(f"| {name} | {cell.get('redis', 'n/a')} | {cell.get('sqlite', 'n/a')} | {size / 1024:,.0f} KB |")

