# CPU time of the once-a-second work the wearable does for the prefilter, under the
# MicroPython unix port: the motion epoch's features (shared/motion.py) and the prefilter
# itself (shared/prefilter.py), over a replayed recording. File reading is outside the
# timed part. Run it with `-X emit=native` for the native emitter. Prints one JSON line.
#
# Usage: micropython bench/mpy_prefilter_bench.py REPLAY

import json
import sys
import time

sys.path.insert(0, ".")

from boards.sim.replayfile import ReplayReader  # noqa: E402
from shared.motion import EpochFeatures  # noqa: E402
from shared.prefilter import Prefilter  # noqa: E402

STILL_MG = 20


def main(path):
    with open(path, "rb") as f:
        replay = ReplayReader(f)
        features = EpochFeatures(replay.acc_hz)
        prefilter = Prefilter()
        busy_us = 0
        worst_us = 0
        moving = 0
        seconds = 0
        last = -1
        still = True
        for second in range(replay.seconds):
            beats, full = replay.second(second)
            if not full:
                continue
            start = time.ticks_us()
            for i in range(beats):
                tick = replay.beat_ticks[i]
                if last >= 0:
                    prefilter.beat(tick - last, still)
                last = tick
            features.compute(replay.acc_mg, 0)
            still = features.act_mg < STILL_MG
            prefilter.second(second, features.act_mg, features.band)
            spent = time.ticks_diff(time.ticks_us(), start)
            busy_us += spent
            if spent > worst_us:
                worst_us = spent
            if features.act >= 3:
                moving += 1
            seconds += 1
    print(json.dumps({
        "seconds": seconds,
        "moving_seconds": moving,
        "us_per_second_of_data": round(busy_us / seconds, 1),
        "worst_second_us": worst_us,
    }))


main(sys.argv[1])
