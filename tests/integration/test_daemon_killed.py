# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburnd killed with SIGKILL mid-job (issue 13, point 8), as systemd
does after TimeoutStopSec= or the OOM killer at any time: nothing it
started may live on. The reader helper and gpg-agent die with it within a
second, and a GnuPG home it left is gone once it has started again."""

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest
from daemon_fixtures import ACTIONS, FAST_KDF, Daemon

# what "with it" means: the kernel signals at once, a second is plenty
GONE_WITHIN_S = 1.0
# libburn throttles a stdio drive to this (kB/s): a burn that lasts
SLOW = {"speed": ["u", 6000]}


def cmdline(pid):
    try:
        return Path("/proc/%d/cmdline" % pid).read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""


def processes(needle):
    """Live processes whose command line holds needle (zombies have none)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and needle in cmdline(int(entry)):
            found.append(int(entry))
    return found


def readers_of(daemon):
    found = []
    for pid in processes(b"cryptburn-reader"):
        try:
            stat = Path("/proc/%d/stat" % pid).read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == daemon.proc.pid:
            found.append(pid)
    return found


def wait_for(what, timeout=60, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(step)
    raise AssertionError("timed out waiting for %s" % what.__name__)


def assert_gone(pids_of, pids):
    """pids, which pids_of() lists while they run, end within GONE_WITHIN_S."""
    deadline = time.monotonic() + GONE_WITHIN_S
    while time.monotonic() < deadline:
        left = [p for p in pids if p in pids_of()]
        if not left:
            return
        time.sleep(0.02)
    raise AssertionError("still running a second after cryptburnd was killed: %s" %
                         [(p, cmdline(p)) for p in left])


@pytest.fixture
def runtime_dir(monkeypatch):
    """$RUNTIME_DIRECTORY of the daemons the test starts: where their GnuPG
    homes go, short enough for gpg-agent's socket names."""
    runtime = Path(tempfile.mkdtemp(prefix="cb-run-", dir="/tmp"))
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    try:
        yield runtime
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def daemons(system_bus, polkitd_mock):
    """Starts daemons on demand; kills what is left of them afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="cryptburnd-test-", dir="/tmp"))
    os.chmod(workdir, 0o755)
    started = []

    def start(*extra):
        daemon = Daemon(system_bus, workdir)
        daemon.allow(ACTIONS)
        daemon.start(*extra)
        started.append(daemon)
        return daemon

    try:
        yield start
    finally:
        for daemon in started:
            if daemon.proc.poll() is None:
                daemon.proc.kill()
                daemon.proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def kill(daemon):
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait()
    assert daemon.proc.returncode == -signal.SIGKILL


def test_killed_mid_burn_takes_its_reader_along(daemons, cb, tmp_path):
    """The reader stopped (SIGSTOP: a reader stuck on a hung file system,
    which no broken pipe would wake) when the daemon is killed: it is
    killed too."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(3):
        (tree / ("random-%d.bin" % i)).write_bytes(os.urandom(8 * 1024 * 1024))
    # a small drive buffer, so that the reader still has data to give
    daemon = daemons("--fifo-size", "1")
    spec = {"drive": daemon.drive_paths["disc0"], "sources": [str(tree)],
            "options": dict(FAST_KDF, **SLOW), "fds": {"passphrase-fd": str(cb.passfile)}}
    proc, first = daemon.submit_async("BurnFiles", spec)
    try:
        daemon.wait_state(first["job"], ["running"])
        readers = wait_for(lambda: readers_of(daemon))
        for pid in readers:
            os.kill(pid, signal.SIGSTOP)
        kill(daemon)
        assert_gone(lambda: processes(b"cryptburn-reader"), readers)
    finally:
        proc.kill()
        proc.wait()


def test_killed_mid_loop_aes_leaves_no_agent_and_no_gnupg_home(daemons, cb, tmp_path,
                                                                 runtime_dir):
    """Killed while gpg encrypts a loop-aes job's keys: its gpg-agent goes
    with it, and the GnuPG home left in $RUNTIME_DIRECTORY is removed when
    the daemon starts again (under systemd the directory goes with the
    service, but a daemon run by hand or by these tests has only itself)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "notes.txt").write_text("loop-aes, interrupted\n")
    daemon = daemons()
    spec = {"sources": [str(tree)], "options": {"format": ["s", "loop-aes"]},
            "fds": {"output": "write:%s" % (tmp_path / "image.la"),
                    "passphrase-fd": str(cb.passfile)}}
    proc, first = daemon.submit_async("WriteImage", spec)
    needle = str(runtime_dir).encode()
    try:
        assert "job" in first, first
        agents = wait_for(lambda: processes(b"gpg-agent") and
                          [p for p in processes(b"gpg-agent") if needle in cmdline(p)])
        readers = readers_of(daemon)
        homes = [p.name for p in runtime_dir.iterdir()]
        assert homes and all(h.startswith("cb-gpg-") for h in homes), homes
        kill(daemon)
        assert_gone(lambda: processes(b"gpg-agent"), agents)
        assert_gone(lambda: processes(b"cryptburn-reader"), readers)
    finally:
        proc.kill()
        proc.wait()

    # what the killed one left is still there, until another starts
    assert [p.name for p in runtime_dir.iterdir()] == homes
    again = daemons()
    assert list(runtime_dir.iterdir()) == []
    assert "left by a process that was killed" in again.log()
    # and the new one does loop-aes as before
    reply, done = again.submit("WriteImage", dict(spec, fds={
        "output": "write:%s" % (tmp_path / "again.la"), "passphrase-fd": str(cb.passfile)}))
    assert done["completed"] == [True, "", ""], (reply, done)
    assert list(runtime_dir.iterdir()) == []
    assert not [p for p in processes(b"gpg-agent") if needle in cmdline(p)]
    again.stop()
