"""A CI-sized sample of the decoder fuzzing that ``make fuzz`` runs 100,000 times."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "bench"))
import fuzz  # noqa: E402


@pytest.mark.parametrize("block", range(4))
def test_decoder_never_crashes_or_hangs(block):
    outcomes = set()
    for seed in range(block * 150, (block + 1) * 150):
        outcome, elapsed_s, detail = fuzz.check_one(seed)
        assert outcome != "crash", f"seed {seed}:\n{detail}"
        assert elapsed_s < fuzz.HANG_S, f"seed {seed} took {elapsed_s:.2f} s"
        outcomes.add(outcome)
    # The sample reaches both ends: logs that decode and inputs that are refused.
    assert outcomes == {"decoded", "refused"}
