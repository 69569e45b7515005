"""A synced study on wall-clock time: every log of one device, merged, cut into nights.

The device stamps every record with ``t_ms``, milliseconds since it booted. CLOCK records
tie that count to the wall clock ("when the device read ``t_ms``, the wall clock read
this"). Turning a study into what detection reads takes four steps:

1. **Merge.** Every log file in the study folder is decoded with the device's own walk.
   A study spans several syncs, and a sync holds again whatever the device had not yet
   reclaimed, so records are merged by log address: the same record has the same address
   in every sync (``docs/LOG-DESIGN.md``). Two different records at one address mean two
   devices, or a log erased between syncs, and the study is refused.
2. **Segment.** Records are walked in address order; each BOOT record starts a boot
   segment with its own device clock (``logdecode.Segment``).
3. **Fit the clock** per segment (:func:`clock_fit`): wall = a + b * device, least squares
   over the segment's CLOCK marks. A segment without a usable mark is not placed: its
   data is reported in ``Study.unplaced``, never guessed onto the timeline.
4. **Cut into nights.** On the wall clock, data that stops for more than
   :data:`NIGHT_BREAK_S` ends a night. Each night is a :class:`~ictalog.series.Series`
   whose ``gaps`` say where data is missing and why. Nothing is interpolated across a
   gap.

``docs/ANALYSIS-CLOCK.md`` describes the rules for people; this module is the reference.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import IctalogError
from .logdecode import DecodedLog, Segment, decode_file, decode_records
from .series import Gap, Series
from .shared import records as rec

__all__ = [
    "ClockFit",
    "ClockMark",
    "SegmentFit",
    "Study",
    "StudyError",
    "clock_fit",
    "load_study",
]

log = logging.getLogger(__name__)

#: File names a study folder's logs end with (flash images and offloaded logs share one
#: format: whole 4 KiB sectors, docs/LOG-SPEC.md). Other files in the folder are ignored.
LOG_SUFFIXES = (".img", ".bin", ".log")

#: Inside a stretch without epochs, beats further apart than this (seconds) leave a
#: stretch with no data at all; beats closer together mean only motion is missing.
HOLE_BEAT_S = 3.0
#: Data that stops for longer than this (seconds, wall clock) ends a night.
NIGHT_BREAK_S = 2 * 3600.0
#: Missing epoch coverage longer than this (seconds) is a hole in a night. Consecutive
#: epochs are 1 s apart on the device; drift changes that by well under a millisecond.
EPOCH_HOLE_S = 0.5

#: A fit whose rate is further than this from nominal is not a drifting crystal (those
#: are within about +-100 ppm, temperature included) but a mark that is wrong.
MAX_DRIFT_PPM = 500.0
#: A mark further than this from the fit of its segment's other marks is not used.
#: Host marks carry BLE latency (tens of ms); a second means the wall clock jumped.
MARK_TOLERANCE_MS = 1000.0
#: Marks spanning less device time than this give an offset only, at the nominal rate:
#: 50 ms of BLE latency over an hour is 14 ppm, over ten minutes 83 ppm.
RATE_MIN_SPAN_S = 3600.0
#: A wall time before 2020-01-01 UTC comes from a clock that was never set.
EARLIEST_WALL_S = 1577836800
#: Two boots whose placed data overlaps by more than this (s) point to a wrong mark.
SEGMENT_OVERLAP_S = 1.0
#: CLOCK sources the host writes (at set-up, at a sync); the third is the device's RTC.
HOST_SOURCES = (rec.CLOCK_SOURCE_SETUP, rec.CLOCK_SOURCE_SYNC)


class StudyError(IctalogError):
    """A study folder or its logs cannot be loaded as one study of one device."""


# --- clock fit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockMark:
    """One CLOCK record: when the device clock read ``device_s``, the wall read ``wall_s``.

    Attributes:
        segment: boot segment the mark belongs to.
        device_s: device seconds since that boot (unwrapped).
        wall_s: wall-clock seconds since 1970-01-01 UTC.
        source: 1 set by the host at set-up, 2 checked by the host at a sync, 3 the RTC.
    """

    segment: int
    device_s: float
    wall_s: float
    source: int

    @property
    def from_host(self) -> bool:
        """Whether the host wrote it (trusted over the device's own RTC)."""
        return self.source in HOST_SOURCES

    def to_json(self) -> dict:
        return {"segment": self.segment, "device_s": round(self.device_s, 3),
                "wall_utc": _iso(self.wall_s, 3), "source": self.source}


@dataclass
class SegmentFit:
    """The clock of one boot segment: ``wall_s = wall_ref_s + rate * (device_s - ref)``.

    Attributes:
        segment: the boot segment.
        device_ref_s, wall_ref_s: the point the line passes through (marks' means).
        rate: wall seconds per device second (1.0 when not fitted).
        rate_fitted: whether ``rate`` was fitted (two or more marks spanning at least
            :data:`RATE_MIN_SPAN_S`) or is the nominal 1.0.
        marks: the marks used.
        rejected: marks not used, each ``{"mark": ..., "reason": ...}``.
        residual_ms_max: largest distance of a used mark from the line, milliseconds.
    """

    segment: int
    device_ref_s: float
    wall_ref_s: float
    rate: float
    rate_fitted: bool
    marks: list[ClockMark]
    rejected: list[dict] = field(default_factory=list)
    residual_ms_max: float = 0.0

    @property
    def drift_ppm(self) -> float | None:
        """How fast the device clock runs, parts per million (+: fast); None if unfitted."""
        if not self.rate_fitted:
            return None
        return (1.0 / self.rate - 1.0) * 1e6

    def wall_s(self, device_s: ArrayLike) -> NDArray[np.float64]:
        """Wall-clock seconds (UTC, since 1970) for device seconds of this segment."""
        return self.wall_ref_s + self.rate * (np.asarray(device_s, np.float64)
                                              - self.device_ref_s)

    def to_json(self) -> dict:
        drift = self.drift_ppm
        return {
            "segment": self.segment,
            "marks": len(self.marks),
            "sources": sorted({m.source for m in self.marks}),
            "drift_ppm": None if drift is None else round(drift, 2),
            "rate_fitted": self.rate_fitted,
            "residual_ms_max": round(self.residual_ms_max, 3),
            "rejected": [{"mark": r["mark"].to_json(), "reason": r["reason"]}
                         for r in self.rejected],
        }


@dataclass
class ClockFit:
    """Clock fits of every boot segment that has a usable mark.

    Attributes:
        segments: fit by segment index.
        unfitted: by segment index, why a segment has no fit: ``{"reason": ...,
            "rejected": [...]}``.
    """

    segments: dict[int, SegmentFit] = field(default_factory=dict)
    unfitted: dict[int, dict] = field(default_factory=dict)

    def placed(self, segment: int) -> bool:
        """Whether the segment's data can be put on the wall clock."""
        return segment in self.segments

    def wall_s(self, segment: int, device_s: ArrayLike) -> NDArray[np.float64]:
        """Wall-clock seconds for a segment's device seconds; KeyError if unplaced."""
        return self.segments[segment].wall_s(device_s)

    def to_json(self) -> dict:
        return {
            "segments": [self.segments[k].to_json() for k in sorted(self.segments)],
            "unfitted": [{"segment": k, "reason": v["reason"],
                          "rejected": [{"mark": r["mark"].to_json(), "reason": r["reason"]}
                                       for r in v["rejected"]]}
                         for k, v in sorted(self.unfitted.items())],
        }


def clock_fit(marks: Iterable[ClockMark], segments: Iterable[int] = ()) -> ClockFit:
    """Fit wall = a + b * device per boot segment from its CLOCK marks.

    A mark with a wall time before 2020 is never used (the clock was not set). With one
    usable mark, or marks spanning less than :data:`RATE_MIN_SPAN_S`, the fit is an offset
    at the nominal rate. With more, the rate is fitted by least squares, so crystal
    drift is corrected. Marks that do not agree (the fit drifts by more than
    :data:`MAX_DRIFT_PPM`, or a mark is off it by more than :data:`MARK_TOLERANCE_MS`;
    typically a host whose own clock jumped) are resolved by leaving out one mark at a
    time, and reported in ``rejected``. The one left out is the one whose removal makes
    the rest agree; among equals, a device-RTC mark before a host mark, then the earlier
    one (a later sync's host clock is the latest word). The fit is never split at a bad
    mark: one boot has one crystal, so one line.

    Args:
        marks: every mark of the study, any order.
        segments: segment indices that need a fit; those without any mark are listed in
            ``unfitted`` with the reason.

    Returns:
        The fits.
    """
    by_segment: dict[int, list[ClockMark]] = {}
    for mark in marks:
        by_segment.setdefault(mark.segment, []).append(mark)
    out = ClockFit()
    for segment in segments:
        if segment not in by_segment:
            out.unfitted[segment] = {
                "reason": "no clock mark in this boot: the device did not know the wall "
                          "clock (its battery may have run flat) and no sync set it "
                          "before the next restart",
                "rejected": []}
    for segment, seg_marks in sorted(by_segment.items()):
        rejected = []
        usable = []
        for mark in sorted(seg_marks, key=lambda m: m.device_s):
            if mark.wall_s < EARLIEST_WALL_S:
                rejected.append({"mark": mark, "reason": "wall time before 2020: the "
                                 "clock had not been set"})
            else:
                usable.append(mark)
        if not usable:
            out.unfitted[segment] = {"reason": "every clock mark of this boot has a wall "
                                     "time before 2020 (the clock was never set)",
                                     "rejected": rejected}
            continue
        fit = _robust_fit(segment, usable)
        fit.rejected = rejected + fit.rejected
        out.segments[segment] = fit
    return out


def _line(segment: int, marks: list[ClockMark]) -> SegmentFit:
    device = np.array([m.device_s for m in marks], dtype=np.float64)
    wall = np.array([m.wall_s for m in marks], dtype=np.float64)
    # Centred sums: wall times near 1.7e9 s would cost precision in the plain form.
    device_ref = float(device.mean())
    wall_ref = float(wall.mean())
    dx = device - device_ref
    dy = wall - wall_ref
    # Known limit: a lone mark gets the nominal rate, not the drift this device showed
    # in other boots; borrowing it waits for real devices to show that drift is stable.
    fitted = len(marks) >= 2 and float(device.max() - device.min()) >= RATE_MIN_SPAN_S
    rate = float((dx * dy).sum() / (dx * dx).sum()) if fitted else 1.0
    residual = np.abs(dy - rate * dx) * 1000.0
    return SegmentFit(segment=segment, device_ref_s=device_ref, wall_ref_s=wall_ref,
                      rate=rate, rate_fitted=fitted, marks=list(marks),
                      residual_ms_max=float(residual.max()))


def _consistent(fit: SegmentFit) -> bool:
    drift = fit.drift_ppm
    if drift is not None and abs(drift) > MAX_DRIFT_PPM:
        return False
    return fit.residual_ms_max <= MARK_TOLERANCE_MS


def _robust_fit(segment: int, marks: list[ClockMark]) -> SegmentFit:
    used = list(marks)
    rejected = []
    fit = _line(segment, used)
    while len(used) >= 2 and not _consistent(fit):
        best_key = None
        best = 0
        for i, mark in enumerate(used):
            others = _line(segment, used[:i] + used[i + 1:])
            disagreement_ms = abs(mark.wall_s - float(others.wall_s(mark.device_s))) * 1000
            key = (_consistent(others), round(disagreement_ms), not mark.from_host,
                   -mark.device_s)
            if best_key is None or key > best_key:
                best_key, best = key, i
        mark = used.pop(best)
        others = _line(segment, used)
        off_ms = abs(mark.wall_s - float(others.wall_s(mark.device_s))) * 1000
        rejected.append({"mark": mark, "reason": (
            f"disagrees by {off_ms:.0f} ms with the other clock marks of this boot "
            f"(allowed: {MARK_TOLERANCE_MS:.0f} ms, drift up to {MAX_DRIFT_PPM:.0f} ppm); "
            "not used")})
        fit = others
    fit.rejected = rejected
    return fit


# --- the study ---------------------------------------------------------------------------


@dataclass
class Study:
    """One device's study, merged from its synced logs and put on wall-clock time.

    Attributes:
        path: the study folder or log file.
        files: per log file: path, records, sectors in use, first and last address.
        study_id, patient_code: from the CONFIG records (None when none was found).
        utc_offset_min: local time offset from CONFIG, used to name nights (None: UTC).
        nights: one :class:`Series` per night, times in seconds from its ``start_utc``.
        clock: the per-segment clock fits.
        segments: per boot segment: index, boot count, reset cause, placed, data counts.
        unplaced: data that could not be put on the wall clock, with reason and message.
        problems: torn, corrupt or undecodable records, rejected clock marks, holes
            between syncs, overlapping boots.
        messages: what the nurse should do, in plain sentences.
    """

    path: str
    files: list[dict]
    study_id: str | None
    patient_code: str | None
    utc_offset_min: int | None
    nights: list[Series]
    clock: ClockFit
    segments: list[dict]
    unplaced: list[dict]
    problems: list[dict]
    messages: list[str]

    def summary(self) -> dict:
        """JSON-ready account: nights, hours, clock per segment, unplaced data, problems."""
        nights = []
        for night in self.nights:
            gaps: dict[str, dict] = {}
            for gap in night.gaps:
                entry = gaps.setdefault(gap.cause, {"count": 0, "seconds": 0.0})
                entry["count"] += 1
                entry["seconds"] = round(entry["seconds"] + gap.end_s - gap.start_s, 3)
            nights.append({
                "name": night.name,
                "start_utc": night.start_utc,
                "duration_h": round(night.duration_s / 3600.0, 4),
                "beats": int(len(night.beat_s)),
                "epochs": int(len(night.epoch_t_s)),
                "raw_acc_samples": int(len(night.raw_acc_t_s)),
                "device_events": len(night.device_events),
                "gaps": gaps,
            })
        return {
            "path": self.path,
            "files": self.files,
            "study_id": self.study_id,
            "utc_offset_min": self.utc_offset_min,
            "nights": nights,
            "recorded_hours": round(sum(n.duration_s for n in self.nights) / 3600.0, 4),
            "clock": self.clock.to_json(),
            "segments": self.segments,
            "unplaced": self.unplaced,
            "problems": self.problems,
            "messages": self.messages,
            "time_axis": "seconds from each night's start_utc (wall clock, UTC)",
        }


def load_study(path: str | os.PathLike[str]) -> Study:
    """Load a study folder (or one log file) onto wall-clock time, cut into nights.

    Args:
        path: a folder holding the study's synced logs (``*.img``, ``*.bin``, ``*.log``,
            not searched recursively), or one log file.

    Returns:
        The study.

    Raises:
        StudyError: the path is missing, the folder holds no log, or the logs come from
            different studies or devices.
        LogImageError: a file is not a log (from the decoder, naming the file).
    """
    path = os.fspath(path)
    files = _log_files(path)
    # Each file is only walked: the merged records are decoded once, below.
    decoded = [decode_file(name, records_only=True) for name in files]
    log.debug("decoded %d log files from %s", len(decoded), path)
    study_id, patient_code, utc_offset_min = _identity(decoded, path)
    records, breaks, problems = _merge(decoded, path)
    merged = decode_records(records, path, breaks)
    problems += _record_problems(decoded, merged)

    with_data = [s.index for s in merged.segments if _has_data(s)]
    marks = [ClockMark(s.index, c["device_s"], c["unix_s"] + c["unix_ms"] / 1000.0,
                       c["source"])
             for s in merged.segments for c in s.clocks]
    fit = clock_fit(marks, with_data)
    for index, segment_fit in sorted(fit.segments.items()):
        for r in segment_fit.rejected:
            problems.append({"problem": "clock_mark_rejected", "segment": index,
                             "mark": r["mark"].to_json(), "detail": r["reason"]})

    placed = _place(merged, fit)
    problems += placed.problems
    unplaced, messages = _unplaced(merged, fit, with_data)
    if any(p["problem"] == "sync_missing" for p in problems):
        messages.append("A sync seems to be missing from the study folder: part of the log "
                        "is in none of its files. Copy every sync of this device into the "
                        "folder and load it again.")
    label = study_id or os.path.splitext(os.path.basename(path.rstrip(os.sep)))[0]
    nights = _nights(placed, merged, fit, label, utc_offset_min)
    if utc_offset_min is None and nights:
        problems.append({"problem": "time_zone_unknown",
                         "detail": "no study set-up record (CONFIG) in the logs, so nights "
                                   "are named by their UTC start date"})
    return Study(
        path=path,
        files=[_file_summary(d) for d in decoded],
        study_id=study_id,
        patient_code=patient_code,
        utc_offset_min=utc_offset_min,
        nights=nights,
        clock=fit,
        segments=[_segment_summary(s, fit) for s in merged.segments],
        unplaced=unplaced,
        problems=problems,
        messages=messages,
    )


# --- files, identity, merge --------------------------------------------------------------


def _log_files(path: str) -> list[str]:
    if not os.path.exists(path):
        raise StudyError("no such study folder or log file",
                         "check the path: give the study folder the syncs were saved "
                         "into, or one log image", path)
    if os.path.isfile(path):
        return [path]
    names = sorted(
        os.path.join(path, name) for name in os.listdir(path)
        if not name.startswith(".") and name.lower().endswith(LOG_SUFFIXES)
        and os.path.isfile(os.path.join(path, name)))
    if not names:
        raise StudyError(
            "the folder holds no log files (" + ", ".join("*" + s for s in LOG_SUFFIXES)
            + ")",
            "sync the device into this folder, or give the folder that holds the study's "
            "synced logs", path)
    return names


def _identity(decoded: list[DecodedLog], path: str
              ) -> tuple[str | None, str | None, int | None]:
    # Every CONFIG record in every log must name the same study and patient. A log
    # without one (set-up record already reclaimed) is checked by the merge instead.
    seen: dict[tuple[str, str], list[str]] = {}
    offset = None
    for d in decoded:
        for config in d.config:
            key = (config["study_id"], config["patient_code"])
            names = seen.setdefault(key, [])
            if os.path.basename(d.path) not in names:
                names.append(os.path.basename(d.path))
            offset = config["utc_offset_min"]
    studies = sorted({k[0] for k in seen})
    if len(studies) > 1:
        files_of: dict[str, set[str]] = {}
        for (sid, _), names in seen.items():
            files_of.setdefault(sid, set()).update(names)
        where = "; ".join(f"study {sid!r} in {', '.join(sorted(files_of[sid]))}"
                          for sid in studies)
        raise StudyError(
            f"the logs belong to {len(studies)} different studies ({where})",
            "keep one study's logs per folder: move the other study's files out, then "
            "load again", path)
    if len(seen) > 1:
        # Patient codes are not printed: they identify a person.
        raise StudyError(
            f"the logs of study {studies[0]!r} name {len(seen)} different patient codes",
            "check which patient each device was set up for; keep one patient's logs "
            "per folder", path)
    if not seen:
        return None, None, None
    study_id, patient_code = next(iter(seen))
    return study_id, patient_code, offset


def _merge(decoded: list[DecodedLog], path: str
           ) -> tuple[list[tuple[int, int, bytes]], frozenset[int], list[dict]]:
    # Records by address: a record synced twice has the same address both times.
    by_address: dict[int, tuple[int, bytes, str]] = {}
    for d in decoded:
        for address, kind, payload in d.records or ():
            known = by_address.get(address)
            if known is None:
                by_address[address] = (kind, payload, d.path)
            elif known[0] != kind or known[1] != payload:
                # Known limit: a replacement device of the same study is refused, not
                # merged; a device serial in BOOT would let the loader merge per device.
                raise StudyError(
                    f"{os.path.basename(known[2])} and {os.path.basename(d.path)} hold "
                    f"different records at log address {address}: they come from two "
                    "devices, or the device's log was erased between these syncs",
                    "keep one device's logs per study folder (a replacement device's "
                    "logs go in a folder of their own)", path)
    records = [(a, k, p) for a, (k, p, _) in sorted(by_address.items())]

    # Holes: a log whose oldest sector is more than one past everything before it means
    # sectors no sync in the folder holds (a sync file is missing).
    breaks = []
    problems = []
    reach = None
    for d in sorted(decoded, key=lambda d: d.tail_seq):
        if reach is not None and d.tail_seq > reach + 1:
            breaks.append(d.tail_seq * d.sector_size)
            problems.append({
                "problem": "sync_missing",
                "detail": f"log sectors {reach + 1} to {d.tail_seq - 1} are in no file of "
                          f"the folder (a sync file is missing before "
                          f"{os.path.basename(d.path)}); what follows starts a boot "
                          "segment of its own"})
        reach = d.head_seq if reach is None else max(reach, d.head_seq)
    return records, frozenset(breaks), problems


def _record_problems(decoded: list[DecodedLog], merged: DecodedLog) -> list[dict]:
    # A torn or corrupt record is on the flash once, however many syncs show it.
    seen = set()
    out = []
    for d in decoded:
        for what, addresses in (("torn_record", d.torn), ("corrupt_record", d.corrupt)):
            for address in addresses:
                if (what, address) not in seen:
                    seen.add((what, address))
                    out.append({"problem": what, "address": address,
                                "file": os.path.basename(d.path)})
    for entry in merged.undecodable:
        out.append({"problem": "undecodable_record", "address": entry["address"],
                    "kind": entry["kind"], "detail": entry["reason"]})
    return out


def _has_data(segment: Segment) -> bool:
    counts = segment.counts()
    return any(counts[k] for k in ("beats", "epochs", "events", "raw_acc_windows")) or \
        bool(segment.raw_ecg)


def _file_summary(d: DecodedLog) -> dict:
    return {"path": d.path, "records": sum(d.counts.values()),
            "live_sectors": d.live_sectors, "tail_seq": d.tail_seq, "head_seq": d.head_seq,
            "ack_address": d.ack_address, "end_address": d.end_address,
            "torn_records": len(d.torn), "corrupt_records": len(d.corrupt)}


def _segment_summary(segment: Segment, fit: ClockFit) -> dict:
    boot = segment.boot or {}
    span = segment.data_span_s()
    out = {"segment": segment.index, "boot_count": boot.get("boot_count"),
           "reset_cause": boot.get("reset_cause"), "placed": fit.placed(segment.index),
           "counter_wraps": segment.wraps, **segment.counts()}
    if span is not None and fit.placed(segment.index):
        out["start_utc"] = _iso(float(fit.wall_s(segment.index, span[0])))
        out["end_utc"] = _iso(float(fit.wall_s(segment.index, span[1])))
    return out


# --- placing segments on the wall clock --------------------------------------------------


@dataclass
class _Placed:
    # Every placed stream of the study on wall seconds, with each item's segment.
    beat_s: NDArray[np.float64]
    beat_seg: NDArray[np.int64]
    epochs: NDArray[np.float64]          # (n, 5): t, act, band, freq, posture
    epoch_seg: NDArray[np.int64]
    raw_t_s: NDArray[np.float64]
    raw_mg: NDArray[np.int16]
    acc_hz: float
    events: list[dict]
    flag_gaps: list[tuple[float, float, str, str]]
    dropped: list[tuple[float, float]]   # brackets within which continuous data was lost
    problems: list[dict]


def _place(merged: DecodedLog, fit: ClockFit) -> _Placed:
    beats, beat_seg, epochs, epoch_seg = [], [], [], []
    raw_t, raw_mg = [], []
    acc_hz = 0.0
    events: list[dict] = []
    flag_gaps: list[tuple[float, float, str, str]] = []
    dropped: list[tuple[float, float]] = []
    spans: list[tuple[int, float, float]] = []
    for segment in merged.segments:
        if not fit.placed(segment.index):
            continue
        seg_fit = fit.segments[segment.index]
        index = segment.index
        beat_dev = np.asarray(segment.beat_t_s, dtype=np.float64)
        beats.append(seg_fit.wall_s(beat_dev))
        beat_seg.append(np.full(len(beat_dev), index))
        if segment.epochs:
            e = np.asarray(segment.epochs, dtype=np.float64)
            e[:, 0] = seg_fit.wall_s(e[:, 0])
            epochs.append(e)
            epoch_seg.append(np.full(len(e), index))
        for chunks in segment.raw_acc.values():
            for chunk in chunks:
                samples = np.asarray(chunk["samples_mg"], dtype=np.int16).reshape(-1, 3)
                t_dev = chunk["t_s"] + np.arange(len(samples)) / chunk["acc_hz"]
                raw_t.append(seg_fit.wall_s(t_dev))
                raw_mg.append(samples)
                acc_hz = float(chunk["acc_hz"])
        for event in segment.events:
            events.append(dict(event, onset_wall_s=float(seg_fit.wall_s(event["onset_s"])),
                               segment=index))
        span = segment.data_span_s()
        if span is None:
            continue
        spans.append((index, float(seg_fit.wall_s(span[0])), float(seg_fit.wall_s(span[1]))))
        for bit, cause, streams in ((rec.STATUS_LEAD_OFF, "lead_off", "rr"),
                                    (rec.STATUS_NOT_WORN, "not_worn", "all"),
                                    (rec.STATUS_LOG_FULL, "log_full", "all")):
            for start, end in _flag_runs(segment.status, bit, beat_dev, span):
                flag_gaps.append((float(seg_fit.wall_s(start)), float(seg_fit.wall_s(end)),
                                  cause, streams))
        for entry in segment.dropped:
            if not ({"rr", "epochs"} & set(entry["counts"])):
                continue   # raw windows only: the continuous streams are whole
            after = entry["after_s"] if entry["after_s"] is not None else span[0]
            before = entry["before_s"] if entry["before_s"] is not None else span[1]
            dropped.append((float(seg_fit.wall_s(after)), float(seg_fit.wall_s(before))))

    problems = []
    for (a, _, a_end), (b, b_start, _) in zip(spans, spans[1:]):
        if b_start < a_end - SEGMENT_OVERLAP_S:
            problems.append({
                "problem": "boots_overlap", "segments": [a, b],
                "detail": f"boots {a} and {b} overlap by {a_end - b_start:.1f} s on the "
                          f"wall clock around {_iso(b_start)}: one of their clock marks "
                          "is wrong, so times there are uncertain"})

    beat_s = np.concatenate(beats) if beats else np.zeros(0)
    beat_seg_a = np.concatenate(beat_seg) if beat_seg else np.zeros(0, dtype=np.int64)
    order = np.argsort(beat_s, kind="stable")
    beat_s, beat_seg_a = beat_s[order], beat_seg_a[order]
    # Records are unique by address, so equal beat times can only come from boots placed
    # on top of each other; keep one, and say so.
    keep = np.concatenate([[True], np.diff(beat_s) > 0]) if len(beat_s) else np.zeros(0, bool)
    if not keep.all():
        problems.append({"problem": "duplicate_beat_times",
                         "detail": f"{int((~keep).sum())} beats fell on the same wall time "
                                   "as another and were kept once"})
    epochs_a = np.concatenate(epochs) if epochs else np.zeros((0, 5))
    epoch_seg_a = np.concatenate(epoch_seg) if epoch_seg else np.zeros(0, dtype=np.int64)
    order = np.argsort(epochs_a[:, 0], kind="stable")
    raw_t_a = np.concatenate(raw_t) if raw_t else np.zeros(0)
    raw_mg_a = np.concatenate(raw_mg) if raw_mg else np.zeros((0, 3), dtype=np.int16)
    raw_order = np.argsort(raw_t_a, kind="stable")
    config_hz = [c["acc_hz"] for c in merged.config if c["acc_hz"]]
    return _Placed(
        beat_s=beat_s[keep], beat_seg=beat_seg_a[keep],
        epochs=epochs_a[order], epoch_seg=epoch_seg_a[order],
        raw_t_s=raw_t_a[raw_order], raw_mg=raw_mg_a[raw_order],
        acc_hz=acc_hz or (float(config_hz[-1]) if config_hz else 25.0),
        events=sorted(events, key=lambda e: e["onset_wall_s"]),
        flag_gaps=flag_gaps, dropped=dropped, problems=problems)


def _flag_runs(status: list[dict], bit: int, beat_t_s: NDArray[np.float64],
               span: tuple[float, float]) -> list[tuple[float, float]]:
    """Device-time stretches during which a STATUS flag held, bounded by the beats.

    A STATUS record is a snapshot every 5 minutes. A run of records with the flag set
    began after the last record without it and after the last beat before the run, and
    ended at the first beat after the run or the next record without the flag.
    """
    ordered = sorted(status, key=lambda s: s["t_s"])
    out = []
    i = 0
    while i < len(ordered):
        if not ordered[i]["flags"] & bit:
            i += 1
            continue
        j = i
        while j + 1 < len(ordered) and ordered[j + 1]["flags"] & bit:
            j += 1
        first_s, last_s = ordered[i]["t_s"], ordered[j]["t_s"]
        lower = ordered[i - 1]["t_s"] if i > 0 else span[0]
        upper = ordered[j + 1]["t_s"] if j + 1 < len(ordered) else span[1]
        k = int(np.searchsorted(beat_t_s, first_s, side="left"))
        last_beat = float(beat_t_s[k - 1]) if k > 0 else -math.inf
        k = int(np.searchsorted(beat_t_s, last_s, side="right"))
        next_beat = float(beat_t_s[k]) if k < len(beat_t_s) else math.inf
        start, end = max(lower, last_beat), min(upper, next_beat)
        if end > start:
            out.append((start, end))
        i = j + 1
    return out


def _unplaced(merged: DecodedLog, fit: ClockFit, with_data: list[int]
              ) -> tuple[list[dict], list[str]]:
    out = []
    messages = []
    last = merged.segments[-1].index if merged.segments else -1
    for index in with_data:
        if fit.placed(index):
            continue
        segment = merged.segments[index]
        span = segment.data_span_s()
        hours = (span[1] - span[0]) / 3600.0 if span else 0.0
        boot = segment.boot or {}
        what = (f"boot {boot['boot_count']}" if boot else "a boot whose start is not in "
                "the logs")
        if index == last:
            message = (f"{hours:.1f} h recorded since the device's last restart ({what}) "
                       "have no wall-clock time yet. Sync the device again: the sync sets "
                       "its clock, and this recording is placed once that is done before "
                       "the device restarts again.")
        else:
            message = (f"{hours:.1f} h recorded after a restart ({what}) cannot be placed "
                       "on the timeline: the device did not know the time (its battery "
                       "may have run flat) and restarted again before a sync set its "
                       "clock. That data is listed but not analysed. Keep the device "
                       "charged, and sync it after any restart.")
        messages.append(message)
        out.append({"segment": index, "boot_count": boot.get("boot_count"),
                    "reset_cause": boot.get("reset_cause"), **segment.counts(),
                    "device_hours": round(hours, 4),
                    "reason": fit.unfitted.get(index, {}).get("reason", "no clock fit"),
                    "message": message})
    return out, messages


# --- nights ------------------------------------------------------------------------------


def _nights(placed: _Placed, merged: DecodedLog, fit: ClockFit, label: str,
            utc_offset_min: int | None) -> list[Series]:
    epoch_t = placed.epochs[:, 0]
    points = np.sort(np.concatenate([placed.beat_s, epoch_t, epoch_t + 1.0]))
    if not len(points):
        return []
    cuts = np.nonzero(np.diff(points) > NIGHT_BREAK_S)[0]
    starts = np.concatenate([[points[0]], points[cuts + 1]])
    ends = np.concatenate([points[cuts], [points[-1]]])
    unplaced = [s.index for s in merged.segments if _has_data(s) and not fit.placed(s.index)]
    # Known limit: one fixed offset from CONFIG, so a daylight-saving change mid-study
    # moves names near midnight by an hour; storing the zone name at set-up resolves it.
    # Nights are also cut only where data stops: a device recording through the day
    # gives one long session until the firmware honours the study's night window.
    zone = timezone(timedelta(minutes=utc_offset_min or 0))
    nights = []
    names: dict[str, int] = {}
    for start_s, end_s in zip(starts.tolist(), ends.tolist()):
        origin_s = math.floor(start_s)
        date = datetime.fromtimestamp(origin_s, zone).date().isoformat()
        names[date] = names.get(date, 0) + 1
        name = f"{label}/{date}" + (f"-{names[date]}" if names[date] > 1 else "")
        nights.append(_night(placed, name, origin_s, start_s, end_s, unplaced))
    return nights


def _night(placed: _Placed, name: str, origin_s: float, start_s: float, end_s: float,
           unplaced: list[int]) -> Series:
    # Night bounds are data times, so every item of the night lies within them.
    b0 = int(np.searchsorted(placed.beat_s, start_s, side="left"))
    b1 = int(np.searchsorted(placed.beat_s, end_s, side="right"))
    e0 = int(np.searchsorted(placed.epochs[:, 0], start_s, side="left"))
    e1 = int(np.searchsorted(placed.epochs[:, 0], end_s, side="left"))
    r0 = int(np.searchsorted(placed.raw_t_s, start_s, side="left"))
    r1 = int(np.searchsorted(placed.raw_t_s, end_s, side="right"))
    beats = placed.beat_s[b0:b1]
    epochs = placed.epochs[e0:e1]
    gaps = _holes(placed, start_s, end_s, slice(b0, b1), slice(e0, e1), unplaced)
    for g_start, g_end, cause, streams in placed.flag_gaps:
        lo, hi = max(g_start, start_s), min(g_end, end_s)
        if hi > lo:
            gaps.append((lo, hi, cause, streams))
    gaps.sort()
    events = [{"onset_s": e["onset_wall_s"] - origin_s, "duration_s": e["duration_s"],
               "score": e["score"], "kind": e["kind"],
               "onset_utc": _iso(e["onset_wall_s"], 3)}
              for e in placed.events if start_s <= e["onset_wall_s"] <= end_s]
    return Series(
        name=name,
        start_utc=_iso(origin_s),
        duration_s=end_s - origin_s,
        beat_s=beats - origin_s,
        epoch_t_s=epochs[:, 0] - origin_s,
        epoch_act=epochs[:, 1].astype(np.uint8),
        epoch_band=epochs[:, 2].astype(np.uint8),
        epoch_freq_hz=epochs[:, 3].astype(np.uint8),
        epoch_posture=epochs[:, 4].astype(np.uint8),
        raw_acc_t_s=placed.raw_t_s[r0:r1] - origin_s,
        raw_acc_mg=placed.raw_mg[r0:r1].copy(),
        acc_hz=placed.acc_hz,
        gaps=[Gap(lo - origin_s, hi - origin_s, cause, streams)
              for lo, hi, cause, streams in gaps],
        device_events=events,
    )


def _holes(placed: _Placed, start_s: float, end_s: float, beats: slice, epochs: slice,
           unplaced: list[int]) -> list[tuple[float, float, str, str]]:
    """Stretches of a night with no motion epoch, with their cause.

    Epochs are written every second the device records, so missing epochs mean the
    device was not recording (restart, off) or lost the data (log full). A stretch with
    no beats while epochs continue is not a hole: it is lead-off (from the status flags)
    or a real pause in the heart rhythm, which detection must see.
    """
    t = placed.epochs[epochs, 0]
    seg = placed.epoch_seg[epochs]
    beat_s = placed.beat_s[beats]
    beat_seg = placed.beat_seg[beats]
    holes: list[tuple[float, float, int | None, int | None]] = []
    if not len(t):
        holes.append((start_s, end_s, None, None))
    else:
        # At a night's edges a beat may fall in a second whose epoch was never
        # completed (the recording stopped mid-second): that is not a hole.
        if t[0] - start_s > 1.0 + EPOCH_HOLE_S:
            holes.append((start_s, float(t[0]), None, int(seg[0])))
        inner = np.nonzero(t[1:] - (t[:-1] + 1.0) > EPOCH_HOLE_S)[0]
        for i in inner.tolist():
            holes.append((float(t[i]) + 1.0, float(t[i + 1]), int(seg[i]), int(seg[i + 1])))
        if end_s - (t[-1] + 1.0) > 1.0 + EPOCH_HOLE_S:
            holes.append((float(t[-1]) + 1.0, end_s, int(seg[-1]), None))
    out = []
    for lo, hi, seg_before, seg_after in holes:
        k0 = int(np.searchsorted(beat_s, lo, side="right"))
        k1 = int(np.searchsorted(beat_s, hi, side="left"))
        if seg_before is None and k0 > 0:
            seg_before = int(beat_seg[k0 - 1])
        if seg_after is None and k1 < len(beat_s):
            seg_after = int(beat_seg[k1])
        if any(lo - 2.0 <= d_hi and d_lo <= hi + 2.0 for d_lo, d_hi in placed.dropped):
            cause = "log_full"
        elif (seg_before is not None and seg_after is not None
              and any(seg_before < u < seg_after for u in unplaced)):
            cause = "clock_unknown"
        else:
            cause = "no_data"
        out += [(a, b, cause, streams) for a, b, streams in _split_by_beats(
            lo, hi, beat_s[k0:k1])]
    return out


def _split_by_beats(lo: float, hi: float, inside: NDArray[np.float64]
                    ) -> list[tuple[float, float, str]]:
    # A full log or a restart can cut the two streams at slightly different moments
    # (a small record may still fit where a larger one did not), so a hole without
    # epochs may hold a few beats at its edges: only motion is missing there.
    edges = [lo, *inside.tolist(), hi]
    pieces = []
    cursor = lo
    for a, b in zip(edges, edges[1:]):
        if b - a > HOLE_BEAT_S:
            if a > cursor:
                pieces.append((cursor, a, "motion"))
            pieces.append((a, b, "all"))
            cursor = b
    if hi > cursor:
        pieces.append((cursor, hi, "motion"))
    return pieces


def _iso(wall_s: float, digits: int = 0) -> str:
    """ISO 8601 UTC text for seconds since 1970."""
    moment = datetime.fromtimestamp(wall_s, timezone.utc)
    return moment.isoformat(timespec="milliseconds" if digits else "seconds")
