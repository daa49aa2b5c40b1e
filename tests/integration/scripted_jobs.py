# SPDX-License-Identifier: GPL-3.0-or-later
"""What the tests of burns on scripted drives (scripted_fixtures) share:
a small tree to burn, a passphrase file, the BurnFiles spec busclient
takes, starting a job and reading its Completed line, and what a job's
history and a drive's log say.

Fixtures (import them into a test module to use them):
  passfile   a passphrase file for passphrase-fd
  tree       a small folder to burn
"""

import json
import os

import cbtest
import pytest
from daemon_fixtures import FAST_KDF
from dbus_fixtures import TIMEOUT

# FAST_KDF as cryptburn's command-line options
CLI_KDF = ["--pbkdf-force-iterations", str(FAST_KDF["pbkdf-force-iterations"][1]),
           "--pbkdf-memory", str(FAST_KDF["pbkdf-memory"][1])]
# how long a job may take to notice a disc put in: the scripted drive's
# file monitor tells at once, the daemon polls every 5 s besides
NOTICE_S = 30


def make_tree(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "data.bin").write_bytes(os.urandom(200 * 1024))
    os.chmod(root, 0o755)
    return root


@pytest.fixture
def passfile(tmp_path):
    return cbtest.write_passphrase_file(tmp_path / "burn-passphrase")


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "tree")


def burn_spec(daemon, drive, tree, passfile, **options):
    """BurnFiles of tree on drive; options as busclient takes them:
    NAME=[SIGNATURE, VALUE]; passfile None: no passphrase-fd (an agent)."""
    spec = {"drive": daemon.drive_paths[drive], "sources": [str(tree)],
            "options": dict(FAST_KDF, **options), "fds": {}, "history": True}
    if passfile is not None:
        spec["fds"]["passphrase-fd"] = str(passfile)
    return spec


def start(daemon, spec, method="BurnFiles"):
    """Submits a job; returns (busclient process, job path)."""
    proc, first = daemon.submit_async(method, spec)
    assert "job" in first, first
    return proc, first["job"]


def finish(proc, timeout=TIMEOUT):
    """busclient's Completed line of a job started by start()."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()
    lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
    # submit_async read the first line, the job's path
    assert len(lines) == 1 and "completed" in lines[0], (out, err)
    return lines[0]


def states(history):
    return [h["State"] for h in history if "State" in h]


def phases(history):
    return [h["Phase"] for h in history if "Phase" in h]


def touching(drive):
    """What changed the disc: writes and blanks, in order."""
    return [e for e in drive.operations() if e.startswith(("write", "blank"))]
