# Under pytest the dual-interpreter tests import the device code as the device does: as
# the top-level packages shared and boards, from the repository root.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

collect_ignore = ["run.py"]
