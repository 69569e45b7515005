# Entry point on the wearable. `make flash` installs the board's package and writes
# boards/selected.py (one line: from boards.<name>.board import make_board), so the same
# application starts on every board.

import asyncio

# boards/selected.py exists only on a device, written by tools/deploy.py.
from boards.selected import make_board  # type: ignore[import-not-found]
from firmware.app import run

asyncio.run(run(make_board()))
