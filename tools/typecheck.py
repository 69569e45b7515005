"""Type-check the device code against one MicroPython port's stubs.

Usage: python tools/typecheck.py [--port esp32|rp2|unix|all] [--stubs-dir DIR]

Checks shared/ and boards/sim/, plus firmware/ and the port's own board folders once they
exist, with mypy and tools/mypy-micropython.ini. The stubs come from
requirements-stubs.txt and go into one folder per port (.venv/stubs/<port>), because every
port package installs the same top-level names; a folder is installed on first use and
reused while its pins stay the same. The last line per port reads
"typecheck <port>: N files, N errors"; the exit status is 1 when any port has errors.

Runs on CPython only (it drives pip and mypy).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join("tools", "mypy-micropython.ini")
PIN_FILE = "requirements-stubs.txt"
PORTS = ("esp32", "rp2", "unix")

# The port packages depend on micropython-stdlib-stubs~=1.29.0 without pinning it; pin it
# here unless requirements-stubs.txt does, so that a new post-release cannot change the
# result of a check on its own.
STDLIB_STUBS_DEFAULT = "micropython-stdlib-stubs==1.29.0.post2"

# A board folder other than sim names its port in its board.py, as a line
# `PORT = "esp32"`; it is checked against that port's stubs only.
SIM_BOARD = "sim"
_PORT_LINE = re.compile(r'^PORT\s*=\s*"([a-z0-9]+)"', re.M)


def board_port(folder):
    path = os.path.join(ROOT, folder, "board.py")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        found = _PORT_LINE.search(f.read())
    return found.group(1) if found else None

_MARKER = ".ictalog-stubs"


class CheckError(Exception):
    pass


def read_pins():
    # Requirement lines from requirements-stubs.txt, by package name.
    pins = {}
    with open(os.path.join(ROOT, PIN_FILE)) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name = re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower()
            pins[name] = line
    return pins


def requirements_for(port, pins):
    package = "micropython-%s-stubs" % port
    if package not in pins:
        raise CheckError("%s has no pin for %s" % (PIN_FILE, package))
    return [pins[package], pins.get("micropython-stdlib-stubs", STDLIB_STUBS_DEFAULT)]


def ensure_stubs(port, stubs_root, pins):
    # Returns the port's stub folder, installing it first if it is missing or was
    # installed from other pins.
    folder = os.path.join(stubs_root, port)
    wanted = "\n".join(requirements_for(port, pins)) + "\n"
    marker = os.path.join(folder, _MARKER)
    if os.path.isfile(marker):
        with open(marker) as f:
            if f.read() == wanted:
                return folder

    print("typecheck %s: installing %s into %s"
          % (port, ", ".join(wanted.split()), os.path.relpath(folder, ROOT)))
    staging = folder + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", "--no-compile", "--target", staging]
    result = subprocess.run(command + wanted.split(), capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise CheckError("pip could not install the %s stubs:\n%s%s"
                         % (port, result.stdout, result.stderr))
    # The folder must be a typeshed (for --custom-typeshed-dir) and hold the port's own
    # modules (for MYPYPATH); anything else means the packages changed shape.
    for needed in (os.path.join("stdlib", "VERSIONS"), "micropython.pyi"):
        if not os.path.exists(os.path.join(staging, needed)):
            shutil.rmtree(staging, ignore_errors=True)
            raise CheckError("the %s stubs have no %s; see tools/mypy-micropython.ini"
                             % (port, needed))
    with open(os.path.join(staging, _MARKER), "w") as f:
        f.write(wanted)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staging, folder)
    return folder


def _has_python(folder):
    for _, _, files in os.walk(os.path.join(ROOT, folder)):
        if any(name.endswith(".py") for name in files):
            return True
    return False


def targets_for(port):
    # Folders to check for a port, and board folders left out because they belong to
    # another port.
    targets = ["shared", os.path.join("boards", SIM_BOARD)]
    if _has_python("firmware"):
        targets.append("firmware")
    skipped = []
    boards = os.path.join(ROOT, "boards")
    for name in sorted(os.listdir(boards)):
        if name == SIM_BOARD or not os.path.isdir(os.path.join(boards, name)):
            continue
        if name.startswith("_") or not _has_python(os.path.join("boards", name)):
            continue
        if board_port(os.path.join("boards", name)) == port:
            targets.append(os.path.join("boards", name))
        else:
            skipped.append(name)
    return targets, skipped


# Files that only run on a board with interrupt pins, a watchdog and a filesystem: the
# unix port's machine module has none of these, and the sim board stands in for them.
BOARD_ONLY = {"unix": (r"^firmware/(hardware|main)\.py$",)}


def run_mypy(port, stubs, targets):
    # Runs mypy and returns (files checked, errors).
    env = dict(os.environ)
    env["MYPYPATH"] = stubs
    command = [sys.executable, "-m", "mypy",
               "--config-file", CONFIG,
               "--custom-typeshed-dir", stubs,
               # One cache per port: entries built against one typeshed are wrong for
               # another.
               "--cache-dir", os.path.join(".mypy_cache", "micropython-" + port)]
    for pattern in BOARD_ONLY.get(port, ()):
        command += ["--exclude", pattern]
    result = subprocess.run(command + targets, cwd=ROOT, env=env, capture_output=True,
                            text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    checked = re.search(r"(\d+) source files?\)?$", result.stdout, re.MULTILINE)
    if result.returncode not in (0, 1) or checked is None:
        raise CheckError("mypy did not finish (exit status %d)" % result.returncode)
    found = re.search(r"^Found (\d+) errors?", result.stdout, re.MULTILINE)
    errors = int(found.group(1)) if found else 0
    if result.returncode == 1 and errors == 0:
        raise CheckError("mypy reported a failure without counting errors")
    return int(checked.group(1)), errors


def check(port, stubs_root, pins):
    # Returns True when the port is clean; prints its summary line either way.
    try:
        stubs = ensure_stubs(port, stubs_root, pins)
        targets, skipped = targets_for(port)
        if skipped:
            print("typecheck %s: boards for other ports not checked here: %s"
                  % (port, ", ".join(skipped)))
        files, errors = run_mypy(port, stubs, targets)
    except CheckError as e:
        print("typecheck %s: failed: %s" % (port, e))
        return False
    print("typecheck %s: %d files, %d errors" % (port, files, errors))
    return errors == 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Type-check the device code against MicroPython's stubs.")
    parser.add_argument("--port", choices=PORTS + ("all",), default="esp32",
                        help="which port's stubs to check against (default esp32)")
    parser.add_argument("--stubs-dir", default=os.path.join(ROOT, ".venv", "stubs"),
                        help="where the per-port stub folders live (default .venv/stubs)")
    args = parser.parse_args(argv)
    try:
        pins = read_pins()
    except (OSError, CheckError) as e:
        print("typecheck: cannot read the stub pins: %s" % e)
        return 2
    ports = PORTS if args.port == "all" else (args.port,)
    stubs_root = os.path.abspath(args.stubs_dir)
    ok = True
    for port in ports:
        ok = check(port, stubs_root, pins) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
