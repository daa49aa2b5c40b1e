# SPDX-License-Identifier: GPL-3.0-or-later
"""Ctrl-C while writing: exit 130 and nothing left behind."""

import os
import signal
import subprocess
import time

import pytest

import cbtest


def _written(pid):
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def _writes_into(pid, directory):
    """Whether pid has a file in directory open (O_TMPFILE or not)."""
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            target = os.readlink(os.path.join(fddir, fd))
        except FileNotFoundError:
            continue
        if target.startswith(str(directory) + "/"):
            return True
    return False


def interrupt_while_writing(cb, source, out, sig, extra=()):
    r, w = os.pipe()
    os.write(w, cbtest.PASSPHRASE.encode() + b"\n")
    os.close(w)
    proc = subprocess.Popen(
        cb.cmd(
            "image",
            *cbtest.FORMATS["luks2"]["fast"],
            "--passphrase-fd",
            "0",
            *extra,
            source,
            "-o",
            out,
        ),
        stdin=r,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(r)
    try:
        # libcryptsetup writes a few MB into its in-memory header first:
        # wait for the output file to be open, then for 2 MB more
        deadline = time.monotonic() + 120
        start = None
        written = 0
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                written = _written(proc.pid)
                if start is None and _writes_into(proc.pid, out.parent):
                    start = written
            except (FileNotFoundError, ProcessLookupError):
                break
            if start is not None and written > start + 2 * 1024 * 1024:
                break
            time.sleep(0.002)
        assert proc.poll() is None, "finished before it could be interrupted"
        assert start is not None and written > start + 2 * 1024 * 1024, "never wrote"
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_leaves_nothing_behind(cb, tmp_path, big_tree, sig):
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "interrupted.luks"
    result = interrupt_while_writing(cb, big_tree, out, sig)
    assert result.returncode == 130, cbtest.describe(result)
    assert "interrupted" in result.stderr.decode()
    assert os.listdir(outdir) == [], "left behind: %r" % os.listdir(outdir)


def test_interrupted_force_keeps_the_old_image(cb, tmp_path, big_tree):
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "existing.luks"
    out.write_bytes(b"the previous image\n")
    result = interrupt_while_writing(cb, big_tree, out, signal.SIGINT, extra=["--force"])
    assert result.returncode == 130, cbtest.describe(result)
    assert os.listdir(outdir) == ["existing.luks"]
    assert out.read_bytes() == b"the previous image\n"
