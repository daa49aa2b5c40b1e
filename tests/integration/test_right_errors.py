# SPDX-License-Identifier: GPL-3.0-or-later
"""Failures named for what they are (issue 13, point 10): the errno of an
unreadable directory, a full drive, a crafted checksum size, a FIFO
given as an image and an agent whose reply the bus would not carry."""

import os
import time

import pytest

import cbtest
from crafted_headers import set_loop_aes_comment, set_luks2_token
from daemon_fixtures import DRIVES, ERROR, JOB_IFACE, ROOT_PATH
from test_daemon import PASSPHRASE, burn_spec, make_tree


def loop_aes_image(cb, src):
    image = cb.path("image.loop-aes")
    cb.run("image", "-q", "--format", "loop-aes", "--passphrase-file", cb.passfile,
           "--checksum", "md5", src, "-o", image, check=True)
    return image


def nobody_passfile(daemon):
    passfile = daemon.workdir / "pass"
    passfile.write_text(PASSPHRASE + "\n")
    os.chmod(passfile, 0o644)
    return passfile


def test_burn_unreadable_directory_is_permission_denied(cryptburnd, cb, nobody_dir):
    """burn reads through cryptburn-reader as the user, image in the
    client: both say why the directory cannot be read"""
    src = cryptburnd.workdir / "src"
    src.mkdir()
    os.chmod(src, 0o755)
    (src / "readable.txt").write_text("fine\n")
    private = src / "private-folder"
    private.mkdir()
    os.chmod(private, 0o700)
    spec = burn_spec(cryptburnd, "disc0", [src], passfile=nobody_passfile(cryptburnd))
    job, done = cryptburnd.submit("BurnFiles", spec, user="nobody")
    assert "job" in job, job
    success, name, message = done["completed"]
    assert not success
    assert name == ERROR + "Source", done
    assert "private-folder" in message and "Permission denied" in message, message
    # the same tree through cryptburn image, in the client
    passfile = cbtest.write_passphrase_file(nobody_dir / "pass")
    _, proc = cb.image(src, output=nobody_dir / "out.luks", passfile=passfile, nobody=True,
                       cwd=nobody_dir, expect=3)
    assert "Permission denied" in proc.stderr.decode(), cbtest.describe(proc)


def test_full_drive_is_a_space_error(start_daemon, cb, tmp_path):
    """/dev/full as a drive: every write(2) fails with ENOSPC, as a stdio
    drive's file system filling up while the disc is written (after its
    free space was checked)"""
    daemon = start_daemon("--test-drive", "/dev/full:512M")
    spec = burn_spec(daemon, "disc0", [make_tree(tmp_path / "tree")], passfile=cb.passfile)
    spec["drive"] = ROOT_PATH + "/drives/test%d" % len(DRIVES)
    job, done = daemon.submit("BurnFiles", spec)
    assert "job" in job, job
    success, name, message = done["completed"]
    assert not success
    assert name == ERROR + "NoSpace", done
    assert "/dev/full" in message and "the drive is full" in message, message


@pytest.mark.parametrize("size", [-5, "-5", 2**63, 1.5e30, "lots"])
def test_crafted_luks2_checksum_size_is_refused(cb, tmp_path, size):
    image, _ = cb.image(make_tree(tmp_path / "tree"), extra=["--checksum", "md5"])
    set_luks2_token(image, checksum_size=size)
    for command in ("info", "verify"):
        proc = cb.run(command, image)
        stderr = proc.stderr.decode()
        assert proc.returncode == 3, cbtest.describe(proc)
        assert "18446744073709551611" not in stderr + proc.stdout.decode()
        assert "checksum covers" in stderr and "not a size" in stderr, stderr


@pytest.mark.parametrize("size", [b"-5", b"18446744073709551611", b"12x"])
def test_crafted_loop_aes_checksum_size_is_refused(cb, tmp_path, size):
    image = loop_aes_image(cb, make_tree(tmp_path / "tree"))
    set_loop_aes_comment(image, "checksum-size", size)
    for command in ("info", "verify"):
        proc = cb.run(command, image)
        stderr = proc.stderr.decode()
        assert proc.returncode == 3, cbtest.describe(proc)
        assert "“%s”" % size.decode() in stderr and "not a size" in stderr, stderr


def test_extract_key_refuses_a_fifo(cb, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # before the fix, open() waited for a writer that never comes
    proc = cb.run("extract-key", fifo, "-o", tmp_path / "key", timeout=30)
    assert proc.returncode == 7, cbtest.describe(proc)
    assert "is not an image file or a disc" in proc.stderr.decode()
    assert not (tmp_path / "key").exists()


def test_agent_reply_over_the_bus_limit(start_daemon, tmp_path):
    """A 40 MiB passphrase: dbus-daemon disconnects the agent that sends
    it (max_message_size, 32 MiB), and the reply never comes. The agent
    has a minute, so that a timeout cannot pass for the answer"""
    cryptburnd = start_daemon("--agent-timeout", "60")
    started = time.monotonic()
    spec = burn_spec(cryptburnd, "disc0", [make_tree(tmp_path / "tree")], agent="good")
    spec["passphrase"] = "x"
    spec["passphrase_repeat"] = 40 * 1024 * 1024
    proc, job = cryptburnd.submit_async("BurnFiles", spec)
    try:
        assert "job" in job, job
        state = cryptburnd.wait_state(job["job"], ["failed", "succeeded"], timeout=120)
        assert "failed" in state, state
        assert time.monotonic() - started < 50
        name = cryptburnd.get(job["job"], JOB_IFACE, "ErrorName")
        message = cryptburnd.error_message(job["job"])
        assert "PassphraseRequired" in name, name
        assert "did not answer" not in message, message
        assert "size limit (32 MiB" in message and "1024 bytes" in message, message
    finally:
        proc.kill()
        proc.wait()
    assert cryptburnd.alive()
