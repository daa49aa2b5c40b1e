# SPDX-License-Identifier: GPL-3.0-or-later
"""A burn waits for a suitable disc (cryptburnd-scripted, scripted_fixtures):
with none in the drive, a written write-once one, one too small or a used
rewritable one, the job is in state waiting-for-media, its Message says
what is wrong and what to insert, the disc in the drive is never touched,
and a suitable disc put in lets the job go on by itself. media-timeout
ends the wait, Cancel too; the stdio test drives of the plain daemon
never wait; the cryptburn command shows the wait."""

import json
import os
import subprocess
import time

import cbtest
import pytest
from daemon_fixtures import ERROR, FAST_KDF, JOB_IFACE
from dbus_fixtures import TIMEOUT, _gio
from scripted_fixtures import Lines
from scripted_drive import (
    FULL_CD_R,
    FULL_CD_RW,
    FULL_DVD_PLUS_R,
    TINY_BYTES,
    TINY_CD_R,
    TINY_DVD_PLUS_R,
    TOO_SMALL_DVD_PLUS_R,
    USED_DVD_PLUS_RW,
)
from scripted_jobs import (  # noqa: F401 (fixtures)
    CLI_KDF, NOTICE_S, burn_spec, finish, passfile, start, states, touching, tree)


def format_size(n):
    """g_format_size, as the daemon's messages write sizes."""
    _, GLib = _gio()
    return GLib.format_size(n)


def waiting(daemon, job, timeout=NOTICE_S):
    """The job's properties once it waits for a disc with a message."""
    return daemon.wait_job_props(job, timeout=timeout, State="waiting-for-media",
                                 Message=lambda m: bool(m))


def assert_unlocks(image, passfile):
    dump = cbtest.run(["cryptsetup", "luksDump", str(image)])
    assert dump.returncode == 0 and b"LUKS header information" in dump.stdout, \
        cbtest.describe(dump)
    assert cbtest.unlocks(image, passfile) == 0


def assert_released(daemon, name):
    props = daemon.wait_drive(name, Busy=False)
    assert props["Job"] == "/", props


def test_waits_for_a_disc_then_burns_it(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile))
    props = waiting(daemon, job)
    message = props["Message"]
    assert message.startswith("There is no disc in %s." % drive.device), message
    assert "Insert a blank" in message and "of at least" in message, message
    assert (props["Copy"], props["Copies"]) == (1, 1)
    # the image's size is known before the disc: the message asks for it
    assert props["BytesTotal"] > 0
    assert format_size(props["BytesTotal"]) in message, (message, props["BytesTotal"])
    # the drive is the job's while it waits: another burn is refused
    drive_props = daemon.props("drive0")
    assert drive_props["Busy"] is True and drive_props["Job"] == job, drive_props
    second, _ = daemon.submit("BurnFiles", dict(burn_spec(daemon, "drive0", tree, passfile),
                                                wait=False))
    assert second.get("error") == ERROR + "Busy", second
    assert touching(drive) == []

    drive.insert(TINY_DVD_PLUS_R)
    done = finish(proc)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    history = done["history"]
    assert "waiting-for-media" in states(history), history
    assert states(history)[-1] == "succeeded", history
    image = drive.disc_image()
    assert image is not None
    assert_unlocks(image, passfile)
    assert touching(drive) == ["write %d" % image.stat().st_size], drive.events()
    props = daemon.job_props(job)
    assert props["Message"] == "" and props["State"] == "succeeded", props
    assert drive.tray()["status"] == "full"
    assert_released(daemon, "drive0")


@pytest.mark.parametrize("preset", [FULL_DVD_PLUS_R, FULL_CD_R], ids=["dvd_plus_r", "cd_r"])
def test_a_written_write_once_disc_is_never_touched(scripted_daemon, passfile, tree, tmp_path,
                                                    preset):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    old = tmp_path / "old.img"
    old.write_bytes(os.urandom(256 * 1024))
    drive.insert(preset, image=old)
    daemon.wait_drive("drive1", MediaStatus="full")
    proc, job = start(daemon, burn_spec(daemon, "drive1", tree, passfile))
    message = waiting(daemon, job)["Message"]
    # (the disc's name: test_messages_name_the_media)
    assert message.startswith("The ") and (" in %s has been written" % drive.device) in message, \
        message
    assert "Insert a blank" in message, message
    # looked at, not written
    assert touching(drive) == [], drive.events()
    assert drive.disc_image().read_bytes() == old.read_bytes()
    assert drive.tray()["status"] == "full"

    drive.remove()
    props = daemon.wait_job_props(job, timeout=NOTICE_S,
                                  Message=lambda m: m.startswith("There is no disc in"))
    assert props["State"] == "waiting-for-media"
    drive.insert(TINY_CD_R if preset is FULL_CD_R else TINY_DVD_PLUS_R)
    done = finish(proc)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    assert len(touching(drive)) == 1, drive.events()
    assert_unlocks(drive.disc_image(), passfile)


def test_too_small_a_disc_is_never_touched(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TOO_SMALL_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile))
    props = waiting(daemon, job)
    message = props["Message"]
    # both sizes: what the disc holds and what the image needs
    assert " in %s holds %s;" % (drive.device, format_size(1024 * 1024)) in message, message
    assert "needs %s" % format_size(props["BytesTotal"]) in message, (message, props)
    assert touching(drive) == []
    assert drive.tray()["status"] == "blank" and drive.disc_image() is None

    # a big enough disc in its place
    drive.insert(TINY_DVD_PLUS_R)
    done = finish(proc)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    assert_unlocks(drive.disc_image(), passfile)
    assert daemon.job_props(job)["Message"] == ""


@pytest.mark.parametrize("preset", [USED_DVD_PLUS_RW, FULL_CD_RW], ids=["dvd_plus_rw", "cd_rw"])
def test_a_used_rewritable_disc_is_kept_without_blank(scripted_daemon, passfile, tree,
                                                      tmp_path, preset):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    old = tmp_path / "old.img"
    old.write_bytes(os.urandom(256 * 1024))
    drive.insert(preset, image=old)
    daemon.wait_drive("drive0", MediaStatus="full", MediaErasable=True)
    t0 = time.monotonic()
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile,
                                        **{"media-timeout": ["u", 2]}))
    message = waiting(daemon, job)["Message"]
    assert message.startswith("The ") and (" in %s holds data" % drive.device) in message, \
        message
    assert "--blank" in message, message
    done = finish(proc)
    elapsed = time.monotonic() - t0
    success, error, text = done["completed"]
    assert (success, error) == (False, ERROR + "UnsupportedMedia"), done
    assert "no suitable disc was inserted within 2 seconds" in text, text
    assert "holds data" in text, text
    assert 1.5 <= elapsed < 2 + NOTICE_S, elapsed
    # untouched: neither blanked nor written
    assert touching(drive) == [], drive.events()
    assert drive.disc_image().read_bytes() == old.read_bytes()
    assert drive.tray()["status"] == "full"
    assert_released(daemon, "drive0")


@pytest.mark.parametrize("media,name", [
    ("cd_r", "CD-R"), ("cd_rw", "CD-RW"), ("dvd_r", "DVD-R"), ("dvd_rw", "DVD-RW"),
    ("dvd_plus_r", "DVD+R"), ("dvd_plus_rw", "DVD+RW"), ("dvd_plus_r_dl", "DVD+R DL"),
    ("dvd_ram", "DVD-RAM"), ("bd_r", "BD-R"), ("bd_re", "BD-RE"),
])
def test_messages_name_the_media(scripted_daemon, passfile, tree, media, name):
    """A written disc of each kind, as the message names it: "The CD-R in
    /dev/sr0 has been written already." (org.cryptburn.CryptBurn1.xml)."""
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(media, status="full", capacity=TINY_BYTES, used=TINY_BYTES // 2)
    daemon.wait_drive("drive1", Media=media, MediaStatus="full")
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive1", tree, passfile,
                                                   **{"media-timeout": ["u", 0]}))
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "UnsupportedMedia"), done
    assert message.startswith("The %s in %s " % (name, drive.device)), message
    assert touching(drive) == []


def test_media_timeout_without_a_disc(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    t0 = time.monotonic()
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive1", tree, passfile,
                                                     **{"media-timeout": ["u", 1]}))
    elapsed = time.monotonic() - t0
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "NoMedia"), done
    assert "no suitable disc was inserted within 1 second" in message, message
    assert "There is no disc in %s" % daemon.drives["drive1"].device in message, message
    assert 0.9 <= elapsed < 10, elapsed
    assert "waiting-for-media" in states(done["history"])
    props = daemon.job_props(job["job"])
    assert (props["State"], props["ErrorName"]) == ("failed", ERROR + "NoMedia"), props
    assert props["Message"] == "", props
    assert_released(daemon, "drive1")


@pytest.mark.parametrize("preset,expected", [
    (None, "NoMedia"),
    (TOO_SMALL_DVD_PLUS_R, "MediaTooSmall"),
    (FULL_DVD_PLUS_R, "UnsupportedMedia"),
    (USED_DVD_PLUS_RW, "UnsupportedMedia"),
], ids=["empty", "too-small", "written", "used-rewritable"])
def test_media_timeout_zero_fails_at_once(scripted_daemon, passfile, tree, preset, expected):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    if preset is not None:
        drive.insert(preset)
        daemon.wait_drive("drive0", MediaPresent=True)
    t0 = time.monotonic()
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     **{"media-timeout": ["u", 0]}))
    elapsed = time.monotonic() - t0
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + expected), done
    assert "no suitable disc was inserted" not in message, message
    assert "waiting-for-media" not in states(done["history"]), done["history"]
    assert elapsed < 5, elapsed
    assert touching(drive) == [], drive.events()
    if expected == "MediaTooSmall":
        assert format_size(1024 * 1024) in message, message
    assert_released(daemon, "drive0")


def test_cancel_while_waiting_for_media(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(FULL_DVD_PLUS_R)
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile))
    waiting(daemon, job)
    assert daemon.props("drive0")["Busy"] is True
    reply = daemon.call(job, JOB_IFACE, "Cancel", "(@a{sv} {},)")
    assert "reply" in reply, reply
    done = finish(proc, timeout=NOTICE_S)
    assert done["completed"][:2] == [False, ERROR + "Cancelled"], done
    props = daemon.job_props(job)
    assert (props["State"], props["ErrorName"]) == ("cancelled", ERROR + "Cancelled"), props
    assert props["Message"] == ""
    assert_released(daemon, "drive0")
    assert touching(drive) == [] and drive.tray()["status"] == "full"
    # the drive takes the next job
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                   verify=["b", False]))
    assert done["completed"] == [True, "", ""], done


def test_a_stdio_test_drive_never_waits(cryptburnd, passfile, tmp_path):
    """The plain daemon's "small" drive (2 MB): too big a burn fails at
    once though media-timeout is left at its 30 minutes."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    t0 = time.monotonic()
    _, done = cryptburnd.submit("BurnFiles", {
        "drive": cryptburnd.drive_paths["small"], "sources": [str(tree)],
        "options": dict(FAST_KDF), "fds": {"passphrase-fd": str(passfile)}, "history": True})
    assert done["completed"][:2] == [False, ERROR + "MediaTooSmall"], done
    assert time.monotonic() - t0 < 10
    assert "waiting-for-media" not in states(done["history"]), done["history"]
    assert "no suitable disc" not in done["completed"][2]


# --- the cryptburn command ---------------------------------------------------


def spawn_burn(cb, daemon, drive, tree, passfile, *extra):
    return subprocess.Popen(
        cb.cmd("burn", "--drive", drive.device, "--passphrase-file", passfile, *CLI_KDF,
               "--no-verify", *extra, str(tree)),
        env=daemon.bus.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)


def test_cli_says_what_it_waits_for(scripted_daemon, cb, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    proc = spawn_burn(cb, daemon, drive, tree, cb.passfile)
    try:
        err = Lines(proc.stderr)
        out = Lines(proc.stdout)
        line = err.wait_for(lambda x: x.startswith("cryptburn: There is no disc in"))
        assert drive.device in line and "Insert a blank" in line, line
        # it keeps waiting
        time.sleep(0.5)
        assert proc.poll() is None
        # another disc that will not do: said too
        drive.insert(FULL_DVD_PLUS_R)
        line = err.wait_for(lambda x: "has been written" in x)
        assert line.startswith("cryptburn: The ") and drive.device in line, line
        assert proc.poll() is None and touching(drive) == []
        drive.insert(TINY_DVD_PLUS_R)
        assert proc.wait(timeout=TIMEOUT) == 0, (err.rest(), out.rest())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert_unlocks(drive.disc_image(), cb.passfile)


def test_cli_json_reports_the_wait(scripted_daemon, cb, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    proc = spawn_burn(cb, daemon, drive, tree, cb.passfile, "--json")
    try:
        err = Lines(proc.stderr)
        out = Lines(proc.stdout)
        line = out.wait_for(lambda x: '"waiting-for-media"' in x)
        event = json.loads(line)
        assert event["event"] == "progress" and event["state"] == "waiting-for-media", event
        assert event["message"].startswith("There is no disc in %s" % drive.device), event
        assert (event["copy"], event["copies"]) == (1, 1), event
        drive.insert(TINY_DVD_PLUS_R)
        assert proc.wait(timeout=TIMEOUT) == 0, (err.rest(), out.rest())
        lines = out.rest()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # JSON only on stdout, and the message is not also printed on stderr
    events = [json.loads(x) for x in lines]
    assert events[-1]["success"] is True, events
    assert not any(x.startswith("cryptburn: There is no disc") for x in err.seen), err.seen
    assert_unlocks(drive.disc_image(), cb.passfile)


def test_cli_media_timeout(scripted_daemon, cb, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    t0 = time.monotonic()
    proc = cbtest.run(cb.cmd("burn", "--drive", drive.device, "--passphrase-file",
                             cb.passfile, *CLI_KDF, "--media-timeout", "1", str(tree)),
                      env=daemon.bus.env(), timeout=NOTICE_S * 2)
    # no disc in the drive: exit status 10
    assert proc.returncode == 10, cbtest.describe(proc)
    assert time.monotonic() - t0 < NOTICE_S
    assert b"no suitable disc was inserted within 1 second" in proc.stderr, \
        cbtest.describe(proc)
    assert touching(drive) == []


@pytest.mark.parametrize("value", [["u", 86401], ["i", 5], ["s", "60"]],
                         ids=["too-long", "int32", "string"])
def test_media_timeout_values(scripted_daemon, passfile, tree, value):
    job, done = scripted_daemon.submit("BurnFiles", burn_spec(
        scripted_daemon, "drive0", tree, passfile, **{"media-timeout": value}))
    assert job.get("error") == ERROR + "InvalidOption", job
    assert done is None


def test_the_message_asks_for_what_the_drive_writes(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.configure(vendor="ACME", model="DVD-only", kinds="dvd")
    # a disc the drive calls unsuitable first, then none
    drive.insert("dvd_plus_r", status="unsuitable", capacity=TINY_BYTES)
    daemon.wait_drive("drive1", MediaStatus="unsuitable")
    proc, job = start(daemon, burn_spec(daemon, "drive1", tree, passfile))
    message = waiting(daemon, job)["Message"]
    assert "cannot be written by this drive" in message, message
    assert "Insert a blank DVD of at least" in message, message
    drive.remove()
    message = daemon.wait_job_props(
        job, timeout=NOTICE_S, Message=lambda m: m.startswith("There is no disc"))["Message"]
    assert "Insert a blank DVD of at least" in message, message
    assert touching(drive) == []
    drive.insert(TINY_DVD_PLUS_R)
    assert finish(proc)["completed"] == [True, "", ""]
