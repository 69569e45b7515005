"""Host detection: convulsive seizures from motion and heart rate, and heart-rate-only
candidates, each with the evidence a physician needs to confirm or reject it.

Detection reads what the wearable logs for every second (a :class:`~ictalog.series.Series`:
motion epochs and every beat), so a fixture and a synced night are judged the same way.
It decides causally: an event is *raised* at the first second at which the evidence up to
then meets one of the rules below, as a bedside alarm would, and that second is what the
latency is measured from. What happened afterwards (how long it lasted, the stillness
that followed, the raw motion the device kept) is added to the evidence and the
confidence, never to the decision.

**Convulsive rules** (:data:`RULES`; the second ``t`` must itself be a moving second):

``fusion``
    at least 4 of the last 8 s convulsive (strong, clonic-band motion) while the heart
    rate is up by 25 % and 15 bpm on its resting level;
``tonic``
    at least 6 of the last 8 s tremor or convulsive, starting from rest, while the heart
    rate is up by 40 % and 25 bpm: the tonic phase with its early tachycardia;
``motion``
    at least 15 of the last 20 s strongly convulsive (90 mg and more), whatever the heart
    rate: seizures without tachycardia, or with the heart rate unreadable;
``sustained``
    at least 30 of the last 40 s convulsive, whatever the heart rate;
``rhythmic``
    at least 25 of the last 30 s rhythmic (40 mg and more, two thirds of the power in
    the clonic band), starting from rest: a weaker convulsion without tachycardia.

A bout of motion that contains walking (upright, 1 to 2 Hz steps, 8 s or more), or that
began while the wearer was upright, is out of bed: there only ``fusion`` may fire, and it
then needs the heart rate up by 50 % and 30 bpm. Tooth brushing and hair combing look
like clonic motion at the chest; walking to the bathroom first is what gives them away.

**Heart-rate-only candidates** (kind ``hr_only``): the heart rate stays at least 40 % and
30 bpm above its resting level for 24 of 30 s, with no convulsive motion within a minute
and no walking in the two minutes before. These are candidate seizures *without*
convulsions (focal seizures with ictal tachycardia); they are listed for review and never
counted as convulsive detections.

The resting level is the median heart rate from 10 min to 1 min before; the current rate
is the highest 5-s rate of the last minute. Heart rate comes from the cleaned NN intervals
(:mod:`ictalog.rr_clean`): spurious beats of a convulsion are artifact there, not rate.
When no resting level is known (lead off, too few beats), only the rules that need no
heart rate can fire. Stretches without motion epochs are not stillness: no convulsive
rule can fire there, and the event's evidence lists the gaps it overlaps.

The thresholds and why they are what they are: ``docs/ANALYSIS.md``, "Detection".
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import IctalogError
from .fixture import Fixture
from .motion_analysis import (MotionGrid, bout_start, clonic_evidence, motion_grid,
                              raw_window_evidence, stillness_after, trailing_count)
from .rr_clean import CleanRR, clean_rr, hr_per_second
from .scoring import DetectedEvent
from .series import Series, series_from_fixture
from .shared.records import POSTURE_UPRIGHT

__all__ = [
    "DetectError",
    "Event",
    "KIND_CONVULSIVE",
    "KIND_HR_ONLY",
    "NightDetection",
    "RULES",
    "detect_fixture",
    "detect_series",
    "scoring_detector",
]

log = logging.getLogger(__name__)

KIND_CONVULSIVE = "convulsive"
KIND_HR_ONLY = "hr_only"

# --- the rules -------------------------------------------------------------------------------

#: Fusion: convulsive seconds needed among the last FUSION_WINDOW_S.
FUSION_WINDOW_S = 8
FUSION_MIN_S = 4
FUSION_RISE_PCT = 25.0
FUSION_RISE_BPM = 15.0
#: Tonic: tremor or convulsive seconds needed among the last TONIC_WINDOW_S, from rest.
TONIC_WINDOW_S = 8
TONIC_MIN_S = 6
TONIC_RISE_PCT = 40.0
TONIC_RISE_BPM = 25.0
#: Motion alone: strong convulsive seconds among the last MOTION_WINDOW_S.
MOTION_WINDOW_S = 20
MOTION_MIN_S = 15
#: Sustained motion alone: convulsive seconds among the last SUSTAINED_WINDOW_S.
SUSTAINED_WINDOW_S = 40
SUSTAINED_MIN_S = 30
#: Rhythmic motion alone, from rest: rhythmic seconds among the last RHYTHMIC_WINDOW_S.
RHYTHMIC_WINDOW_S = 30
RHYTHMIC_MIN_S = 25
#: Out of bed: walking seconds in the bout that make it ambulatory, and the rise fusion
#: then needs.
AMBULATORY_WALK_S = 8
AMBULATORY_RISE_PCT = 50.0
AMBULATORY_RISE_BPM = 30.0

#: Rules in the order their names are reported when several hold at once.
RULES = ("fusion", "tonic", "motion", "sustained", "rhythmic")

#: Longest pause inside one bout of motion, seconds.
BOUT_GAP_S = 5
#: "From rest": the REST_BEFORE_S before the bout were still for at least this share.
REST_BEFORE_S = 60
REST_FRACTION = 0.8
#: An event ends once nothing has moved for this long, seconds.
END_QUIET_S = 20
#: A rule that holds again within this many seconds of an event's end extends it.
MERGE_S = 150.0

#: Resting heart rate: median of the 5-s rates from BASELINE_FROM_S to BASELINE_TO_S
#: before the second judged, needing BASELINE_MIN_S of them.
BASELINE_FROM_S = 600
BASELINE_TO_S = 60
BASELINE_MIN_S = 60
#: Current heart rate: the highest 5-s rate over the last PEAK_WINDOW_S. A 5-s rate is
#: centred on its second, so the last HR_LAG_S seconds are not known yet when deciding.
PEAK_WINDOW_S = 60
HR_LAG_S = 3
HR_WINDOW_S = 5.0

#: Heart-rate-only candidates.
HR_ONLY_RISE_PCT = 40.0
HR_ONLY_RISE_BPM = 30.0
HR_ONLY_WINDOW_S = 30
HR_ONLY_MIN_S = 24
HR_ONLY_NO_CONVULSION_S = 60
HR_ONLY_NO_WALK_S = 120
#: The resting level for heart-rate-only candidates is refreshed this often, seconds: it
#: is a median over nine minutes, which moves little in half a minute.
HR_ONLY_BASELINE_STEP_S = 30


class DetectError(IctalogError):
    """A recording cannot be analysed as given."""


@dataclass
class Event:
    """One detected event.

    Attributes:
        kind: ``convulsive`` or ``hr_only``.
        onset_s: start, seconds on the recording's axis (the bout of motion's first
            second, or the start of the heart-rate rise).
        end_s: end, seconds.
        raise_s: when the rules first held, seconds: what latency is measured from.
        confidence: a ranking score in [0, 1] (``docs/ANALYSIS.md``); not a probability.
        rules: the rules that held at ``raise_s``.
        evidence: what made it fire and what followed, JSON-ready.
    """

    kind: str
    onset_s: float
    end_s: float
    raise_s: float
    confidence: float
    rules: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.onset_s

    def to_json(self, start_utc: str | None = None) -> dict[str, Any]:
        out = {
            "kind": self.kind,
            "onset_s": round(self.onset_s, 3),
            "duration_s": round(self.duration_s, 3),
            "raise_s": round(self.raise_s, 3),
            "latency_from_onset_s": round(self.raise_s - self.onset_s, 3),
            "confidence": round(self.confidence, 3),
            "rules": list(self.rules),
            "evidence": self.evidence,
        }
        if start_utc:
            from datetime import datetime, timedelta

            start = datetime.fromisoformat(start_utc)
            out["onset_utc"] = (start + timedelta(seconds=self.onset_s)).isoformat(
                timespec="seconds")
        return out


@dataclass
class NightDetection:
    """Detection on one recording.

    Attributes:
        name: the recording.
        start_utc: wall-clock time of second 0, or None.
        duration_s: its length.
        events: every event, convulsive and heart-rate-only, in onset order.
        quality: how much of the recording could be judged, by stream.
    """

    name: str
    start_utc: str | None
    duration_s: float
    events: list[Event]
    quality: dict[str, Any]

    def convulsive(self) -> list[Event]:
        return [e for e in self.events if e.kind == KIND_CONVULSIVE]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start_utc": self.start_utc,
            "duration_s": round(self.duration_s, 3),
            "events": [e.to_json(self.start_utc) for e in self.events],
            "counts": {KIND_CONVULSIVE: len(self.convulsive()),
                       KIND_HR_ONLY: len(self.events) - len(self.convulsive())},
            "quality": self.quality,
        }


# --- heart rate ------------------------------------------------------------------------------


@dataclass
class _HeartRate:
    """Per-second heart rate of a recording and the artifact the cleaning found."""

    hr_bpm: NDArray[np.float64]
    clean: CleanRR | None

    def baseline(self, t: int) -> float | None:
        seg = self.hr_bpm[max(0, t - BASELINE_FROM_S):max(0, t - BASELINE_TO_S)]
        seg = seg[np.isfinite(seg)]
        return float(np.median(seg)) if seg.size >= BASELINE_MIN_S else None

    def current(self, t: int) -> float | None:
        seg = self.hr_bpm[max(0, t - PEAK_WINDOW_S):max(0, t - HR_LAG_S + 1)]
        seg = seg[np.isfinite(seg)]
        return float(seg.max()) if seg.size else None

    def rise(self, t: int) -> tuple[float | None, float | None, float | None]:
        """(resting bpm, current bpm, rise in percent) at second t; None where unknown."""
        base = self.baseline(t)
        now = self.current(t)
        if base is None or now is None:
            return base, now, None
        return base, now, 100.0 * (now - base) / base


def _heart_rate(series: Series, seconds: int) -> _HeartRate:
    nan = np.full(seconds, np.nan)
    if series.beat_s.size < 3 or seconds == 0:
        return _HeartRate(nan, None)
    clean = clean_rr(series.beat_s)
    hr = hr_per_second(clean, max(series.duration_s, 1.0), HR_WINDOW_S)[:seconds]
    if hr.size < seconds:
        hr = np.concatenate([hr, nan[hr.size:]])
    return _HeartRate(hr, clean)


def _met(rise_pct: float | None, base: float | None, now: float | None, pct: float,
         bpm: float) -> bool:
    return (rise_pct is not None and base is not None and now is not None
            and rise_pct >= pct and now - base >= bpm)


# --- convulsive events -----------------------------------------------------------------------


@dataclass
class _Context:
    bout_start_s: int
    walking_s: int
    rest_before: bool | None
    upright_before: bool

    @property
    def out_of_bed(self) -> bool:
        return self.walking_s >= AMBULATORY_WALK_S or self.upright_before


def _context(grid: MotionGrid, t: int) -> _Context:
    # The bout begins with the first second that was not still: a tonic phase may move
    # only a few mg before the jerks start.
    b0 = bout_start(grid.active, t, BOUT_GAP_S)
    before = slice(max(0, b0 - REST_BEFORE_S), b0)
    known = int(grid.valid[before].sum())
    rest = None
    if known >= REST_BEFORE_S // 2:
        rest = bool(grid.still[before].sum() >= REST_FRACTION * known)
    # Still epochs carry the posture of the last moving one, so the second before the
    # bout says how the wearer was lying (or standing) when it began.
    upright = b0 > 0 and bool(grid.valid[b0 - 1]) and int(grid.posture[b0 - 1]) == POSTURE_UPRIGHT
    return _Context(b0, int(grid.walking[b0:t + 1].sum()), rest, upright)


def _rules_at(t: int, counts: dict[str, NDArray[np.int64]], ctx: _Context,
              hr: tuple[float | None, float | None, float | None]) -> list[str]:
    base, now, pct = hr
    ambulatory = ctx.out_of_bed
    held = []
    if counts["fusion"][t] >= FUSION_MIN_S:
        if ambulatory:
            if _met(pct, base, now, AMBULATORY_RISE_PCT, AMBULATORY_RISE_BPM):
                held.append("fusion")
        elif _met(pct, base, now, FUSION_RISE_PCT, FUSION_RISE_BPM):
            held.append("fusion")
    if ambulatory:
        return held
    if (counts["tonic"][t] >= TONIC_MIN_S and ctx.rest_before
            and _met(pct, base, now, TONIC_RISE_PCT, TONIC_RISE_BPM)):
        held.append("tonic")
    if counts["motion"][t] >= MOTION_MIN_S:
        held.append("motion")
    if counts["sustained"][t] >= SUSTAINED_MIN_S:
        held.append("sustained")
    if counts["rhythmic"][t] >= RHYTHMIC_MIN_S and ctx.rest_before:
        held.append("rhythmic")
    return held


def _event_end(grid: MotionGrid, t: int) -> int:
    """First second after the bout that second t is in (END_QUIET_S without motion)."""
    moving = np.flatnonzero(grid.moving[t:])
    if not moving.size:
        return t + 1
    last = t + int(moving[0])
    for m in (t + moving).tolist():
        if m - last > END_QUIET_S:
            break
        last = m
    return last + 1


def _convulsive_events(series: Series, grid: MotionGrid, hr: _HeartRate) -> list[Event]:
    counts = {
        "fusion": trailing_count(grid.convulsive, FUSION_WINDOW_S),
        "tonic": trailing_count(grid.tremor, TONIC_WINDOW_S),
        "motion": trailing_count(grid.strong, MOTION_WINDOW_S),
        "sustained": trailing_count(grid.convulsive, SUSTAINED_WINDOW_S),
        "rhythmic": trailing_count(grid.rhythmic, RHYTHMIC_WINDOW_S),
    }
    maybe = grid.moving & ((counts["fusion"] >= FUSION_MIN_S)
                           | (counts["tonic"] >= TONIC_MIN_S)
                           | (counts["motion"] >= MOTION_MIN_S)
                           | (counts["sustained"] >= SUSTAINED_MIN_S)
                           | (counts["rhythmic"] >= RHYTHMIC_MIN_S))
    events: list[Event] = []
    busy_until = -1
    for t in np.flatnonzero(maybe).tolist():
        if t < busy_until:
            continue
        ctx = _context(grid, t)
        rise = hr.rise(t)
        held = _rules_at(t, counts, ctx, rise)
        if not held:
            continue
        end = _event_end(grid, t)
        busy_until = end
        if events and ctx.bout_start_s - events[-1].end_s < MERGE_S:
            # The same episode going on after a pause: extend it, keep its raise time.
            events[-1].end_s = float(end)
            continue
        events.append(Event(KIND_CONVULSIVE, float(ctx.bout_start_s), float(end),
                            float(t + 1), 0.0, held,
                            {"at_raise": _at_raise(t, counts, ctx, rise)}))
    for event in events:
        _convulsive_evidence(series, grid, hr, event)
    return events


def _at_raise(t: int, counts: dict[str, NDArray[np.int64]], ctx: _Context,
              rise: tuple[float | None, float | None, float | None]) -> dict[str, Any]:
    base, now, pct = rise
    return {
        "convulsive_s_of_last_8": int(counts["fusion"][t]),
        "tremor_s_of_last_8": int(counts["tonic"][t]),
        "strong_s_of_last_20": int(counts["motion"][t]),
        "convulsive_s_of_last_40": int(counts["sustained"][t]),
        "rhythmic_s_of_last_30": int(counts["rhythmic"][t]),
        "walking_s_in_bout": ctx.walking_s,
        "upright_before": ctx.upright_before,
        "from_rest": ctx.rest_before,
        "resting_hr_bpm": _r(base),
        "current_hr_bpm": _r(now),
        "hr_rise_pct": _r(pct),
    }


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _hr_evidence(hr: _HeartRate, onset: int, end: int) -> dict[str, Any]:
    """Resting rate before the event, the peak around it, when the rise began."""
    base = hr.baseline(onset)
    seg = hr.hr_bpm[max(0, onset - 60):min(hr.hr_bpm.size, end + 60)]
    finite = seg[np.isfinite(seg)]
    peak = float(finite.max()) if finite.size else None
    began = None
    if base is not None:
        # The first second, tracing back from onset at most two minutes, from which the
        # rate stayed 10 bpm above rest up to the onset.
        lo = max(0, onset - 120)
        window = hr.hr_bpm[lo:onset + 1]
        above = np.isfinite(window) & (window >= base + 10.0)
        if above.size and above[-1]:
            below = np.flatnonzero(~above)
            began = (lo + int(below[-1]) + 1 if below.size else lo) - onset
        else:
            later = np.flatnonzero(np.isfinite(hr.hr_bpm[onset:end + 60])
                                   & (hr.hr_bpm[onset:end + 60] >= base + 10.0))
            began = int(later[0]) if later.size else None
    span = hr.hr_bpm[onset:end]
    artifact_s = 0.0
    if hr.clean is not None:
        for a, b in hr.clean.artifact_spans:
            artifact_s += max(0.0, min(b, end) - max(a, onset))
    return {
        "resting_hr_bpm": _r(base),
        "peak_hr_bpm": _r(peak),
        "rise_bpm": _r(None if peak is None or base is None else peak - base),
        "rise_pct": _r(None if peak is None or base is None else 100 * (peak - base) / base),
        "rise_began_s_from_onset": began,
        "hr_unknown_s": int(np.count_nonzero(~np.isfinite(span))),
        "rr_artifact_s": round(artifact_s, 1),
    }


def _gaps_over(series: Series, onset: float, end: float) -> list[dict]:
    return [g.to_json() for g in series.gaps if g.start_s < end + 60 and g.end_s > onset - 60]


def _device_candidates(series: Series, onset: float, end: float) -> list[dict]:
    return [{"onset_s": round(float(e["onset_s"]), 3), "score": e.get("score")}
            for e in series.device_events
            if e["onset_s"] < end + 60 and e["onset_s"] + e.get("duration_s", 0) > onset - 60]


def _convulsive_evidence(series: Series, grid: MotionGrid, hr: _HeartRate,
                         event: Event) -> None:
    onset, end = int(event.onset_s), int(event.end_s)
    motion = clonic_evidence(grid, onset, end)
    after = stillness_after(grid, end)
    heart = _hr_evidence(hr, onset, end)
    raw = raw_window_evidence(series, event.onset_s, event.end_s)
    event.evidence.update({
        "motion": motion,
        "after": after,
        "heart_rate": heart,
        "raw_window": raw,
        "gaps": _gaps_over(series, event.onset_s, event.end_s),
        "device_candidates": _device_candidates(series, event.onset_s, event.end_s),
    })
    event.confidence = _confidence(event, motion, after, heart)
    event.evidence["summary"] = _summary(event, motion, after, heart)


def _confidence(event: Event, motion: dict, after: dict, heart: dict) -> float:
    """A ranking score in [0, 1]: the share of the signs of a convulsion that are there.

    Five signs, weighted by how specific they are: convulsive motion lasting 30 s
    (0.3), a heart-rate rise of 60 % (0.3, the mean ictal rise in ANCHORS.md), clonic
    slowing (0.1), stillness afterwards for 2 minutes (0.2), onset from rest while lying
    (0.1). Each counts in proportion up to its figure. An unknown sign counts half.
    """
    conv = min(1.0, motion["convulsive_s"] / 30.0)
    rise = heart["rise_pct"]
    hr_part = 0.5 if rise is None else min(1.0, max(0.0, rise) / 60.0)
    trend = motion["freq_trend_hz_per_min"]
    slowing = 0.5 if trend is None else (1.0 if trend < 0 else 0.0)
    still = min(1.0, after["still_s"] / 120.0) if after["known_s"] else 0.5
    from_rest = event.evidence["at_raise"]["from_rest"]
    lying_before = motion["lying_before"]
    if from_rest is None or lying_before is None:
        context = 0.5
    else:
        context = float(from_rest and lying_before)
    score = 0.3 * conv + 0.3 * hr_part + 0.1 * slowing + 0.2 * still + 0.1 * context
    return round(min(1.0, max(0.0, score)), 3)


def _summary(event: Event, motion: dict, after: dict, heart: dict) -> str:
    parts = [f"{motion['convulsive_s']} s of convulsive motion"]
    if motion["peak_activity_mg"] is not None:
        parts[-1] += f" (peak about {motion['peak_activity_mg']:.0f} mg)"
    if motion["freq_start_hz"] is not None:
        parts.append(f"dominant frequency {motion['freq_start_hz']:.0f} Hz falling to "
                     f"{motion['freq_end_hz']:.0f} Hz" if motion["freq_end_hz"]
                     < motion["freq_start_hz"] else
                     f"dominant frequency {motion['freq_start_hz']:.0f} to "
                     f"{motion['freq_end_hz']:.0f} Hz")
    if heart["rise_pct"] is not None:
        parts.append(f"heart rate {heart['resting_hr_bpm']:.0f} to "
                     f"{heart['peak_hr_bpm']:.0f} bpm ({heart['rise_pct']:+.0f} %)")
    else:
        parts.append("heart rate unknown")
    parts.append(f"still for {after['still_s']} s afterwards")
    return "; ".join(parts) + f"; raised by {', '.join(event.rules)}"


# --- heart-rate-only candidates --------------------------------------------------------------


def _rolling_baseline(hr_bpm: NDArray[np.float64]) -> NDArray[np.float64]:
    """The resting level of every second, refreshed every HR_ONLY_BASELINE_STEP_S."""
    n = hr_bpm.size
    out = np.full(n, np.nan)
    span = BASELINE_FROM_S - BASELINE_TO_S
    if n <= BASELINE_TO_S + BASELINE_MIN_S:
        return out
    padded = np.concatenate([np.full(span, np.nan), hr_bpm])
    # Row k covers seconds [k - BASELINE_FROM_S, k - BASELINE_TO_S) of the recording.
    rows = np.lib.stride_tricks.sliding_window_view(padded, span)
    step = HR_ONLY_BASELINE_STEP_S
    starts = np.arange(BASELINE_TO_S, n, step)
    # NaN sorts last, so each row's median is read at the middle of its finite values.
    ordered = np.sort(rows[starts - BASELINE_TO_S], axis=1)
    finite = np.isfinite(ordered).sum(axis=1)
    ok = finite >= BASELINE_MIN_S
    values = np.full(starts.size, np.nan)
    if ok.any():
        k = finite[ok]
        picked = ordered[ok]
        index = np.arange(picked.shape[0])
        values[ok] = 0.5 * (picked[index, (k - 1) // 2] + picked[index, k // 2])
    out[BASELINE_TO_S:] = np.repeat(values, step)[:n - BASELINE_TO_S]
    return out


def _hr_only_events(series: Series, grid: MotionGrid, hr: _HeartRate,
                    convulsive: list[Event]) -> list[Event]:
    if hr.clean is None:
        return []
    base = _rolling_baseline(hr.hr_bpm)
    with np.errstate(invalid="ignore"):
        rise = hr.hr_bpm - base
        up = (rise >= HR_ONLY_RISE_BPM) & (rise >= base * HR_ONLY_RISE_PCT / 100.0)
    count = trailing_count(up, HR_ONLY_WINDOW_S)
    events: list[Event] = []
    busy_until = -1
    for t in np.flatnonzero(count >= HR_ONLY_MIN_S).tolist():
        if t < busy_until:
            continue
        run = np.flatnonzero(~up[:t + 1])
        onset = int(run[-1]) + 1 if run.size else 0
        later = np.flatnonzero(~up[t:])
        end = t + (int(later[0]) if later.size else up.size - t)
        busy_until = end
        if events and onset - events[-1].end_s < MERGE_S:
            # The same rise going on after a dip: extend the event, keep its raise time.
            events[-1].end_s = float(end)
            continue
        events.append(Event(KIND_HR_ONLY, float(onset), float(end), float(t + HR_LAG_S),
                            0.0, ["hr_only"], {"at_raise": {
                                "resting_hr_bpm": _r(float(base[t])),
                                "hr_up_s_of_last_30": int(count[t])}}))
    kept = []
    for event in events:
        onset, end = int(event.onset_s), int(event.end_s)
        # Convulsive motion near it makes it part of (or a miss of) a convulsive event,
        # and walking before it makes it exertion: neither is a seizure without
        # convulsions.
        near = grid.convulsive[max(0, onset - HR_ONLY_NO_CONVULSION_S):
                               end + HR_ONLY_NO_CONVULSION_S]
        walked = grid.walking[max(0, onset - HR_ONLY_NO_WALK_S):int(event.raise_s)]
        overlaps = any(c.onset_s - MERGE_S < end and onset < c.end_s + MERGE_S
                       for c in convulsive)
        if near.any() or walked.any() or overlaps:
            continue
        heart = _hr_evidence(hr, onset, end)
        began = heart["rise_began_s_from_onset"]
        if began is not None and began < 0:
            # The run above the threshold starts late in a gradual rise; the event starts
            # where the rate left its resting level.
            onset += began
            event.onset_s = float(onset)
            heart = _hr_evidence(hr, onset, end)
        motion = clonic_evidence(grid, onset, end)
        event.evidence.update({"heart_rate": heart, "motion": motion,
                               "gaps": _gaps_over(series, onset, end)})
        event.confidence = _hr_only_confidence(event, heart, motion)
        seen = "" if motion["known_s"] else " (motion not recorded)"
        event.evidence["summary"] = (
            f"heart rate {heart['resting_hr_bpm']:.0f} to {heart['peak_hr_bpm']:.0f} bpm "
            f"({heart['rise_pct']:+.0f} %) for {end - onset} s without convulsive "
            f"motion{seen}")
        kept.append(event)
    return kept


def _hr_only_confidence(event: Event, heart: dict, motion: dict) -> float:
    """Ranking only: a larger and longer rise ranks higher; stillness while it lasts
    adds a little (tachycardia while moving may be exertion), unknown motion half."""
    size = min(1.0, max(0.0, heart["rise_pct"] or 0.0) / 80.0)
    length = min(1.0, event.duration_s / 120.0)
    if not motion["known_s"]:
        still = 0.5
    else:
        still = 1.0 - motion["moving_s"] / motion["known_s"]
    return round(0.5 * size + 0.3 * length + 0.2 * still, 3)


# --- entry points ----------------------------------------------------------------------------


def _quality(series: Series, grid: MotionGrid, hr: _HeartRate) -> dict[str, Any]:
    gaps: dict[str, float] = {}
    for gap in series.gaps:
        gaps[gap.cause] = round(gaps.get(gap.cause, 0.0) + gap.end_s - gap.start_s, 1)
    return {
        "recorded_h": round(series.duration_s / 3600.0, 3),
        "motion_h": round(float(grid.valid.sum()) / 3600.0, 3),
        "heart_rate_h": round(float(np.isfinite(hr.hr_bpm).sum()) / 3600.0, 3),
        "beats": int(series.beat_s.size),
        "gap_s_by_cause": gaps,
    }


def detect_series(series: Series) -> NightDetection:
    """Run host detection on one recording.

    Args:
        series: the recording (a fixture through :func:`series_from_fixture`, or a night
            of a study).

    Returns:
        Every event with its evidence, and the recording's data quality.

    Raises:
        DetectError: the recording has no length.
        RRError: the beat times are not increasing (from the R-R cleaning).
    """
    if not (math.isfinite(series.duration_s) and series.duration_s > 0):
        raise DetectError(f"recording {series.name!r} has no length "
                          f"(duration_s={series.duration_s})",
                          "check the fixture's duration_s, or sync the device again")
    grid = motion_grid(series)
    hr = _heart_rate(series, grid.seconds)
    convulsive = _convulsive_events(series, grid, hr)
    hr_only = _hr_only_events(series, grid, hr, convulsive)
    events = sorted(convulsive + hr_only, key=lambda e: e.onset_s)
    log.debug("%s: %d convulsive, %d heart-rate-only", series.name, len(convulsive),
              len(hr_only))
    return NightDetection(series.name, series.start_utc, series.duration_s, events,
                          _quality(series, grid, hr))


def detect_fixture(fixture: Fixture, cache_dir: str | None = None) -> NightDetection:
    """Run host detection on a fixture, seen as the device would log it."""
    return detect_series(series_from_fixture(fixture, cache_dir))


def scoring_detector(fixture: Fixture) -> list[DetectedEvent]:
    """The convulsive events of a fixture, for :func:`ictalog.scoring.score_corpus`."""
    night = detect_fixture(fixture)
    return [DetectedEvent(onset_s=e.onset_s, end_s=e.end_s, raise_s=e.raise_s,
                          score=e.confidence) for e in night.convulsive()]
