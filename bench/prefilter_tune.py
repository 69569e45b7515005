"""Tune the prefilter on the corpus's training split and report every split.

Usage: python bench/prefilter_tune.py [CORPUS] [--tune]

Without --tune it scores the parameters shipped in shared/prefilter.py; with --tune it
also searches the grid in ictalog.prefilter_eval on the training split alone and prints
the best parameters, to be copied into shared/prefilter.py by hand (so that a change of
shipped thresholds is a reviewed commit).
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from ictalog import prefilter_eval as pe


def _inputs(args):
    return pe.night_inputs(*args)


def main() -> int:
    corpus = next((a for a in sys.argv[1:] if not a.startswith("--")), "out/corpus")
    started = time.time()
    entries = pe.corpus_entries(corpus)
    jobs = [(os.path.join(corpus, e["name"] + ".npz"), e["split"]) for e in entries]
    with ProcessPoolExecutor() as pool:
        nights = list(pool.map(_inputs, jobs))
    split = {s: [n for n in nights if n.split == s] for s in ("train", "validation", "test")}
    out: dict = {"corpus": corpus, "nights": {s: len(v) for s, v in split.items()}}
    shipped = {}
    out["shipped"] = {s: pe.score(v, shipped) for s, v in split.items()}
    if "--tune" in sys.argv:
        best, train_result = pe.tune(split["train"])
        out["tuned_params"] = best
        out["tuned"] = {s: pe.score(v, best) for s, v in split.items()}
    out["wall_s"] = round(time.time() - started, 1)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
