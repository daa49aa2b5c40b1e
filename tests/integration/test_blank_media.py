# SPDX-License-Identifier: GPL-3.0-or-later
"""Rewritable discs (cryptburnd-scripted, scripted_fixtures): a burn with
the blank option blanks a used one first (phase blanking, polkit action
org.cryptburn.blank as well), and never a blank or write-once one; an
unformatted BD-RE is formatted before the write without being asked;
Drive.Blank's modes fast, full and format; Drive.MediaErasable; and the
cryptburn command's --blank and blank --full / --format-disc."""

import os
import time

import cbtest
import pytest
from daemon_fixtures import ERROR
from scripted_drive import (
    FULL_CD_R,
    FULL_CD_RW,
    FULL_DVD_PLUS_R,
    TINY_BD_RE_UNFORMATTED,
    TINY_BYTES,
    TINY_DVD_PLUS_R,
    TINY_DVD_PLUS_RW,
    USED_DVD_PLUS_RW,
    disc,
)
from scripted_jobs import (  # noqa: F401 (fixtures)
    CLI_KDF, burn_spec, passfile, phases, states, touching, tree)

USED_DVD_RW = disc("dvd_rw", status="full", capacity=TINY_BYTES, used=TINY_BYTES // 2)


@pytest.fixture
def old(tmp_path):
    """What a used disc holds."""
    path = tmp_path / "old.img"
    path.write_bytes(os.urandom(256 * 1024))
    return path


# --- the blank option of a burn ----------------------------------------------


@pytest.mark.parametrize("preset", [USED_DVD_PLUS_RW, FULL_CD_RW, USED_DVD_RW],
                         ids=["dvd_plus_rw", "cd_rw", "dvd_rw"])
def test_blank_option_blanks_a_used_disc_first(scripted_daemon, passfile, tree, old, preset):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    # long enough for the phase to be announced
    drive.insert(preset, image=old, blank_ms=600)
    daemon.wait_drive("drive0", MediaStatus="full", MediaErasable=True)
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     blank=["b", True]))
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    history = done["history"]
    seen = phases(history)
    # a short write may fall between two property ticks: the order of
    # the drive's operations is checked below
    assert "blanking" in seen and "verifying" in seen, history
    assert seen.index("blanking") < seen.index("verifying"), seen
    # a disc that will do once blanked is not waited for
    assert "waiting-for-media" not in states(history), history
    image = drive.disc_image()
    assert touching(drive) == ["blank fast", "write %d" % image.stat().st_size], drive.events()
    assert cbtest.unlocks(image, passfile) == 0
    assert image.read_bytes()[:len(old.read_bytes())] != old.read_bytes()
    assert daemon.job_props(job["job"])["TagsVerified"] == 3


@pytest.mark.parametrize("preset", [TINY_DVD_PLUS_RW, TINY_DVD_PLUS_R],
                         ids=["blank_dvd_plus_rw", "blank_dvd_plus_r"])
def test_blank_option_leaves_a_blank_disc_alone(scripted_daemon, passfile, tree, preset):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(preset)
    daemon.wait_drive("drive1", MediaStatus="blank")
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive1", tree, passfile,
                                                   blank=["b", True], verify=["b", False]))
    assert done["completed"] == [True, "", ""], done
    assert "blanking" not in phases(done["history"])
    assert [e.split()[0] for e in touching(drive)] == ["write"], drive.events()


@pytest.mark.parametrize("preset", [FULL_DVD_PLUS_R, FULL_CD_R], ids=["dvd_plus_r", "cd_r"])
def test_blank_option_cannot_help_a_written_write_once_disc(scripted_daemon, passfile, tree,
                                                            old, preset):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(preset, image=old)
    daemon.wait_drive("drive0", MediaStatus="full", MediaErasable=False)
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                   blank=["b", True],
                                                   **{"media-timeout": ["u", 0]}))
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "UnsupportedMedia"), done
    assert "has been written" in message, message
    assert touching(drive) == [], drive.events()
    assert drive.disc_image().read_bytes() == old.read_bytes()


def test_blank_option_needs_the_blank_action(scripted_daemon, passfile, tree, old):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(USED_DVD_PLUS_RW, image=old)
    daemon.wait_drive("drive0", MediaStatus="full")
    daemon.allow(["org.cryptburn.burn"])
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     blank=["b", True]))
    assert job.get("error") == ERROR + "NotAuthorized", job
    assert "org.cryptburn.blank" in job["message"], job
    assert done is None
    assert touching(drive) == [] and drive.disc_image().read_bytes() == old.read_bytes()
    assert daemon.props("drive0")["Busy"] is False
    # blank=false is only a burn: accepted, and the used disc is kept
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     blank=["b", False],
                                                     **{"media-timeout": ["u", 0]}))
    assert "job" in job, job
    assert done["completed"][:2] == [False, ERROR + "UnsupportedMedia"], done
    assert "--blank" in done["completed"][2]
    assert touching(drive) == [] and drive.disc_image().read_bytes() == old.read_bytes()
    # and a blank disc is burned with burn alone
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                   verify=["b", False]))
    assert done["completed"] == [True, "", ""], done


def test_unformatted_bd_re_is_formatted_without_asking(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(TINY_BD_RE_UNFORMATTED, blank_ms=600)
    daemon.wait_drive("drive1", Media="bd_re", MediaErasable=True)
    # it holds nothing: org.cryptburn.burn is enough
    daemon.allow(["org.cryptburn.burn"])
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive1", tree, passfile))
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    image = drive.disc_image()
    assert touching(drive) == ["blank format", "write %d" % image.stat().st_size], \
        drive.events()
    assert "blanking" in phases(done["history"]), done["history"]
    assert drive.tray()["unformatted"] == "false"
    assert cbtest.unlocks(image, passfile) == 0
    assert daemon.job_props(job["job"])["TagsVerified"] == 3


# --- Drive.Blank --------------------------------------------------------------


@pytest.mark.parametrize("preset,mode,event", [
    (FULL_CD_RW, None, "blank fast"),
    (FULL_CD_RW, "fast", "blank fast"),
    (FULL_CD_RW, "full", "blank full"),
    (USED_DVD_PLUS_RW, "full", "blank full"),
    (USED_DVD_PLUS_RW, "format", "blank format"),
    (USED_DVD_RW, "format", "blank format"),
    (TINY_BD_RE_UNFORMATTED, "format", "blank format"),
], ids=["cd_rw-default", "cd_rw-fast", "cd_rw-full", "dvd_plus_rw-full", "dvd_plus_rw-format",
        "dvd_rw-format", "bd_re-format"])
def test_drive_blank_modes(scripted_daemon, old, preset, mode, event):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(preset, image=old)
    daemon.wait_drive("drive0", MediaPresent=True)
    options = {"mode": ["s", mode]} if mode is not None else {}
    job, completed = daemon.blank("drive0", options)
    assert completed == [True, "", ""], (completed, daemon.log())
    assert touching(drive) == [event], drive.events()
    tray = drive.tray()
    assert tray["status"] == "blank" and drive.disc_image() is None, tray
    if mode == "format":
        assert tray["unformatted"] == "false" and tray["overwritable"] == "true", tray
    daemon.wait_drive("drive0", MediaStatus="blank", Busy=False)


def test_drive_blank_format_refuses_a_cd_rw(scripted_daemon, old):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(FULL_CD_RW, image=old)
    daemon.wait_drive("drive0", Media="cd_rw")
    _, completed = daemon.blank("drive0", {"mode": ["s", "format"]})
    assert completed[:2] == [False, ERROR + "UnsupportedMedia"], completed
    assert touching(drive) == [] and drive.disc_image().read_bytes() == old.read_bytes()
    daemon.wait_drive("drive0", MediaStatus="full", Busy=False)


@pytest.mark.parametrize("options", [{"mode": ["s", "quick"]}, {"mode": ["u", 1]},
                                     {"blank": ["b", True]}],
                         ids=["unknown-mode", "mode-type", "burn-option"])
def test_drive_blank_option_errors(scripted_daemon, old, options):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(FULL_CD_RW, image=old)
    daemon.wait_drive("drive1", Media="cd_rw")
    job, reply = daemon.blank("drive1", options)
    assert job is None and reply["error"] == ERROR + "InvalidOption", reply
    assert touching(drive) == []
    assert daemon.props("drive1")["Busy"] is False


def test_drive_blank_and_eject(scripted_daemon, old):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(FULL_CD_RW, image=old)
    daemon.wait_drive("drive1", Media="cd_rw")
    _, completed = daemon.blank("drive1", {"eject": ["b", True]})
    assert completed == [True, "", ""], completed
    [(keys, image)] = drive.out()
    assert keys["status"] == "blank" and image is None, keys
    assert drive.tray() is None
    daemon.wait_drive("drive1", MediaPresent=False)


@pytest.mark.parametrize("media,erasable", [
    ("cd_r", False), ("cd_rw", True), ("dvd_r", False), ("dvd_rw", True),
    ("dvd_plus_r", False), ("dvd_plus_rw", True), ("dvd_ram", True), ("bd_r", False),
    ("bd_re", True),
])
def test_media_erasable(scripted_daemon, media, erasable):
    daemon = scripted_daemon
    daemon.drives["drive0"].insert(media, capacity=TINY_BYTES)
    daemon.wait_drive("drive0", Media=media, MediaErasable=erasable)
    daemon.drives["drive0"].remove()
    daemon.wait_drive("drive0", MediaPresent=False, MediaErasable=False)


# --- the cryptburn command ----------------------------------------------------


def test_cli_burn_blank(scripted_daemon, cb, tree, old):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(USED_DVD_PLUS_RW, image=old)
    daemon.wait_drive("drive0", MediaStatus="full")
    proc = cbtest.run(cb.cmd("burn", "--drive", drive.device, "--passphrase-file",
                             cb.passfile, *CLI_KDF, "--blank", str(tree)), env=daemon.bus.env())
    assert proc.returncode == 0, cbtest.describe(proc)
    image = drive.disc_image()
    assert touching(drive) == ["blank fast", "write %d" % image.stat().st_size]
    assert cbtest.unlocks(image, cb.passfile) == 0


@pytest.mark.parametrize("flag,preset,event", [
    ("--full", FULL_CD_RW, "blank full"),
    ("--format-disc", TINY_BD_RE_UNFORMATTED, "blank format"),
], ids=["full", "format-disc"])
def test_cli_blank_modes(scripted_daemon, cb, old, flag, preset, event):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(preset, image=old)
    daemon.wait_drive("drive1", MediaPresent=True)
    proc = cbtest.run(cb.cmd("blank", flag, "--drive", drive.device), env=daemon.bus.env())
    assert proc.returncode == 0, cbtest.describe(proc)
    assert touching(drive) == [event], drive.events()
    assert drive.tray()["status"] == "blank"


def test_cli_format_disc_refuses_a_cd_rw(scripted_daemon, cb, old):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(FULL_CD_RW, image=old)
    daemon.wait_drive("drive1", Media="cd_rw")
    proc = cbtest.run(cb.cmd("blank", "--format-disc", "--drive", drive.device),
                      env=daemon.bus.env())
    assert proc.returncode == 10, cbtest.describe(proc)
    assert touching(drive) == []


def test_cancel_while_blanking_before_a_burn(scripted_daemon, passfile, tree, old):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    # a minute: only the cancel ends it in time
    drive.insert(USED_DVD_PLUS_RW, image=old, blank_ms=60000)
    daemon.wait_drive("drive1", MediaStatus="full")
    spec = dict(burn_spec(daemon, "drive1", tree, passfile, blank=["b", True]),
                cancel_in_phase="blanking")
    t0 = time.monotonic()
    _, done = daemon.submit("BurnFiles", spec)
    assert done["completed"][:2] == [False, ERROR + "Cancelled"], done
    assert time.monotonic() - t0 < 30
    assert touching(drive) == ["blank fast"], drive.events()
    daemon.wait_drive("drive1", Busy=False, Job="/")
