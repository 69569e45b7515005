"""Decode a flash image or offloaded log into what it holds.

The walk over sectors and frames is the device's own code (``ictalog.shared.ringlog``);
this module adds what the host needs on top: a read-only block device over a file,
per-kind decoding, beat and epoch time series, and an account of every torn or corrupt
record found.

Device time restarts at every boot, so besides the flat lists (kept for ``ictalog
decode``), the log is cut into boot segments (:class:`Segment`): records in log order, a
new segment at each BOOT record. Each segment keeps its data on its own clock, with the
32-bit millisecond counter unwrapped. ``ictalog.study`` puts segments on wall-clock time.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np

from .errors import LogImageError
from .shared import records as rec
from .shared import ringlog

log = logging.getLogger(__name__)

SECTOR_SIZE = 4096
#: The device's millisecond counter is 32 bits wide: it wraps after 49.7 days.
WRAP_MS = 1 << 32
# Kinds whose payload carries no device time of their own.
_UNTIMED = (rec.KIND_CONFIG, rec.KIND_BOOT, rec.KIND_DROPPED, ringlog.KIND_ACK)


class ImageBlockDevice:
    """A read-only block device over the bytes of a flash image.

    It implements the part of MicroPython's block-device protocol the log reads with, so
    the decoder runs the device's own recovery code. Any write raises, so decoding can
    never change the image.
    """

    def __init__(self, data: bytes, sector_size: int = SECTOR_SIZE):
        self.data = memoryview(data)
        self.sector_size = sector_size
        self.sector_count = len(data) // sector_size

    def readblocks(self, block: int, buf, offset: int = 0) -> None:
        start = block * self.sector_size + offset
        end = start + len(buf)
        if start < 0 or end > len(self.data):
            raise OSError(5, "read beyond the end of the image")
        buf[:] = self.data[start:end]

    def writeblocks(self, block: int, buf, offset: int | None = None) -> None:
        raise OSError(30, "the decoder opens images read-only")

    def ioctl(self, op: int, arg: int):
        if op == 4:
            return self.sector_count
        if op == 5:
            return self.sector_size
        if op == 6:
            raise OSError(30, "the decoder opens images read-only")
        return 0


@dataclass
class Segment:
    """The records of one boot of the device, on that boot's own clock.

    A BOOT record starts a segment. Records before the first BOOT record of a log (its
    BOOT record was reclaimed after a sync), or after a hole between merged logs, form a
    segment whose boot is unknown (``boot`` is None). Times are seconds since the boot,
    with the 32-bit millisecond counter unwrapped: a record whose ``t_ms`` lies more than
    half the counter's range behind the latest time seen is taken to be after a wrap.

    Attributes:
        index: position among the log's segments, from 0, in log order.
        boot: the decoded BOOT record, or None when it is not in the log.
        first_address, last_address: log addresses of its first and last record.
        beat_t_s, rr_ms: beat times (s) and the interval ending at each (ms; 0: unknown).
        epochs: (t_s, act, band, freq_hz, posture) per one-second epoch.
        events: prefilter candidates: ``onset_s``, ``duration_s``, ``kind``, ``score``,
            ``window``.
        status: STATUS records, each with ``t_s`` added.
        clocks: CLOCK records, each with ``device_s`` added.
        raw_acc, raw_ecg: raw window chunks by window id, each with ``t_s`` added
            (window ids restart at each boot, so they are only unique within a segment).
        dropped: DROPPED records: ``counts`` by kind name; ``after_s``, the latest data
            time before it, and ``before_s``, the first record time after it (None when
            unknown). The records were refused somewhere between the two.
        config: CONFIG records.
        last_data_s: the latest time any data of this segment reaches, or None.
    """

    index: int
    boot: dict | None = None
    first_address: int = -1
    last_address: int = -1
    beat_t_s: list[float] = field(default_factory=list)
    rr_ms: list[float] = field(default_factory=list)
    epochs: list[tuple[float, int, int, int, int]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    status: list[dict] = field(default_factory=list)
    clocks: list[dict] = field(default_factory=list)
    raw_acc: dict[int, list[dict]] = field(default_factory=dict)
    raw_ecg: dict[int, list[dict]] = field(default_factory=dict)
    dropped: list[dict] = field(default_factory=list)
    config: list[dict] = field(default_factory=list)
    last_data_s: float | None = None
    _latest_ms: int | None = field(default=None, repr=False)

    @property
    def wraps(self) -> int:
        """How many times the millisecond counter wrapped within this segment."""
        return 0 if self._latest_ms is None else self._latest_ms // WRAP_MS

    def unwrap_ms(self, t_ms: int) -> int:
        """``t_ms`` on this segment's unwrapped axis, in milliseconds since the boot."""
        if self._latest_ms is None:
            self._latest_ms = t_ms
            return t_ms
        # The candidate nearest the latest time seen. Records are written in time order
        # except for batches and windows that start up to minutes earlier, far less than
        # the counter's half range (24.9 days), so "nearest" is never ambiguous.
        turns = (self._latest_ms - t_ms + WRAP_MS // 2) // WRAP_MS
        value = t_ms + max(0, turns) * WRAP_MS
        if value > self._latest_ms:
            self._latest_ms = value
        return value

    def saw_data(self, end_s: float) -> None:
        """Note that this segment's data reaches ``end_s`` (seconds)."""
        if self.last_data_s is None or end_s > self.last_data_s:
            self.last_data_s = end_s

    def saw_record_at(self, t_s: float) -> None:
        """A timed record at ``t_s``: the first one after a DROPPED record bounds it."""
        if self.dropped and self.dropped[-1]["before_s"] is None:
            for entry in self.dropped:
                if entry["before_s"] is None:
                    entry["before_s"] = t_s

    def data_span_s(self) -> tuple[float, float] | None:
        """First and last time covered by beats, epochs, status or raw windows."""
        starts = []
        ends = []
        if self.beat_t_s:
            starts.append(self.beat_t_s[0])
            ends.append(self.beat_t_s[-1])
        if self.epochs:
            starts.append(min(e[0] for e in self.epochs))
            ends.append(max(e[0] for e in self.epochs) + 1.0)
        if self.status:
            starts.append(min(s["t_s"] for s in self.status))
            ends.append(max(s["t_s"] for s in self.status))
        if not starts:
            return None
        return min(starts), max(ends)

    def counts(self) -> dict[str, int]:
        """How much data the segment holds, by stream."""
        return {
            "beats": len(self.beat_t_s),
            "epochs": len(self.epochs),
            "events": len(self.events),
            "raw_acc_windows": len(self.raw_acc),
            "status_records": len(self.status),
        }


@dataclass
class DecodedLog:
    """Everything one log holds, on the device's own clock (seconds since boot)."""

    path: str
    image_bytes: int
    sector_size: int
    sectors: int
    live_sectors: int
    head_seq: int
    tail_seq: int
    ack_address: int
    end_address: int
    record_bytes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    bytes_by_kind: dict[str, int] = field(default_factory=dict)
    beat_t_s: list[float] = field(default_factory=list)
    rr_ms: list[float] = field(default_factory=list)
    epochs: list[tuple[float, int, int, int, int]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    status: list[dict] = field(default_factory=list)
    clocks: list[dict] = field(default_factory=list)
    boots: list[dict] = field(default_factory=list)
    config: list[dict] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    raw_acc: dict[int, list[dict]] = field(default_factory=dict)
    raw_ecg: dict[int, list[dict]] = field(default_factory=dict)
    torn: list[int] = field(default_factory=list)
    corrupt: list[int] = field(default_factory=list)
    undecodable: list[dict] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    #: (address, kind, payload) of every good record, in log order, when asked for.
    records: list[tuple[int, int, bytes]] | None = None

    def summary(self) -> dict:
        """The JSON-ready account that ``ictalog decode --json`` prints."""
        hours = self.recorded_hours()
        beats = len(self.beat_t_s)
        continuous = self.bytes_by_kind.get("rr", 0) + self.bytes_by_kind.get("epochs", 0)
        return {
            "path": self.path,
            "format_version": ringlog.FORMAT_VERSION,
            "image_bytes": self.image_bytes,
            "sector_size": self.sector_size,
            "sectors": self.sectors,
            "live_sectors": self.live_sectors,
            "bytes_used": self.live_sectors * self.sector_size,
            "record_bytes": self.record_bytes,
            "ack_address": self.ack_address,
            "end_address": self.end_address,
            "records": dict(sorted(self.counts.items())),
            "bytes_by_kind": dict(sorted(self.bytes_by_kind.items())),
            "beats": beats,
            "epochs": len(self.epochs),
            "events": self.events,
            "status_records": len(self.status),
            "clock_marks": self.clocks,
            "boots": len(self.boots),
            "boot_segments": len(self.segments),
            "config": self.config,
            "dropped": self.dropped,
            "raw_acc_windows": len(self.raw_acc),
            "raw_ecg_windows": len(self.raw_ecg),
            "recorded_hours": round(hours, 4),
            "rr_bytes_per_beat": round(self.bytes_by_kind.get("rr", 0) / beats, 4)
            if beats else None,
            "continuous_bytes_per_hour": round(continuous / hours, 1) if hours else None,
            "torn_records": len(self.torn),
            "corrupt_records": len(self.corrupt),
            "undecodable_records": len(self.undecodable),
            "problems": {
                "torn_at": self.torn[:20],
                "corrupt_at": self.corrupt[:20],
                "undecodable": self.undecodable[:20],
            },
            "time_axis": "device seconds since boot",
        }

    def recorded_hours(self) -> float:
        """Span covered by beats and epochs, in hours, summed over the boot segments.

        Device time starts again at 0 at each boot, so one span across boots would
        measure nothing; each boot's own span is added instead.
        """
        total_s = 0.0
        for segment in self.segments:
            times = []
            if segment.beat_t_s:
                times += [segment.beat_t_s[0], segment.beat_t_s[-1]]
            if segment.epochs:
                times += [segment.epochs[0][0], segment.epochs[-1][0] + 1.0]
            if times:
                total_s += max(times) - min(times)
        return total_s / 3600.0


def read_image(path: str) -> bytes:
    """Read an image file, refusing what cannot be a log before decoding starts."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise LogImageError(
            f"cannot open the image: {exc.strerror}",
            "check the path; `ictalog sim record` or a sync writes images",
            path,
        ) from exc
    if size == 0:
        raise LogImageError("the file is empty", "re-run the sync or the recording", path)
    if size % SECTOR_SIZE:
        raise LogImageError(
            f"the file is {size} bytes, not a whole number of {SECTOR_SIZE}-byte sectors, "
            "so it is not a flash image (it may be truncated)",
            "re-read the image from the device, or decode the complete file",
            path,
        )
    with open(path, "rb") as f:
        return f.read()


def decode_bytes(data: bytes, path: str = "<bytes>",
                 keep_records: bool = False, records_only: bool = False) -> DecodedLog:
    """Decode an image held in memory. Never raises for bad content inside a log.

    Args:
        data: the image's bytes.
        path: its name, for messages.
        keep_records: also keep every good record as (address, kind, payload) in
            ``DecodedLog.records``, so that logs of several syncs can be merged.
        records_only: walk and check the frames, count records by kind and decode the
            CONFIG records, but leave every other payload undecoded (implies
            ``keep_records``). A study's syncs overlap; the loader decodes their merged
            records once instead of every file in full.
    """
    device = ImageBlockDevice(data)
    if device.sector_count < 3:
        raise LogImageError(
            f"the image has {device.sector_count} sectors; a log has at least 3",
            "decode the whole partition image",
            path,
        )
    try:
        log_ = ringlog.RingLog(device)
    except ringlog.LogError as exc:
        raise LogImageError(str(exc), "decode the whole partition image", path) from exc
    if log_.head_index < 0:
        raise LogImageError(
            "no ictalog sector header found: this is not an ictalog log, or it is blank",
            "check that this is the log partition image (a blank device has nothing "
            "to decode)",
            path,
        )
    out = DecodedLog(
        path=path,
        image_bytes=len(data),
        sector_size=device.sector_size,
        sectors=device.sector_count,
        live_sectors=log_.head_seq - log_.tail_seq + 1,
        head_seq=log_.head_seq,
        tail_seq=log_.tail_seq,
        ack_address=log_.ack,
        end_address=log_.end_address(),
    )
    if keep_records or records_only:
        out.records = []
    problems: list[tuple[int, str]] = []
    for address, kind, payload in log_.records(start=0, include_log_kinds=True,
                                               problems=problems, resync=True):
        if out.records is not None:
            out.records.append((address, kind, payload))
        if records_only and kind != rec.KIND_CONFIG:
            _count(out, kind, payload)
        else:
            _take(out, address, kind, payload)
    for address, what in problems:
        (out.torn if what == "torn" else out.corrupt).append(address)
    return out


def decode_file(path: str, keep_records: bool = False,
                records_only: bool = False) -> DecodedLog:
    """Decode an image or offloaded log file (see :func:`decode_bytes`)."""
    return decode_bytes(read_image(path), path, keep_records, records_only)


def decode_records(records: list[tuple[int, int, bytes]], path: str,
                   breaks: frozenset[int] = frozenset()) -> DecodedLog:
    """Decode records already read from one or more logs, in address order.

    This is how the logs of several syncs of one device become one log: the caller
    merges their records by address. The image geometry fields of the result are 0.

    Args:
        records: (address, kind, payload), sorted by address, each address once.
        path: a name for messages (the study folder).
        breaks: addresses where records are missing before (a sync not in the study):
            a new segment of unknown boot starts at the first record at or after each,
            since a BOOT record may have been among the missing ones.
    """
    out = DecodedLog(path=path, image_bytes=0, sector_size=SECTOR_SIZE, sectors=0,
                     live_sectors=0, head_seq=0, tail_seq=0, ack_address=0,
                     end_address=records[-1][0] if records else 0)
    pending = sorted(breaks)
    for address, kind, payload in records:
        while pending and address >= pending[0]:
            pending.pop(0)
            out.segments.append(Segment(index=len(out.segments)))
        _take(out, address, kind, payload)
    return out


def _segment_for(out: DecodedLog, address: int, kind: int) -> Segment:
    # A BOOT record opens a segment; anything before the first one belongs to a segment
    # whose boot is unknown.
    if kind == rec.KIND_BOOT or not out.segments:
        out.segments.append(Segment(index=len(out.segments)))
    segment = out.segments[-1]
    if segment.first_address < 0:
        segment.first_address = address
    segment.last_address = address
    return segment


def _count(out: DecodedLog, kind: int, payload: bytes) -> None:
    # What records_only keeps of a record it does not decode: its kind and size.
    name = rec.KIND_NAMES.get(kind, f"kind_{kind}")
    size = len(payload) + ringlog.RECORD_OVERHEAD
    out.record_bytes += size
    out.counts[name] = out.counts.get(name, 0) + 1
    out.bytes_by_kind[name] = out.bytes_by_kind.get(name, 0) + size


def _take(out: DecodedLog, address: int, kind: int, payload: bytes) -> None:
    name = rec.KIND_NAMES.get(kind, f"kind_{kind}")
    size = len(payload) + ringlog.RECORD_OVERHEAD
    out.record_bytes += size
    try:
        value = rec.decode(kind, payload)
    except rec.RecordError as exc:
        out.undecodable.append({"address": address, "kind": kind, "reason": str(exc)})
        return
    out.counts[name] = out.counts.get(name, 0) + 1
    out.bytes_by_kind[name] = out.bytes_by_kind.get(name, 0) + size
    seg = _segment_for(out, address, kind)
    t_s = 0.0
    if kind not in _UNTIMED and "t_ms" in value:
        t_s = seg.unwrap_ms(value["t_ms"]) / 1000.0
        seg.saw_record_at(t_s)
    if kind == rec.KIND_RR:
        unit_s = (1 << value["shift"]) / 1024.0
        for k, units in enumerate(value["rr_units"]):
            if k:
                t_s += units * unit_s
            out.beat_t_s.append(t_s)
            out.rr_ms.append(units * unit_s * 1000.0)
            seg.beat_t_s.append(t_s)
            seg.rr_ms.append(units * unit_s * 1000.0)
        seg.saw_data(t_s)
    elif kind == rec.KIND_EPOCHS:
        for i, (act, band, freq, posture) in enumerate(value["epochs"]):
            epoch = (t_s + i, act, band, freq, posture)
            out.epochs.append(epoch)
            seg.epochs.append(epoch)
        seg.saw_data(t_s + len(value["epochs"]))
    elif kind == rec.KIND_EVENT:
        event = {
            "onset_s": t_s,
            "duration_s": value["duration_ms"] / 1000.0,
            "kind": value["kind"],
            "score": value["score"],
            "window": value["window"],
        }
        out.events.append(event)
        seg.events.append(dict(event))
    elif kind == rec.KIND_STATUS:
        out.status.append(value)
        seg.status.append(dict(value, t_s=t_s))
        seg.saw_data(t_s)
    elif kind == rec.KIND_CLOCK:
        out.clocks.append(value)
        seg.clocks.append(dict(value, device_s=t_s))
    elif kind == rec.KIND_BOOT:
        out.boots.append(value)
        seg.boot = value
    elif kind == rec.KIND_CONFIG:
        out.config.append(value)
        seg.config.append(value)
    elif kind == rec.KIND_DROPPED:
        counts: dict[str, int] = {}
        for dropped_kind, n in value["counts"].items():
            key = rec.KIND_NAMES.get(dropped_kind, f"kind_{dropped_kind}")
            out.dropped[key] = out.dropped.get(key, 0) + n
            counts[key] = counts.get(key, 0) + n
        seg.dropped.append({"counts": counts, "after_s": seg.last_data_s,
                            "before_s": None})
    elif kind in (rec.KIND_RAW_ACC, rec.KIND_RAW_ECG):
        if kind == rec.KIND_RAW_ACC:
            out.raw_acc.setdefault(value["window"], []).append(value)
            seg.raw_acc.setdefault(value["window"], []).append(dict(value, t_s=t_s))
            n, hz = len(value["samples_mg"]) // 3, value["acc_hz"]
        else:
            out.raw_ecg.setdefault(value["window"], []).append(value)
            seg.raw_ecg.setdefault(value["window"], []).append(dict(value, t_s=t_s))
            n, hz = len(value["samples_uv"]), value["ecg_hz"]
        seg.saw_data(t_s + n / hz)


def to_fixture_arrays(segment: Segment) -> dict[str, np.ndarray]:
    """One boot's content in the fixture format's arrays, plus epoch and window arrays.

    Device time restarts at every boot, so a fixture is one segment (one boot) on its
    own time axis. ``acc_mg`` is empty: the device keeps raw acceleration only in windows
    around candidates, given as ``raw_acc_mg`` with each sample's time in ``raw_acc_t_s``.

    Args:
        segment: one of a decoded log's ``segments``.
    """
    beat_s = np.asarray(segment.beat_t_s, dtype=np.float64)
    epoch = np.asarray(segment.epochs, dtype=np.float64).reshape(-1, 5)
    acc_rows: list[list[int]] = []
    acc_t: list[float] = []
    acc_hz = 25
    for window in sorted(segment.raw_acc):
        for chunk in segment.raw_acc[window]:
            acc_hz = chunk["acc_hz"]
            samples = chunk["samples_mg"]
            for i in range(len(samples) // 3):
                acc_rows.append(samples[3 * i:3 * i + 3])
                acc_t.append(chunk["t_s"] + i / chunk["acc_hz"])
    duration_s = segment.last_data_s or 0.0
    if len(beat_s):
        duration_s = max(duration_s, float(beat_s[-1]))
    if len(epoch):
        duration_s = max(duration_s, float(epoch[-1, 0]) + 1.0)
    return {
        "acc_mg": np.zeros((0, 3), dtype=np.int16),
        "acc_hz": np.float64(acc_hz),
        "beat_s": beat_s,
        "duration_s": np.float64(duration_s),
        "rr_ms": np.asarray(segment.rr_ms, dtype=np.float64),
        "epoch_t_s": epoch[:, 0],
        "epoch_act": epoch[:, 1].astype(np.uint8),
        "epoch_band": epoch[:, 2].astype(np.uint8),
        "epoch_freq_hz": epoch[:, 3].astype(np.uint8),
        "epoch_posture": epoch[:, 4].astype(np.uint8),
        "raw_acc_mg": np.asarray(acc_rows, dtype=np.int16).reshape(-1, 3),
        "raw_acc_t_s": np.asarray(acc_t, dtype=np.float64),
    }
