# SPDX-License-Identifier: GPL-3.0-or-later
"""What the user sees while an image is made: progress on a terminal,
silence otherwise, and a prompt exit on Ctrl-C even during key derivation."""

import os
import signal
import subprocess
import time

import pytest

import cbtest


def test_progress_on_a_terminal(cb, tmp_path, big_tree):
    out = tmp_path / "out.luks"
    term = cbtest.spawn_on_pty(
        cb.cmd(
            "image",
            *cbtest.FORMATS["luks2"]["fast"],
            "--passphrase-file",
            cb.passfile,
            big_tree,
            "-o",
            out,
        ),
        cwd=tmp_path,
    )
    try:
        rc = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert rc == 0, term.output
    text = term.output.decode(errors="replace")
    # "Writing  42%  126.0 MB / 301.0 MB  250.3 MB/s  left 0:01"
    assert "Writing" in text and "%" in text, text
    assert "MB/s" in text and "left" in text, text
    assert cbtest.unlocks(out, cb.passfile) == 0


def test_quiet_when_not_a_terminal(cb, tmp_path, big_tree):
    out = tmp_path / "out.luks"
    _, result = cb.image([big_tree], output=out)
    assert b"%" not in result.stderr and b"MB/s" not in result.stderr
    assert result.stdout == b""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_during_key_derivation(cb, tmp_path, sig):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    outdir = tmp_path / "out"
    outdir.mkdir()
    # a benchmarked argon2id takes seconds: long enough to interrupt
    proc = subprocess.Popen(
        cb.cmd(
            "image",
            "--iter-time",
            "4000",
            "--passphrase-file",
            cb.passfile,
            src,
            "-o",
            outdir / "x.luks",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(1.0)
        assert proc.poll() is None, "finished before it could be interrupted"
        sent = time.monotonic()
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stderr
    assert b"interrupted" in stderr
    # it does not sit out the rest of the derivation
    assert took < 1.5, "took %.1f s to stop" % took
    assert os.listdir(outdir) == []


def test_no_image_onto_a_terminal(cb, tmp_path):
    """-o - with standard output on a terminal would spray ciphertext on it."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    term = cbtest.spawn_on_pty(
        cb.cmd("image", "--passphrase-file", cb.passfile, src, "-o", "-"), cwd=tmp_path
    )
    try:
        rc = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert rc == 4, term.output
    assert b"terminal" in term.output
    assert b"LUKS" not in term.output
