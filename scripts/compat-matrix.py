#!/usr/bin/env python3
"""Renders docs/compatibility.md from the interop suite's result files.

Each test of tests/it/interop records one JSON file per check and Sidekiq
version under target/interop-results/ (tests/it/interop/record.rs). This
script turns them into the checks x versions matrix, with the package
versions found on the host and in the chroots. It exits non-zero when a
check failed that is not marked as failing today (#[ignore = "issue …"]),
or when a check lacks a result for a version (the run was incomplete).

Usage: scripts/compat-matrix.py [--results DIR] [--chroots DIR] [--out FILE]
"""

import argparse
import datetime
import json
import pathlib
import re
import subprocess
import sys

VERSIONS = [
    ("sidekiq_6_4", "6.4", "host (Debian 12 bookworm)", None),
    ("sidekiq_7_3", "7.3", "trixie chroot", "trixie"),
    ("sidekiq_8_1", "8.1", "sid chroot", "sid"),
]
PACKAGES = ["ruby", "ruby-sidekiq", "ruby-rack", "ruby-rack-session", "puma", "ruby-activejob"]
# Module order of the matrix: the direction of each check, then the details.
MODULES = ["client", "enqueue", "api", "sidekiq_web",
           "sidekiq_web_actions", "dashboard", "fleet",
           "activejob", "time_fields", "big_numbers", "processes"]
COMMAND = "bash scripts/compat-matrix.sh"


def host_packages():
    out = {}
    for p in PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", p],
                           capture_output=True, text=True, check=False)
        if r.returncode == 0 and r.stdout.strip():
            out[p] = r.stdout.strip()
    return out


def chroot_packages(root):
    out = {}
    f = root / "kiqlab-chroot.txt"
    if not f.is_file():
        return out
    for line in f.read_text().splitlines():
        name, _, version = line.partition("=")
        if name in PACKAGES:
            out[name] = version
    return out


def stable(message):
    """A failure message without what changes from run to run (dumped JSON
    and rows, jids, times, pids), so a rerun with the same results leaves
    docs/compatibility.md as it was."""
    message = re.split(r"\s[\[{]", message, maxsplit=1)[0]
    message = re.sub(r"\b[0-9a-f]{24}\b", "JID", message)
    message = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "TIME", message)
    message = re.sub(r"\d{6,}(\.\d+)?", "N", message)
    return message[:157] + "…" if len(message) > 160 else message


# How kiqlab meets the differences between the versions (static text; the
# code it describes names the same rules).
PROSE = [
    "## How kiqlab meets the three versions",
    "",
    "- **Processes.** A kiqlab heartbeat writes `concurrency` both in `info` (6.x and 7.x read it there) "
    "and as a field of the process hash (8.x reads only that, and it overrides `info`'s), and queue "
    "weights both as 7.x's `info.weights` and as 8.x's `info.capsules` (`{\"default\": {concurrency, mode, "
    "weights}}`). kiqlab's Busy reads a process the same way: the hash's `concurrency` over `info`'s, "
    "`info.capsules` over `info.weights` (`src/engine/store/process.rs`).",
    "- **Pruning `processes`.** On Redis kiqlab removes members whose heartbeat has expired only when it "
    "wins Sidekiq 7's lock (`SET process_cleanup 1 NX EX 60`), so kiqlab, 7.x and 8.x prune at most once a "
    "minute between them; expired members are never listed either way.",
    "- **Metrics: both layouts, always.** Sidekiq 7 keeps per-minute counters in `j|YYYYMMDD|H:M` and "
    "histograms in `Class-DD-HH:M`; Sidekiq 8 in `j|YYMMDD|H:MM` (8 hours), a 10-minute rollup "
    "`j|YYMMDD|H:M` (3 days) and `h|Class-D-H:M`. kiqlab writes every layout after each acknowledged "
    "batch (one pipeline), so whichever Sidekiq::Web reads the Redis, or both during an upgrade, lists "
    "what kiqlab ran, without guessing from live processes (a Sidekiq::Web is not one). kiqlab's "
    "Metrics reads both and takes, per minute, class and counter (and histogram bucket), the larger "
    "value, so its own runs count once; exact unless Sidekiq 7 *and* 8 processes both ran one class in "
    "one minute, when the smaller share is missed (`src/engine/store/redis/layouts.rs`). The SQLite "
    "store keeps its own table.",
    "- **Time fields.** When kiqlab sets `enqueued_at`, `failed_at` or `retried_at` it keeps the "
    "payload's unit, taken from its `created_at` (else `enqueued_at`): integer milliseconds (8.x) stay "
    "integer milliseconds, float seconds stay floats; `at` and set scores are float seconds on every "
    "version. Reading, a float is seconds and an integer is milliseconds from 1e11 up, seconds below "
    "(1e11 s is the year 5138, 1e11 ms is 1973), as `Sidekiq::JobRecord` does before 8 "
    "(`src/engine/job.rs`, `time_value_secs`).",
    "- **ActiveJob.** Jobs wrapped by Rails' adapter (`ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper`) "
    "or Sidekiq 8's (`Sidekiq::ActiveJob::Wrapper`) show as Sidekiq::Web shows them: the wrapped class "
    "(mailers as `Mailer#method`) and the job's own arguments with the `_aj_*` markers decoded. A kiqlab "
    "worker runs one with its handler for the wrapped class and the deserialized arguments; a GlobalID "
    "argument (an Active Record object) or a custom serializer fails with "
    "`ActiveJob::DeserializationError` naming it. `kiqlab enqueue --activejob CLASS ARG…` writes Rails' "
    "envelope (`src/engine/activejob.rs`).",
    "",
]


def cell(r):
    if r is None:
        return "missing"
    res = r["result"]
    if res == "pass":
        return "pass (still ignored)" if r.get("expected_failure") else "pass"
    if res == "fail":
        return "**FAIL** (issue 15)" if r.get("expected_failure") else "**FAIL**"
    return res


def render(results, chroots):
    checks = {}
    for r in results:
        checks.setdefault(r["check"], {})[r["version"]] = r

    def order(check):
        module = check.split("::")[0]
        first = next(iter(checks[check].values()))
        idx = MODULES.index(module) if module in MODULES else len(MODULES)
        return (idx, first.get("line", 0), check)

    packages = {}
    sidekiq = {}
    for label, _, _, suite in VERSIONS:
        packages[label] = host_packages() if suite is None else chroot_packages(chroots / suite)
        found = {r["sidekiq"] for r in results if r["version"] == label and r["sidekiq"]}
        sidekiq[label] = ", ".join(sorted(found)) or "not found"

    lines = []
    lines.append("# Compatibility with real Sidekiq")
    lines.append("")
    lines.append("Generated from the interop suite (`tests/it/interop`) by `" + COMMAND + "` "
                 "(it runs `cargo test --test it interop:: -- --include-ignored`, then "
                 "`scripts/compat-matrix.py`); `bash scripts/test-all.sh` refreshes it too. "
                 "Do not edit by hand.")
    lines.append("")
    lines.append("Generated: DATE")
    lines.append("")
    lines.append("Every check runs against a fresh `redis-server` with the real Ruby packages: "
                 "Sidekiq 6.4 from the host's Ruby, 7.3 and 8.1 in Debian chroots built by "
                 "`scripts/sidekiq-chroots.sh` (cached in /var/cache/kiqlab-ci).")
    lines.append("")
    lines.append("| | " + " | ".join(f"Sidekiq {short}" for _, short, _, _ in VERSIONS) + " |")
    lines.append("|---|" + "---|" * len(VERSIONS))
    lines.append("| environment | " + " | ".join(env for _, _, env, _ in VERSIONS) + " |")
    lines.append("| `Sidekiq::VERSION` | " + " | ".join(sidekiq[l] for l, _, _, _ in VERSIONS) + " |")
    for p in PACKAGES:
        lines.append(f"| {p} | " + " | ".join(packages[l].get(p, "—") for l, _, _, _ in VERSIONS) + " |")
    lines.append("")
    lines.extend(PROSE)
    lines.append("## Matrix")
    lines.append("")
    lines.append("pass: every assertion held · **FAIL** (issue 15): fails today, the test is "
                 "`#[ignore]`d with the reason below until kiqlab is fixed · n/a: the check "
                 "means nothing for that version · missing: no result recorded.")
    lines.append("")
    lines.append("| check | what it asserts | " + " | ".join(short for _, short, _, _ in VERSIONS) + " |")
    lines.append("|---|---|" + "---|" * len(VERSIONS))
    problems = []
    for check in sorted(checks, key=order):
        per = checks[check]
        what = next(iter(per.values()))["what"].replace("|", "\\|")
        cells = []
        for label, short, _, _ in VERSIONS:
            r = per.get(label)
            cells.append(cell(r))
            if r is None:
                problems.append(f"{check} on {short}: no result")
            elif r["result"] == "fail" and not r.get("expected_failure"):
                problems.append(f"{check} on {short}: {r['detail'].splitlines()[0] if r['detail'] else 'failed'}")
        lines.append(f"| `{check}` | {what} | " + " | ".join(cells) + " |")
    lines.append("")
    failing = [(check, short, checks[check][label]) for check in sorted(checks, key=order)
               for label, short, _, _ in VERSIONS
               if label in checks[check] and checks[check][label]["result"] == "fail"]
    lines.append("## Failing today")
    lines.append("")
    if not failing:
        lines.append("Nothing.")
    for check, short, r in failing:
        reason = r.get("expected_failure") or "not expected to fail"
        first = stable((r["detail"].splitlines() or [""])[0]).replace("|", "\\|")
        lines.append(f"- `{check}` on {short}: {reason}. Measured: `` {first} ``")
    lines.append("")
    counts = {}
    for r in results:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    lines.append("Totals: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ".")
    lines.append("")
    return "\n".join(lines), problems


def main():
    ap = argparse.ArgumentParser()
    root = pathlib.Path(__file__).resolve().parent.parent
    ap.add_argument("--results", default=root / "target" / "interop-results", type=pathlib.Path)
    ap.add_argument("--chroots", default=pathlib.Path("/var/cache/kiqlab-ci"), type=pathlib.Path)
    ap.add_argument("--out", default=root / "docs" / "compatibility.md", type=pathlib.Path)
    args = ap.parse_args()
    files = sorted(args.results.glob("*.json")) if args.results.is_dir() else []
    if not files:
        print(f"compat-matrix: no results in {args.results}: run the interop suite first", file=sys.stderr)
        return 1
    results = [json.loads(f.read_text()) for f in files]
    body, problems = render(results, args.chroots)
    # Keep the old date when nothing else changed, so a rerun leaves no diff.
    old = args.out.read_text() if args.out.is_file() else ""
    old_date = next((l[len("Generated: "):] for l in old.splitlines() if l.startswith("Generated: ")), None)
    if old_date and old == body.replace("Generated: DATE", "Generated: " + old_date):
        text = old
    else:
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        text = body.replace("Generated: DATE", "Generated: " + today)
    args.out.write_text(text)
    print(f"compat-matrix: wrote {args.out} from {len(results)} results")
    for p in problems:
        print(f"compat-matrix: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
