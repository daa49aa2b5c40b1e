# SPDX-License-Identifier: GPL-3.0-or-later
"""Output a hostile disc cannot abuse (issue 13, point 9): what a header
says (a LUKS2 token, loop-aes armor comments) reaches a terminal escaped,
whatever escape sequences it holds; --json keeps the exact string."""

import json
import re

import pytest

import cbtest
from crafted_headers import set_loop_aes_comment, set_luks2_token
from test_daemon import make_tree

# a window title, a bell, a cleared screen, a red fake serial, an 8-bit
# CSI, a right-to-left override, DEL, a line of its own
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[31mSERIAL-0001\x1b[0m\u009b31m\u202eevil\x7f\nChecksum: ok"
# what a terminal obeys: C0 but newline, DEL, C1, bidirectional controls
OBEYED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def assert_harmless(proc):
    for stream in (proc.stdout, proc.stderr):
        text = stream.decode("utf-8")  # not a stray byte either
        assert not OBEYED.search(text), "%r reached the terminal" % text
        assert "\nChecksum: ok" not in text, "a header made a line of its own"


@pytest.fixture
def luks2_hostile(cb, tmp_path):
    image, _ = cb.image(make_tree(tmp_path / "tree"), extra=["--serial", "S1",
                                                             "--checksum", "md5"])
    set_luks2_token(image, serial=HOSTILE, volume_id=HOSTILE, version=HOSTILE)
    return image


@pytest.fixture
def loop_aes_hostile(cb, tmp_path):
    image = cb.path("image.loop-aes")
    cb.run("image", "-q", "--format", "loop-aes", "--passphrase-file", cb.passfile,
           "--serial", "S1", "--checksum", "md5", make_tree(tmp_path / "tree"), "-o", image,
           check=True)
    # an armor comment is one line: everything but the newline
    line = HOSTILE.replace("\n", " ").encode()
    set_loop_aes_comment(image, "serial", line)
    set_loop_aes_comment(image, "version", b"cryptburn " + line)
    return image, line.decode()


def test_luks2_info_is_escaped(cb, luks2_hostile):
    proc = cb.run("info", luks2_hostile)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert_harmless(proc)
    out = proc.stdout.decode()
    # shown, visibly
    assert "\\x1b]0;pwned\\x07" in out and "\\u009b" in out and "\\u202e" in out, out
    assert re.search(r"^Serial: +\\x1b.*\\x0aChecksum: ok$", out, re.M), out


def test_luks2_info_json_is_exact(cb, luks2_hostile):
    proc = cb.run("info", "--json", luks2_hostile)
    assert proc.returncode == 0, cbtest.describe(proc)
    info = json.loads(proc.stdout)
    assert info["serial"] == HOSTILE
    assert info["volume_id"] == HOSTILE
    assert info["version"] == HOSTILE
    # and the JSON text itself is as harmless on a terminal
    assert not OBEYED.search(proc.stdout.decode().replace("\n", " "))


def test_luks2_verify_is_escaped(cb, luks2_hostile):
    proc = cb.run("verify", luks2_hostile)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert_harmless(proc)


def test_error_quoting_a_header_is_escaped(cb, luks2_hostile):
    set_luks2_token(luks2_hostile, checksum_size=HOSTILE)
    for command in ("info", "verify"):
        proc = cb.run(command, luks2_hostile)
        assert proc.returncode == 3, cbtest.describe(proc)
        assert_harmless(proc)
        # the member as its JSON text, whose escapes a terminal shows
        assert "pwned" in proc.stderr.decode()


def test_loop_aes_info_and_verify_are_escaped(cb, loop_aes_hostile):
    image, line = loop_aes_hostile
    for args in (["info"], ["verify"]):
        proc = cb.run(*args, image)
        assert proc.returncode == 0, cbtest.describe(proc)
        assert_harmless(proc)
    proc = cb.run("info", "--json", image)
    info = json.loads(proc.stdout)
    assert info["serial"] == line
    assert info["version"] == line


def test_loop_aes_error_quoting_an_armor_comment_is_escaped(cb, loop_aes_hostile):
    image, line = loop_aes_hostile
    set_loop_aes_comment(image, "checksum-size", line.encode())
    proc = cb.run("verify", image)
    assert proc.returncode == 3, cbtest.describe(proc)
    assert_harmless(proc)


def test_extract_key_keeps_a_hostile_block_off_a_terminal(cb, loop_aes_hostile, tmp_path):
    image, line = loop_aes_hostile
    term = cbtest.spawn_on_pty(cb.cmd("extract-key", image))
    rc = term.finish(timeout=60)
    assert rc == 4, term.output
    assert b"\x1b" not in term.output and b"\x07" not in term.output, term.output
    assert b"-o FILE" in term.output
    # into a file it goes exactly as it is
    out = tmp_path / "key.asc"
    proc = cb.run("extract-key", image, "-o", out)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert ("Comment: serial=" + line + "\n").encode() in out.read_bytes()


def test_drive_names_are_escaped(start_daemon, cb, tmp_path):
    """what the service says goes through the same escaping: here a test
    drive whose file name is hostile, in the drive table"""
    drive = tmp_path / "disc\x1b]0;pwned\x07\x1b[31m.img"
    daemon = start_daemon("--test-drive", "%s:512M" % drive)
    proc = cbtest.run(cb.cmd("drives"), env=daemon.bus.env())
    assert proc.returncode == 0, cbtest.describe(proc)
    assert_harmless(proc)
    assert "disc\\x1b]0;pwned\\x07\\x1b[31m.img" in proc.stdout.decode()
    proc = cbtest.run(cb.cmd("drives", "--json"), env=daemon.bus.env())
    assert "stdio:%s" % drive in [d["device"] for d in json.loads(proc.stdout)]
