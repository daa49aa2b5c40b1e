# SPDX-License-Identifier: GPL-3.0-or-later
"""Passphrase entry: an inherited file descriptor and the terminal prompt.
Whatever way it comes in, cryptsetup must accept exactly that passphrase."""

import os
import shutil
import signal
import subprocess
import termios
import time

import pytest

import cbtest

PROMPT = "Passphrase for the new image: "
REPEAT = "Repeat the passphrase: "


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "file.txt").write_text("typed in\n")
    return d


def image_cmd(cb, src, out, *extra):
    return cb.cmd("image", *cbtest.FORMATS["luks2"]["fast"], *extra, src, "-o", out)


def test_passphrase_from_an_inherited_pipe(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    r, w = os.pipe()
    fd = os.dup2(r, 17)
    os.close(r)
    try:
        # only the first line counts
        os.write(w, cbtest.PASSPHRASE.encode() + b"\nnot part of it\n")
        os.close(w)
        proc = subprocess.run(
            image_cmd(cb, src, out, "--passphrase-fd", str(fd)),
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=cbtest.TIMEOUT,
        )
    finally:
        os.close(fd)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert cbtest.unlocks(out, cb.wrongfile) != 0
    extracted = cb.extract(cb.decrypt(out))
    assert (extracted / "file.txt").read_text() == "typed in\n"


def test_passphrase_fd_not_open(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    proc = cbtest.run(image_cmd(cb, src, out, "--passphrase-fd", "42"))
    assert proc.returncode == 6, cbtest.describe(proc)
    assert "42" in proc.stderr.decode()
    assert not os.path.lexists(out)


def _proc_files(pid):
    data = {}
    for name in ("cmdline", "environ"):
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            data[name] = f.read()
    return data


def test_terminal_prompt_does_not_echo(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    secret = cbtest.PASSPHRASE.encode()
    term = cbtest.spawn_on_pty(image_cmd(cb, src, out), cwd=tmp_path)
    try:
        term.expect(PROMPT)
        term.wait_echo_off()
        term.type(secret + b"\n")
        term.expect(REPEAT)
        # the first answer is in the process now: not in its command
        # line or environment
        seen = _proc_files(term.proc.pid)
        assert seen["cmdline"].split(b"\0")[0].endswith(b"cryptburn")
        for name, data in seen.items():
            assert secret not in data, name
        term.wait_echo_off()
        term.type(secret + b"\n")
        rc = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert rc == 0, term.output
    assert PROMPT.encode() in term.output and REPEAT.encode() in term.output
    assert secret not in term.output, "the passphrase was echoed: %r" % term.output
    # nor any recognisable part of it
    assert secret[:8] not in term.output
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert cbtest.unlocks(out, cb.wrongfile) != 0


def test_terminal_prompt_mismatch(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    before = os.listdir(tmp_path)
    term = cbtest.spawn_on_pty(image_cmd(cb, src, out), cwd=tmp_path)
    try:
        term.expect(PROMPT)
        term.wait_echo_off()
        term.type(cbtest.PASSPHRASE + "\n")
        term.expect(REPEAT)
        term.wait_echo_off()
        term.type(cbtest.OTHER_PASSPHRASE + "\n")
        rc = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert rc == 6, term.output
    assert b"differ" in term.output, term.output
    assert cbtest.PASSPHRASE.encode() not in term.output
    assert cbtest.OTHER_PASSPHRASE.encode() not in term.output
    assert sorted(os.listdir(tmp_path)) == sorted(before)


def test_ctrl_c_at_the_prompt_restores_echo(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    term = cbtest.spawn_on_pty(image_cmd(cb, src, out), cwd=tmp_path)
    try:
        term.expect(PROMPT)
        term.wait_echo_off()
        term.type(b"half typed")
        # see test_ctrl_c_right_after_echo_is_turned_off for an earlier ^C
        _wait_blocked(term.proc.pid)
        term.type(b"\x03")  # the terminal's interrupt character
        deadline = time.monotonic() + 60
        while term.proc.poll() is None:
            assert time.monotonic() < deadline, term.output
            term._read(0.05)
        # the terminal the user gets back echoes again
        assert termios.tcgetattr(term.master)[3] & termios.ECHO
        rc = term.finish()
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert rc == 130, term.output
    assert b"half typed" not in term.output
    assert not os.path.lexists(out)


def _wait_blocked(pid, timeout=30):
    """Waits until pid sleeps: at the prompt, that is in read()."""
    deadline = time.monotonic() + timeout
    while True:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "S":
            return
        assert time.monotonic() < deadline, "never blocked (state %s)" % state
        time.sleep(0.005)


def _children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(c) for c in f.read().split()]


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_ctrl_c_right_after_echo_is_turned_off(cb, tmp_path, src):
    """A Ctrl-C that comes after the SIGINT handler is installed but before
    the read() blocks must not be lost. strace holds the tcsetattr() that
    turns echo off for a moment (delay_exit): the signal arrives in exactly
    that window, every time."""
    out = tmp_path / "out.luks"
    env = dict(os.environ)
    # LeakSanitizer cannot ptrace a process strace already traces
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=ioctl"]
    cmd += ["-e", "inject=ioctl:delay_exit=300000"] + image_cmd(cb, src, out)
    term = cbtest.spawn_on_pty(cmd, cwd=tmp_path, env=env)
    try:
        term.expect(PROMPT)
        # echo is off in the terminal: the tcsetattr() is being held
        term.wait_echo_off()
        (child,) = _children(term.proc.pid)
        os.kill(child, signal.SIGINT)
        deadline = time.monotonic() + 5
        while term.proc.poll() is None and time.monotonic() < deadline:
            term._read(0.05)
        still_waiting = term.proc.poll() is None
        if still_waiting:
            term.type(b"\n")  # what the user has to do to get out
        rc = term.finish(timeout=60)
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert not still_waiting, (
        "Ctrl-C was lost: cryptburn still waited for the passphrase 5 s later "
        "(it exited %d only once Enter was pressed)" % rc
    )
    assert rc == 130, term.output
    assert not os.path.lexists(out)


def test_no_terminal_and_no_passphrase_option(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    proc = subprocess.run(
        image_cmd(cb, src, out),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        start_new_session=True,  # no controlling terminal
        timeout=cbtest.TIMEOUT,
    )
    assert proc.returncode == 6, cbtest.describe(proc)
    stderr = proc.stderr.decode()
    assert "terminal" in stderr and "--passphrase-fd" in stderr, stderr
    assert not os.path.lexists(out)
