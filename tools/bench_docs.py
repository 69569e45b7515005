"""Copy the figures of ``bench/results.json`` into the docs, so every quoted number is one
``make bench`` printed.

The README and docs/LOG-DESIGN.md carry blocks between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``; this script rewrites them. With ``--check`` it only reports
blocks that differ from what the results file gives (the tests run that).

Usage: python tools/bench_docs.py [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results.json")
DOCS = ("README.md", os.path.join("docs", "LOG-DESIGN.md"))


def storage_table(results: dict) -> list[str]:
    lines = [
        "| fixture | hours | beats | R-R bytes per beat | R-R bytes per hour |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in results["storage"]:
        lines.append(f"| {row['fixture']} | {row['hours']} | {row['beats']} | "
                     f"{row['rr_bytes_per_beat']} | {row['rr_bytes_per_hour']} |")
    beats = sum(r["beats"] for r in results["storage"])
    lines.append(f"| all | | {beats} | {results['rr_bytes_per_beat_all_fixtures']} | |")
    return lines


def log_table(results: dict) -> list[str]:
    log = results["log_micropython"]
    mib = log["partition_bytes"] // 1048576
    lines = ["| measure | figure |", "|---|---:|"]
    for name, row in log["append"].items():
        lines.append(f"| append, {name} ({row['payload_bytes']} B payload) | "
                     f"{row['us_per_append']} µs |")
    lines += [
        f"| RAM held by a mounted {mib} MiB log | {log['mounted_log_ram_bytes']} B |",
        f"| boot recovery of a full {mib} MiB partition ({log['fill_records']} records), "
        f"best of 3 | {log['boot_recovery_ms']} ms |",
        f"| reading every record of it once | {log['walk_s']} s |",
    ]
    return lines


def fuzz_line(results: dict) -> list[str]:
    fz = results["fuzz"]
    return [f"Decoder fuzzing: {fz['inputs']} random and mutated images; {fz['decoded']} "
            f"decoded, {fz['refused']} refused with a clear error, {fz['crash']} crashes, "
            f"slowest input {fz['slowest_s']} s."]


def blocks(results: dict) -> dict[str, str]:
    machine = results["machine"]
    log = results["log_micropython"]
    mpy = log.get("micropython_version") or log["version"].split(";")[-1].replace(
        "MicroPython", "").strip()
    where = (f"Measured by `make bench` on a {machine['cpus']}-core {machine['processor']} "
             f"machine (CPython {machine['python']}; MicroPython {mpy} unix port).")
    readme = [where, "", "R-R storage on the real fixtures, recorded by the device code "
              "under MicroPython (whole records: framing and CRC included):", ""]
    readme += storage_table(results) + ["", "Ring log under MicroPython (RAM block device, "
                                        "so the log's CPU cost without flash timing):", ""]
    readme += log_table(results) + [""] + fuzz_line(results)
    design = [where, ""] + log_table(results) + [""] + fuzz_line(results)
    return {"readme": "\n".join(readme), "log": "\n".join(design)}


def render(text: str, new_blocks: dict[str, str]) -> str:
    for name, body in new_blocks.items():
        pattern = re.compile(r"(<!-- bench:%s -->\n).*?(\n<!-- /bench:%s -->)" % (name, name),
                             re.S)
        text = pattern.sub(lambda m: m.group(1) + body + m.group(2), text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with open(RESULTS) as f:
        new_blocks = blocks(json.load(f))
    stale = []
    for doc in DOCS:
        path = os.path.join(ROOT, doc)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        updated = render(text, new_blocks)
        if updated != text:
            stale.append(doc)
            if not args.check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(updated)
    if args.check and stale:
        print("figures differ from bench/results.json in: " + ", ".join(stale))
        print("run: python tools/bench_docs.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
