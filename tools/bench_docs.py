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
DOCS = ("README.md", os.path.join("docs", "LOG-DESIGN.md"),
        os.path.join("docs", "FIRMWARE.md"), os.path.join("docs", "PREFILTER.md"),
        os.path.join("docs", "ANALYSIS.md"), os.path.join("docs", "ANALYSIS-RR.md"))


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


def firmware_table(results: dict) -> list[str]:
    st = results["study"]
    lines = [
        f"14-night study: {st['nights']} corpus nights, {st['hours']} h in all, recorded by "
        "the firmware on the sim board under MicroPython.",
        "",
        "| measure | figure | goal |",
        "|---|---:|---:|",
        f"| flash used in all (live sectors) | {st['flash_bytes_used']} B | at most 2 MiB "
        "|",
        f"| R-R plus epochs per recorded hour | {st['continuous_bytes_per_hour']} B "
        f"(R-R {st['rr_bytes_per_hour']}, epochs {st['epochs_bytes_per_hour']}) | at most "
        "8192 B |",
        f"| raw acceleration windows | {st['raw_window_bytes']} B for {st['candidates']} "
        "candidates | |",
        f"| heap held by the firmware and the simulator's objects, flash image excluded | "
        f"{st['heap_at_end_bytes']} B | |",
        f"| wakes that allocated anything | {st['wakes_that_allocated']} of {st['wakes']} "
        f"({st['records_written']} records written) | only wakes that write |",
        f"| energy estimate, {st['energy_board']} figures, {st['wake_ms_assumed']} ms per "
        f"wake assumed | {st['average_ma']} mA average ({st['wakes_per_s']} wakes/s); "
        f"{st['study_mah']} mAh for the study | at most 1 mA |",
        f"| records lost to a full log / accelerometer overruns / torn or corrupt | "
        f"{st['records_dropped']} / {st['acc_overruns']} / {st['torn_or_corrupt']} | 0 |",
        "",
        "Prefilter work per second of data (epoch features and prefilter) under "
        "MicroPython on this machine:",
        "",
        "| recording | emitter | µs per second of data | worst second |",
        "|---|---|---:|---:|",
    ]
    for key, row in results["prefilter_cpu"].items():
        name, emitter = key.split("/")
        lines.append(f"| {name} | {emitter} | {row['us_per_second_of_data']} | "
                     f"{row['worst_second_us']} µs |")
    return lines


def prefilter_table(results: dict) -> list[str]:
    lines = [
        "| split | seizures caught within 30 s | median (max) latency | seizure-free "
        "nights | candidates per seizure-free night, max (mean) | false candidates by "
        "type |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for split, row in results["prefilter_corpus"].items():
        kinds = ", ".join(f"{k} {v}" for k, v in row["false_candidates_by_type"].items())
        lines.append(
            f"| {split} | {row['caught_within_30s']} of {row['seizures']} | "
            f"{row['median_latency_s']:.1f} s ({row['max_latency_s']:.1f} s) | "
            f"{row['seizure_free_nights']} | {row['max_candidates_per_free_night']} "
            f"({row['mean_candidates_per_free_night']}) | {kinds or 'none'} |")
    return lines


def _interval(row: dict, key: str) -> str:
    value, ci = row[key], row.get(key + "_ci95")
    return f"{value}" if ci is None else f"{value} [{ci[0]}, {ci[1]}]"


def score_table(results: dict) -> list[str]:
    lines = [
        "Detectors on the corpus's test split, scored side by side (synthetic nights: a "
        "bench result, not a clinical claim). Goals of the host-analysis issue: "
        "sensitivity at least 0.97, at most 0.02 false alarms per night, median latency "
        "at most 20 s, ahead of the baseline on each. In brackets, 95 % intervals (Wilson; "
        "exact Poisson): what this many seizures and nights can show.",
        "",
        "| detector | seizures found | sensitivity [95 % CI] | false alarms per night "
        "[95 % CI] | per 24 h | median latency [range] | SzCORE sensitivity / precision / "
        "FP per 24 h |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["score_test"]:
        lines.append(
            f"| {row['detector']} | {row['detected']} of {row['seizures']} | "
            f"{_interval(row, 'sensitivity')} | {_interval(row, 'false_alarms_per_night')} | "
            f"{row['false_alarms_per_24h']} | {row['median_latency_s']:.1f} s "
            f"[{row['latency_min_s']:.1f}, {row['latency_max_s']:.1f}] | "
            f"{row['szcore_sensitivity']} / {row['szcore_precision']} / "
            f"{row['szcore_fp_per_24h']} |")
    return lines


def _cell(value, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def stress_table(results: dict) -> list[str]:
    st = results["analysis"]["stress"]
    names = list(next(iter(st["variants"].values())))
    lines = [
        f"The same {st['nights']} test nights with their seizures made harder "
        "(`bench/detect_stress.py`; everything else in the night unchanged):",
        "",
        "| variant | " + " | ".join(f"{n}: found, median latency, false alarms"
                                    for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for variant, by in st["variants"].items():
        cells = [f"{r['detected']} of {r['seizures']}, {_cell(r['median_latency_s'], 1, ' s')}"
                 f", {r['false_alarms']}" for r in by.values()]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return lines


def szdb_table(results: dict) -> list[str]:
    sz = results["analysis"]["szdb_hr_only"]
    lines = [
        f"Heart-rate-only candidates on the szdb records (real ECG beats, focal seizures, no "
        f"accelerometer; {sz['hours']} h): {sz['found']} of {sz['seizures']} seizures "
        f"overlapped by a candidate (SzCORE's 30 s before / 60 s after), "
        f"{sz['outside_seizures']} candidate(s) elsewhere ({sz['outside_per_24h']} per "
        "24 h).",
        "",
        "| record | hours | seizures | found | candidates | elsewhere |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in sz["recordings"]:
        lines.append(f"| {row['fixture']} | {row['hours']} | {row['seizures']} | "
                     f"{row['found']} | {row['candidates']} | {row['outside_seizures']} |")
    return lines


def study_time_lines(results: dict) -> list[str]:
    t = results["analysis"].get("study_time")
    if not t:
        return []
    return [
        f"Analysis time of a {t['nights']}-night study ({t['hours']} h, {t['beats']} beats, "
        f"{t['sync_files']} sync files recorded by the firmware on the sim board): load and "
        f"put on the wall clock {t['load_s']} s, detection {t['detect_s']} s, "
        f"{t['total_s']} s in all (best of {t['repeats']}; goal at most 10 s).",
    ]


def analysis_block(results: dict) -> list[str]:
    lines = score_table(results) + [""] + stress_table(results) + [""]
    lines += szdb_table(results)
    m = results["analysis"]["rr"]["mitdb"]
    lines += ["", f"Beat-level agreement of the R-R cleaning on MIT-BIH 100 ({m['beats']} "
              f"beats, {m['reference_ectopic']} reference ectopic): {m['tp']} flagged, "
              f"{m['fn']} missed, {m['fp']} normal beats flagged; SDNN {m['sdnn_ms_raw']:.1f}"
              f" ms raw, {m['sdnn_ms_clean']:.1f} ms cleaned, "
              f"{m['sdnn_ms_reference_nn']:.1f} ms on the reference NN intervals "
              "(`ANALYSIS-RR.md`)."]
    more = study_time_lines(results)
    return lines + ([""] + more if more else [])


def rr_block(results: dict) -> list[str]:
    r = results["analysis"]["rr"]
    m = r["mitdb"]
    lines = [
        "```",
        f"mitdb100: beats {m['beats']}, reference ectopic {m['reference_ectopic']}, "
        f"cleaner {m['cleaner']}",
        f"  TP {m['tp']}  FP {m['fp']}  FN {m['fn']}  TN {m['tn']}",
        f"  sensitivity {100 * m['sensitivity']:.2f} %  positive predictivity "
        f"{100 * m['positive_predictivity']:.2f} %  specificity {100 * m['specificity']:.2f} %",
        f"  reference-normal intervals kept as NN: {100 * m['nn_kept_fraction']:.2f} % of "
        f"{m['reference_nn_intervals']}",
        f"  mean HR bpm  raw {m['mean_hr_bpm_raw']:.2f}  clean {m['mean_hr_bpm_clean']:.2f}  "
        f"reference NN {m['mean_hr_bpm_reference_nn']:.2f}",
        f"  SDNN ms      raw {m['sdnn_ms_raw']:.1f}  clean {m['sdnn_ms_clean']:.1f}  "
        f"reference NN {m['sdnn_ms_reference_nn']:.1f}",
        "",
        "szdb: ictal heart rate from cleaned NN (10-s peak from onset to end + 60 s)",
        "  fixture     onset s  dur s  base bpm  peak bpm  rise bpm  +10 at s  began s  "
        "raw peak",
    ]
    for profile in r["szdb"]:
        for sz in profile["seizures"]:
            lines.append(
                f"  {profile['name']:<10} {sz['onset_s']:>8.0f} {sz['duration_s']:>6.0f} "
                f"{_cell(sz['baseline_hr_bpm']):>9} {_cell(sz['peak_hr_bpm']):>9} "
                f"{_cell(sz['rise_bpm']):>9} {_cell(sz['rise_s'], 0):>9} "
                f"{_cell(sz['rise_began_s'], 0):>8} {_cell(sz['peak_hr_bpm_raw']):>9}")
    lines += ["", "synthetic nights: share of labelled beats the cleaner flags",
              "  night                              | flagged      V/A as E          N flagged"]
    rows = list(r["corpus_demo"])
    for key in ("corpus", "corpus_validation"):
        if r.get(key):
            c = r[key]
            rows.append({"name": f"corpus {c['split']} ({c['nights']} nights)", **c})
    for row in rows:
        art = f"{row['artifact_flagged']}/{row['artifact_beats']}"
        ect = f"{row['ectopic_flagged_e']}/{row['ectopic_beats']}"
        nor = f"{row['normal_flagged']}/{row['normal_beats']}"
        lines.append(f"  {row['name']:<34} {art:>9} {ect:>13} {nor:>18}  "
                     f"({100 * row['normal_flagged_fraction']:.3f} %)")
    t = r["timing"]
    lines += ["", f"timing: clean_rr on a synthetic {t['hours']:.0f} h night of {t['beats']} "
              f"beats: median {1000 * t['median_s']:.1f} ms, best {1000 * t['best_s']:.1f} ms",
              "```"]
    return lines


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
    out = {"readme": "\n".join(readme), "log": "\n".join(design)}
    if "study" in results:
        out["firmware"] = "\n".join([where, ""] + firmware_table(results))
    if "score_test" in results:
        out["scores"] = "\n".join([where, ""] + score_table(results))
    if "prefilter_corpus" in results:
        out["prefilter"] = "\n".join([where, ""] + prefilter_table(results))
    if "analysis" in results and "score_test" in results:
        out["analysis"] = "\n".join([where, ""] + analysis_block(results))
        out["rr"] = "\n".join([where, ""] + rr_block(results))
    return out


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
