#!/usr/bin/env python3
"""Convert the PhysioNet recordings beside the checkout into committed test fixtures.

Reads, with the ``wfdb`` package:

* ``DATA/mitdb-100``: MIT-BIH Arrhythmia record 100 -> fixture ``mitdb100`` (reference beat
  annotations, ECG lead MLII in microvolts, the beat symbols as the extra key ``beat_label``).
* ``DATA/szdb``: Post-Ictal Heart Rate Oscillations in Partial Epilepsy -> one fixture
  ``szdb_szNN`` per record that has an ``.ari`` file (automatic beat annotations, no ECG,
  the focal seizures of ``times.seize`` as ``sz_focal`` events).

Neither source has an accelerometer, so every fixture has an empty ``acc_mg`` of shape
(0, 3) at the conventional 25 Hz. The output folder also gets ``ATTRIBUTION.md``.

Run from the repository root::

    .venv/bin/python tools/convert_physionet.py --data ../shared/data --out tests/fixtures
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ictalog.errors import FixtureError
from ictalog.fixture import Event, Fixture, events_path_for, load_fixture, save_fixture

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures"
COMMAND = ".venv/bin/python tools/convert_physionet.py --data ../shared/data --out tests/fixtures"

#: WFDB annotation codes that mark a QRS complex (a beat). Everything else, such as '+'
#: (rhythm change), 's' (ST change), '~' (noise) or '|' (artifact), is not a beat.
BEAT_SYMBOLS = frozenset("NLRBAaJSVrFejnE/fQ?")

#: No accelerometer in either source; the wearable's rate is the conventional placeholder.
NO_ACC_HZ = 25.0
#: Microvolts per unit of the header's physical unit.
UV_PER_UNIT = {"uV": 1.0, "mV": 1_000.0, "V": 1_000_000.0}

SZDB_EVENT_TYPE = "sz_focal"


@dataclass(frozen=True)
class Converted:
    """One fixture written, with what the summary and the attribution report about it."""

    name: str
    source: str
    inputs: tuple[Path, ...]
    note: str


def _require_wfdb() -> Any:
    """Import wfdb, or stop with the install command when it is missing."""
    try:
        import wfdb  # type: ignore[import-untyped]
    except ImportError:
        sys.exit("convert_physionet: the wfdb package is missing; pip install wfdb==4.3.1")
    return wfdb


def beats_from_annotations(samples: NDArray[np.int64], symbols: list[str], fs_hz: float
                           ) -> tuple[NDArray[np.float64], NDArray[np.str_]]:
    """Keep the beat annotations and turn their sample numbers into seconds.

    Args:
        samples: annotation sample numbers.
        symbols: annotation symbols, one per sample.
        fs_hz: sampling rate the sample numbers count in.

    Returns:
        R-peak times in seconds and their one-character symbols.
    """
    keep = np.array([symbol in BEAT_SYMBOLS for symbol in symbols], dtype=bool)
    beat_s = np.asarray(samples, dtype=np.int64)[keep] / float(fs_hz)
    beat_label = np.array([s for s, k in zip(symbols, keep) if k], dtype="<U1")
    return beat_s.astype(np.float64), beat_label


def digital_to_uv(digital: NDArray[np.integer], gain_per_unit: float, baseline: int,
                  units: str) -> NDArray[np.int16]:
    """Convert stored ADC values to int16 microvolts with the header's gain and baseline.

    Args:
        digital: ADC values as stored in the signal file.
        gain_per_unit: ADC units per physical unit (header gain).
        baseline: ADC value of 0 in physical units.
        units: physical unit named in the header (uV, mV or V).

    Returns:
        The signal in whole microvolts.
    """
    if units not in UV_PER_UNIT:
        raise SystemExit(f"convert_physionet: unknown ECG unit {units!r} in the header")
    signal_uv = np.rint((digital.astype(np.float64) - baseline) * UV_PER_UNIT[units]
                        / gain_per_unit)
    info = np.iinfo(np.int16)
    if signal_uv.size and (signal_uv.min() < info.min or signal_uv.max() > info.max):
        raise SystemExit("convert_physionet: ECG exceeds the int16 microvolt range")
    return signal_uv.astype(np.int16)


def convert_mitdb100(data_dir: Path, out_dir: Path) -> Converted:
    """Write fixture ``mitdb100`` from MIT-BIH record 100."""
    wfdb = _require_wfdb()
    base = data_dir / "mitdb-100" / "100"
    record = wfdb.rdrecord(str(base), channel_names=["MLII"], physical=False)
    if record.sig_name != ["MLII"]:
        raise SystemExit(f"convert_physionet: {base}.hea has no MLII lead")
    ann = wfdb.rdann(str(base), "atr")
    ecg_hz = float(record.fs)
    beat_s, beat_label = beats_from_annotations(ann.sample, ann.symbol, ecg_hz)
    ecg_uv = digital_to_uv(record.d_signal[:, 0], float(record.adc_gain[0]),
                           int(record.baseline[0]), record.units[0])
    fixture = Fixture(
        acc_mg=np.zeros((0, 3), dtype=np.int16),
        acc_hz=NO_ACC_HZ,
        beat_s=beat_s,
        duration_s=record.sig_len / ecg_hz,
        ecg_uv=ecg_uv,
        ecg_hz=ecg_hz,
        extras={"beat_label": beat_label},
    )
    save_fixture(out_dir / "mitdb100.npz", fixture)
    skipped = len(ann.symbol) - len(beat_s)
    return Converted(
        name="mitdb100",
        source="mitdb",
        inputs=(base.with_suffix(".hea"), base.with_suffix(".dat"), base.with_suffix(".atr")),
        note=f"{len(beat_s)} reference beats ({skipped} non-beat annotation(s) left out)",
    )


def parse_hms_s(text: str) -> int:
    """Return the seconds in an ``hh:mm:ss`` time."""
    parts = text.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"not hh:mm:ss: {text!r}")
    hours, minutes, seconds = (int(part) for part in parts)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"not hh:mm:ss: {text!r}")
    return hours * 3600 + minutes * 60 + seconds


def read_times_seize(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Read szdb's ``times.seize``: per record, (onset_s, offset_s) of each seizure.

    Each line is ``RECORD hh:mm:ss hh:mm:ss`` (onset and offset from the record start).
    """
    seizures: dict[str, list[tuple[int, int]]] = {}
    for line_number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            if len(fields) != 3:
                raise ValueError(f"expected 3 fields, got {len(fields)}")
            onset_s, offset_s = parse_hms_s(fields[1]), parse_hms_s(fields[2])
            if offset_s <= onset_s:
                raise ValueError("offset is not after onset")
        except ValueError as exc:
            raise SystemExit(f"convert_physionet: {path}:{line_number}: {exc}") from exc
        seizures.setdefault(fields[0], []).append((onset_s, offset_s))
    return seizures


def convert_szdb(data_dir: Path, out_dir: Path
                 ) -> tuple[list[Converted], list[str], list[str]]:
    """Write one fixture per szdb record with beat annotations.

    Returns:
        The fixtures written, notes for the person running the conversion, and the records
        held back (named in RECORDS or times.seize but without files here).
    """
    wfdb = _require_wfdb()
    szdb = data_dir / "szdb"
    seizures = read_times_seize(szdb / "times.seize")
    listed = (szdb / "RECORDS").read_text().split() if (szdb / "RECORDS").is_file() else []
    with_ari = sorted(path.stem for path in szdb.glob("*.ari"))
    notes = []
    held_back = sorted((set(listed) | set(seizures)) - set(with_ari))
    if held_back:
        lines = sum(len(seizures.get(name, [])) for name in held_back)
        notes.append(
            f"skipped {', '.join(held_back)}: held back from this copy (listed in RECORDS and "
            f"times.seize, {lines} seizure line(s), but no .hea/.ari files)"
        )
    converted = []
    for record_name in with_ari:
        base = szdb / record_name
        header = wfdb.rdheader(str(base))
        ann = wfdb.rdann(str(base), "ari")
        fs_hz = float(header.fs)
        if float(ann.fs or fs_hz) != fs_hz:
            raise SystemExit(f"convert_physionet: {base}.ari and .hea disagree on the rate")
        beat_s, beat_label = beats_from_annotations(ann.sample, ann.symbol, fs_hz)
        duration_s = header.sig_len / fs_hz
        events = tuple(
            Event(
                onset_s=float(onset_s),
                duration_s=float(offset_s - onset_s),
                event_type=SZDB_EVENT_TYPE,
                recording_duration_s=duration_s,
            )
            for onset_s, offset_s in seizures.get(record_name, [])
        )
        if not events:
            notes.append(f"{record_name}: no line in times.seize, fixture has no events")
        fixture = Fixture(
            acc_mg=np.zeros((0, 3), dtype=np.int16),
            acc_hz=NO_ACC_HZ,
            beat_s=beat_s,
            duration_s=duration_s,
            events=events,
            extras={"beat_label": beat_label},
        )
        name = f"szdb_{record_name}"
        save_fixture(out_dir / f"{name}.npz", fixture)
        has_dat = base.with_suffix(".dat").is_file()
        converted.append(Converted(
            name=name,
            source="szdb",
            inputs=(base.with_suffix(".hea"), base.with_suffix(".ari"), szdb / "times.seize"),
            note=f"{len(beat_s)} automatic beats, {len(events)} seizure(s)"
            + ("" if has_dat else "; ECG signal file absent here (not needed)"),
        ))
    return converted, notes, held_back


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def attribution_text(converted: list[Converted], data_dir: Path, held_back: list[str]) -> str:
    """Compose ``ATTRIBUTION.md`` for the fixtures written."""
    def names(source: str) -> str:
        return ", ".join(f"`{c.name}`" for c in converted if c.source == source)

    def inputs(source: str) -> list[str]:
        seen: dict[Path, None] = {}
        for item in converted:
            if item.source == source:
                seen.update(dict.fromkeys(item.inputs))
        ordered = sorted(seen, key=lambda path: (path.name == "times.seize", str(path)))
        return [f"  - `{path.relative_to(data_dir)}` sha256 `{sha256_of(path)}`"
                for path in ordered]

    lines = [
        "# Attribution of the recorded fixtures",
        "",
        "The fixtures in this folder were converted from public PhysioNet recordings by",
        "`tools/convert_physionet.py`. They are in the ictalog fixture format (`NAME.npz` plus",
        "`NAME.events.tsv`, see `host/ictalog/fixture.py`). Neither source recorded",
        "acceleration: every fixture has an empty `acc_mg` of shape (0, 3) and `acc_hz` 25 as",
        "a placeholder. No recording start time is published, so `start_utc` and `dateTime`",
        "are absent (`n/a`). The data keep their own licence, not the licence of this",
        "repository's code.",
        "",
        "## MIT-BIH Arrhythmia Database, record 100",
        "",
        f"- Fixtures: {names('mitdb')}.",
        "- Source: PhysioNet, MIT-BIH Arrhythmia Database v1.0.0,",
        "  https://physionet.org/content/mitdb/1.0.0/ (DOI 10.13026/C2F305); the copy used was",
        "  taken from the wfdb-python repository's sample data.",
        "- Licence: Open Data Commons Attribution License v1.0 (ODC-By 1.0).",
        "- Converted: the expert reference beat annotations (`100.atr`, beat codes only; the",
        "  rhythm annotation `+` is left out) as `beat_s`, their symbols (N, A, V) as the extra",
        "  key `beat_label`, the whole record length as `duration_s`, and lead MLII converted",
        "  with the header's gain (200 adu/mV) and baseline (1024) to int16 microvolts as",
        "  `ecg_uv` at 360 Hz. Lead V5 is not included. There are no events.",
        "- Please cite:",
        "  - Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng Med",
        "    Biol 20(3):45-50 (2001).",
        "  - Goldberger AL, et al. PhysioBank, PhysioToolkit, and PhysioNet: components of a",
        "    new research resource for complex physiologic signals. Circulation",
        "    101(23):e215-e220 (2000).",
        "- Input files:",
        *inputs("mitdb"),
        "",
        "## Post-Ictal Heart Rate Oscillations in Partial Epilepsy (szdb)",
        "",
        f"- Fixtures: {names('szdb')}.",
        "- Source: PhysioNet, szdb v1.0.0, https://physionet.org/content/szdb/1.0.0/",
        "  (DOI 10.13026/C2QC72).",
        "- Licence: Open Data Commons Attribution License v1.0 (ODC-By 1.0).",
        "- Converted: the `.ari` beat annotations (beat codes only; `s` ST-change and `+`",
        "  rhythm annotations are left out) as `beat_s`, their symbols as `beat_label`, the",
        "  record length from the header as `duration_s`, and each seizure of `times.seize`",
        "  (onset and offset, hh:mm:ss from the record start) as an event of type `sz_focal`",
        "  (partial seizures, not convulsive) with confidence and channels `n/a`. The ECG",
        "  signal is not included, to keep the repository small.",
        "- **The `.ari` annotations are automatic and unaudited** (the database's ANNOTATORS",
        "  file: \"unaudited beat annotations from an automated detector\"). They are not",
        "  reference-grade: during seizures they contain spurious beats. Score beat accuracy",
        "  against `mitdb100`, not against these.",
        *(
            [f"- Records {', '.join(held_back)} (listed in `times.seize`) were not available",
             "  to the conversion and have no fixture."]
            if held_back else []
        ),
        "- Please cite:",
        "  - Al-Aweel IC, Krishnamurthy KB, Hausdorff JM, Mietus JE, Ives JR, Blum AS,",
        "    Schomer DL, Goldberger AL. Post-ictal heart rate oscillations in partial",
        "    epilepsy. Neurology 53(7):1590-1592 (1999).",
        "  - Goldberger AL, et al. PhysioBank, PhysioToolkit, and PhysioNet: components of a",
        "    new research resource for complex physiologic signals. Circulation",
        "    101(23):e215-e220 (2000).",
        "- Input files:",
        *inputs("szdb"),
        "",
        "## Regenerating",
        "",
        "From the repository root, with the PhysioNet files in `../shared/data` (layout",
        "`mitdb-100/100.{hea,dat,atr}` and `szdb/{times.seize,RECORDS,szNN.hea,szNN.ari}`)",
        "and `wfdb` installed (it is in `requirements-dev.txt`):",
        "",
        "```",
        COMMAND,
        "```",
        "",
        "With the same numpy and zlib the output is byte-for-byte reproducible (the zip",
        "members get a fixed time stamp), so regenerating leaves git with nothing to record.",
        "",
    ]
    return "\n".join(lines)


def summary_line(name: str, out_dir: Path) -> str:
    """Load a written fixture back and describe it in one line."""
    fixture = load_fixture(out_dir / f"{name}.npz")
    rr_s = np.diff(fixture.beat_s)
    mean_rr_s = float(rr_s.mean()) if rr_s.size else float("nan")
    size_b = (out_dir / f"{name}.npz").stat().st_size + events_path_for(
        out_dir / f"{name}.npz").stat().st_size
    seizures = ", ".join(f"{e.onset_s:g}-{e.offset_s:g}" for e in fixture.seizures) or "-"
    return (f"{name:<12} {fixture.beat_s.size:>7} {fixture.duration_s:>10.2f} "
            f"{mean_rr_s:>9.3f} {size_b:>9}  {seizures}")


def main(argv: list[str] | None = None) -> int:
    """Run the conversion; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"folder holding mitdb-100/ and szdb/ (default {DEFAULT_DATA})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write the fixtures to (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    data_dir: Path = args.data.resolve()
    out_dir: Path = args.out
    for needed in (data_dir / "mitdb-100" / "100.hea", data_dir / "szdb" / "times.seize"):
        if not needed.is_file():
            parser.error(f"{needed} not found; point --data at the folder with the sources")
    out_dir.mkdir(parents=True, exist_ok=True)

    try:
        converted = [convert_mitdb100(data_dir, out_dir)]
        szdb_converted, notes, held_back = convert_szdb(data_dir, out_dir)
        converted += szdb_converted
        (out_dir / "ATTRIBUTION.md").write_text(
            attribution_text(converted, data_dir, held_back))
        rows = [summary_line(item.name, out_dir) for item in converted]
    except FixtureError as exc:
        print(f"convert_physionet: {exc}", file=sys.stderr)
        return 1

    print(f"{'fixture':<12} {'beats':>7} {'duration_s':>10} {'mean_rr_s':>9} "
          f"{'bytes':>9}  seizures (onset-offset s)")
    print(*rows, sep="\n")
    total_b = sum(path.stat().st_size for path in out_dir.iterdir() if path.is_file())
    print(f"wrote {len(converted)} fixtures and ATTRIBUTION.md to {out_dir} "
          f"({total_b} bytes in the folder)")
    for item in converted:
        print(f"  {item.name}: {item.note}")
    for note in notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
