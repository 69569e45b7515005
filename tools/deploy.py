"""Install the firmware on a board with mpremote: ``make flash BOARD=... PORT=...``.

Copies ``shared/``, ``firmware/`` and the board's package, writes ``boards/selected.py``
naming the board, and installs ``firmware/main.py`` as ``/main.py``. With ``--dry-run``
it prints the mpremote commands instead of running them.

The log partition must exist before the firmware runs; for the XIAO ESP32S3 flash
``boards/xiao_esp32s3/partitions.csv`` first (see ``boards/xiao_esp32s3/README.md``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_BOARDS = ("xiao_esp32s3", "pico2w")


def device_files(board: str) -> list[tuple[str, str]]:
    """(local path, device path) for every file the board needs."""
    pairs = []
    for folder in ("shared", "firmware", os.path.join("firmware", "drivers"),
                   os.path.join("boards", board)):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py") and not (folder == "firmware" and name == "main.py"):
                local = os.path.join(folder, name)
                pairs.append((local, local.replace(os.sep, "/")))
    pairs.append((os.path.join("boards", "__init__.py"), "boards/__init__.py"))
    pairs.append((os.path.join("firmware", "main.py"), "main.py"))
    return pairs


def commands(board: str, port: str, selected_path: str) -> list[list[str]]:
    base = ["mpremote", "connect", port]
    cmds = [base + ["mkdir", f":{d}"] for d in
            ("shared", "firmware", "firmware/drivers", "boards", f"boards/{board}")]
    # mkdir fails on a folder that exists; each runs alone so that is harmless.
    copy = base[:]
    for local, remote in device_files(board):
        copy += ["cp", os.path.join(ROOT, local), f":{remote}", "+"]
    copy += ["cp", selected_path, ":boards/selected.py", "+", "reset"]
    cmds.append(copy)
    return cmds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", required=True)
    parser.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyACM0")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    if args.board not in REAL_BOARDS:
        print(f"deploy: unknown board {args.board!r}; choose one of "
              f"{', '.join(REAL_BOARDS)} (the sim board runs on the desktop: make demo)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        selected = os.path.join(tmp, "selected.py")
        with open(selected, "w") as f:
            f.write(f"from boards.{args.board}.board import make_board  # noqa: F401\n")
        for cmd in commands(args.board, args.port, selected):
            if args.dry_run:
                print(" ".join(cmd))
                continue
            proc = subprocess.run(cmd)
            if proc.returncode != 0 and "mkdir" not in cmd:
                print(f"deploy: mpremote failed (exit {proc.returncode}); check that the "
                      f"board is on {args.port} and runs MicroPython", file=sys.stderr)
                return proc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
