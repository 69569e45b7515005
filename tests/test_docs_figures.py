"""The figures quoted in the README and the log design are those ``make bench`` wrote."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_docs_quote_bench_results():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench_docs.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bench_results_meet_the_storage_bar():
    import json

    with open(os.path.join(ROOT, "bench", "results.json")) as f:
        results = json.load(f)
    assert results["rr_bytes_per_beat_all_fixtures"] <= 1.0
    # The front end reports intervals: the first beat of a recording has none before it.
    assert all(row["beats"] == row["source_beats"] - 1 for row in results["storage"])
    assert results["fuzz"]["inputs"] >= 100000 and results["fuzz"]["crash"] == 0
