"""Lighthouse on the help page as a first-time mobile visitor sees it, from production gunicorn.

Run from the repo root: `.venv/bin/python -m bench.lighthouse` (needs Lighthouse from npm, `npm ci`,
and Debian's Chromium, `apt-get install chromium`). The seed's page (11 entries) on its own SQLite
database, static files collected and compressed as in production; traffic stays on loopback.
The exit status is non-zero when the page misses a bar.
"""

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import (
    HOST,
    ROOT,
    BenchError,
    environment_set,
    free_port,
    manage,
    say,
    server_start,
    server_stop,
    server_wait,
    tail,
)
from bench.help_page import ENTRY_MARK, SEED, SEED_ENTRIES, _get

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
# Headless on a machine without a display or a sandbox; no background traffic to the internet,
# which is closed here and would only add requests that are not the page's.
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"

PERFORMANCE_BAR = 100
ACCESSIBILITY_BAR = 100
CLS_BAR = 0.0
FIRST_LOAD_BAR = 30 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, choices=range(1, 6), metavar="1-5", help="median of N"
    )
    parser.add_argument("--report", type=Path, help="also write the last run's JSON report here")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit(
            f"error: {LIGHTHOUSE.relative_to(ROOT)} is missing. Install the version pinned in "
            "package.json: npm ci"
        )
    if not Path(CHROMIUM).exists():
        sys.exit(
            f"error: no Chromium at {CHROMIUM}. apt-get install -y chromium, or set CHROME_PATH"
        )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sekvens-bench-") as var_dir:
        port = free_port()
        environment_set(Path(var_dir), port)
        # Unlike the other benchmarks, this one loads the CSS, script and icon too: hashed names and
        # precompressed copies, as whitenoise serves them in production.
        os.environ["DJANGO_STATIC_MANIFEST"] = "1"
        say("Sekvens Hjelp: Lighthouse on the help page")
        say(f"  setup    {var_dir}: migrate, import {SEED.relative_to(ROOT)}, collectstatic")
        manage("migrate", "--noinput")
        say(f"           {manage('import_help_page', str(SEED)).strip().splitlines()[-1]}")
        manage("collectstatic", "--noinput")
        log_path = Path(var_dir) / "gunicorn.log"
        server, workers = server_start(log_path)
        try:
            server_wait(server, port, workers, log_path)
            say(f"  server   gunicorn (pid {server.pid}) on {HOST}:{port}, DJANGO_DEBUG=0")
            _page_check(port)
            say(
                f"  audit    {_lighthouse_version()}, mobile preset, {args.runs} run(s), {CHROMIUM}"
            )
            reports = [_lighthouse(port, Path(var_dir) / f"run{n}.json") for n in range(args.runs)]
        except BenchError as error:
            say(f"\nFAIL: {error}")
            say(f"gunicorn log (last lines):\n{tail(log_path)}")
            return 1
        finally:
            server_stop(server)
        if args.report:
            shutil.copyfile(Path(var_dir) / f"run{args.runs - 1}.json", args.report)
    return _report(reports, time.monotonic() - started)


def _page_check(port: int) -> None:
    status, _, body = _get(port, "/")
    if status != 200:
        raise BenchError(f"GET / answered {status}, not 200")
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    if body.count(ENTRY_MARK) != SEED_ENTRIES:
        raise BenchError(f"GET / shows {body.count(ENTRY_MARK)} entries, not {SEED_ENTRIES}")


def _lighthouse_version() -> str:
    done = subprocess.run(
        [str(LIGHTHOUSE), "--version"], capture_output=True, text=True, timeout=60
    )
    return f"Lighthouse {done.stdout.strip()}"


def _lighthouse(port: int, output: Path) -> dict:
    command = [
        str(LIGHTHOUSE),
        f"http://{HOST}:{port}/",
        "--only-categories=performance,accessibility",
        "--output=json",
        f"--output-path={output}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
    except subprocess.TimeoutExpired as error:
        raise BenchError("lighthouse did not finish within 180 s") from error
    if done.returncode != 0 or not output.exists():
        raise BenchError(f"lighthouse failed:\n{done.stdout}{done.stderr}")
    report = json.loads(output.read_text())
    if report.get("runtimeError"):
        raise BenchError(f"lighthouse: {report['runtimeError']}")
    return report


def _figures(report: dict) -> dict:
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "fcp": audits["first-contentful-paint"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "bytes": sum(item.get("transferSize", 0) for item in requests),
        "requests": requests,
        "blocking": audits["render-blocking-resources"].get("details", {}).get("items", []),
        "a11y_failed": [
            ref["id"]
            for ref in report["categories"]["accessibility"]["auditRefs"]
            if ref["weight"] and audits[ref["id"]]["score"] not in (None, 1)
        ],
    }


def _report(reports: list[dict], elapsed: float) -> int:
    runs = [_figures(report) for report in reports]
    say()
    say(
        f"{'run':>3}  {'perf':>4}  {'a11y':>4}  {'CLS':>5}  {'FCP ms':>6}  {'LCP ms':>6}  "
        f"{'TBT ms':>6}  {'bytes':>7}"
    )
    for number, run in enumerate(runs, start=1):
        say(
            f"{number:>3}  {run['performance']:>4}  {run['accessibility']:>4}  {run['cls']:>5.3f}  "
            f"{run['fcp']:>6.0f}  {run['lcp']:>6.0f}  {run['tbt']:>6.0f}  {run['bytes']:>7,}"
        )
    last = runs[-1]
    say("\nFirst load, as transferred (compressed), last run:")
    for item in last["requests"]:
        path = item["url"].split(f"{HOST}:", 1)[-1].split("/", 1)[-1]
        say(
            f"  {item.get('statusCode', '-'):>3}  {item.get('resourceType', '-'):<10} "
            f"{item.get('transferSize', 0):>7,} B  (of {item.get('resourceSize', 0):>7,})  /{path}"
        )
    blocking = ", ".join(item["url"].rsplit("/", 1)[-1] for item in last["blocking"]) or "none"
    say(f"Render-blocking resources Lighthouse would defer: {blocking}")
    if last["a11y_failed"]:
        say(f"Accessibility audits failed: {', '.join(last['a11y_failed'])}")
    say(f"Finished in {elapsed:.0f} s.\n")
    performance = statistics.median(run["performance"] for run in runs)
    accessibility = min(run["accessibility"] for run in runs)
    cls = max(run["cls"] for run in runs)
    first_load = max(run["bytes"] for run in runs)
    verdicts = [
        (
            "mobile performance (median)",
            performance >= PERFORMANCE_BAR,
            f"{performance:.0f}",
            f">= {PERFORMANCE_BAR}",
        ),
        (
            "accessibility (lowest)",
            accessibility >= ACCESSIBILITY_BAR,
            f"{accessibility}",
            f">= {ACCESSIBILITY_BAR}",
        ),
        ("CLS (highest)", cls <= CLS_BAR, f"{cls:.3f}", f"= {CLS_BAR:g}"),
        (
            "first load bytes (highest)",
            first_load <= FIRST_LOAD_BAR,
            f"{first_load:,}",
            f"<= {FIRST_LOAD_BAR:,}",
        ),
    ]
    for name, met, figure, bar in verdicts:
        say(f"{'PASS' if met else 'FAIL'}  {name:<28} {figure:>7}  (bar {bar})")
    return 0 if all(met for _, met, _, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
