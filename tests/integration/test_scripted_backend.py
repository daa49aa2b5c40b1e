# SPDX-License-Identifier: GPL-3.0-or-later
"""The scripted drive backend (tests/backend/) through the daemon that runs
on it, cryptburnd-scripted: the Drive properties follow a disc put in and
taken out while the daemon runs, an eject moves the disc out and the next
queued one in, a rewritable disc is blanked and a write-once one is not,
and a burn writes disc.img (cryptsetup reads it) and reads it back.
These are the scripted backend's own behaviours, which the media tests of
the daemon (waiting for a disc, copies, blanking before a burn) build on.
"""

import hashlib
import os

import cbtest
from daemon_fixtures import ERROR, FAST_KDF, JOB_IFACE
from dbus_fixtures import TIMEOUT
from scripted_fixtures import running_scripted_daemon
from scripted_drive import (
    APPENDABLE_DVD_PLUS_R,
    FULL_CD_R,
    FULL_CD_RW,
    TINY_BYTES,
    TINY_CD_R,
    TINY_CD_RW,
    TINY_DVD_PLUS_R,
)

EMPTY = dict(MediaPresent=False, Media="", MediaStatus="none", Capacity=0, FreeBytes=0,
             WriteSpeeds=[])


def make_tree(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "data.bin").write_bytes(os.urandom(600 * 1024))
    return root


def burn_spec(daemon, drive, tree, passfile, **options):
    return {"drive": daemon.drive_paths[drive], "sources": [str(tree)],
            "options": dict(FAST_KDF, **options), "fds": {"passphrase-fd": str(passfile)}}


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_drives_start_empty(scripted_daemon):
    for name, drive in scripted_daemon.drives.items():
        props = scripted_daemon.wait_drive(name, **EMPTY)
        assert props["Device"] == drive.device
        assert props["Busy"] is False


def test_properties_follow_the_tray(scripted_daemon):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TINY_DVD_PLUS_R, speeds=[11080, 5540])
    daemon.wait_drive("drive0", MediaPresent=True, Media="dvd_plus_r", MediaStatus="blank",
                      Capacity=TINY_BYTES, FreeBytes=TINY_BYTES, WriteSpeeds=[11080, 5540])
    # another disc in its place, without the tray being seen empty between
    drive.insert(APPENDABLE_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="appendable",
                      FreeBytes=TINY_BYTES - TINY_BYTES // 4)
    drive.insert(FULL_CD_R)
    props = daemon.wait_drive("drive0", Media="cd_r", MediaStatus="full", FreeBytes=0,
                              Capacity=TINY_BYTES)
    # the media's own speeds when tray.ini names none
    assert props["WriteSpeeds"] and props["WriteSpeeds"] == sorted(props["WriteSpeeds"],
                                                                   reverse=True)
    drive.remove()
    daemon.wait_drive("drive0", **EMPTY)
    # the other drive saw none of it
    assert daemon.props("drive1")["MediaPresent"] is False
    assert daemon.alive()


def test_drive_ini_names_the_drive(scripted_daemon):
    drive = scripted_daemon.drives["drive1"]
    drive.configure(vendor="ACME", model="Scripted BD-W", kinds="cd;dvd;bd")
    drive.insert(TINY_CD_RW)
    props = scripted_daemon.wait_drive("drive1", Media="cd_rw")
    assert (props["Vendor"], props["Model"]) == ("ACME", "Scripted BD-W")


def test_eject_moves_the_disc_out_and_the_next_in(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    old = tmp_path / "old.img"
    old.write_bytes(b"x" * 4096)
    drive.insert(FULL_CD_R, image=old)
    drive.queue(TINY_DVD_PLUS_R, TINY_CD_RW)
    daemon.wait_drive("drive0", Media="cd_r", MediaStatus="full")

    assert "reply" in daemon.eject("drive0")
    [(first, image)] = drive.out()
    assert first["media"] == "cd_r" and first["status"] == "full"
    assert image is not None and image.read_bytes() == old.read_bytes()
    # the next disc is fresh: no bytes of the last one
    assert drive.tray()["media"] == "dvd_plus_r" and drive.disc_image() is None
    assert len(drive.queued()) == 1
    assert "close eject" in drive.events()
    daemon.wait_drive("drive0", Media="dvd_plus_r", MediaStatus="blank")

    assert "reply" in daemon.eject("drive0")
    assert [(keys["media"], img) for keys, img in drive.out()] == [
        ("cd_r", image), ("dvd_plus_r", None)]
    assert drive.tray()["media"] == "cd_rw" and drive.queued() == []
    daemon.wait_drive("drive0", Media="cd_rw")

    # the last one out: the tray stays empty, and so does an empty tray ejected
    assert "reply" in daemon.eject("drive0")
    assert drive.tray() is None and len(drive.out()) == 3
    daemon.wait_drive("drive0", **EMPTY)
    assert "reply" in daemon.eject("drive0")
    assert len(drive.out()) == 3
    assert drive.events().count("close eject") == 4
    assert daemon.props("drive0")["Busy"] is False


def test_blank_a_full_cd_rw(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    old = tmp_path / "old.img"
    old.write_bytes(os.urandom(64 * 1024))
    drive.insert(FULL_CD_RW, image=old, blank_ms=300)
    daemon.wait_drive("drive0", Media="cd_rw", MediaStatus="full")
    job, completed = daemon.blank("drive0")
    assert completed == [True, "", ""], completed
    assert any(e.startswith("blank ") for e in drive.operations()), drive.events()
    tray = drive.tray()
    assert tray["status"] == "blank" and tray["used"] == "0"
    assert drive.disc_image() is None
    daemon.wait_drive("drive0", MediaStatus="blank", FreeBytes=TINY_BYTES)
    # it took blank-ms, reported through the capacity
    assert daemon.get(job, JOB_IFACE, "BytesDone") == "(<uint64 %d>,)" % TINY_BYTES


def test_blank_refuses_a_cd_r(scripted_daemon):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(FULL_CD_R)
    daemon.wait_drive("drive0", Media="cd_r")
    _, completed = daemon.blank("drive0")
    assert completed[:2] == [False, ERROR + "UnsupportedMedia"], completed
    assert "not rewritable" in completed[2]
    assert not any(e.startswith("blank") for e in drive.events())
    assert drive.tray()["status"] == "full"
    assert daemon.alive()


def test_blank_without_a_disc(scripted_daemon):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    _, completed = daemon.blank("drive1")
    assert completed[:2] == [False, ERROR + "NoMedia"], completed
    assert not any(e.startswith("blank") for e in drive.events())


def test_burn_files_onto_a_blank_dvd_plus_r(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
    tree = make_tree(tmp_path / "tree")
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     verify=["b", False]))
    assert done["completed"] == [True, "", ""], done
    image = drive.disc_image()
    assert image is not None
    dump = cbtest.run(["cryptsetup", "luksDump", str(image)])
    assert dump.returncode == 0 and b"LUKS header information" in dump.stdout, \
        cbtest.describe(dump)
    assert cbtest.unlocks(image, passfile) == 0
    size = image.stat().st_size
    assert "write %d" % size in drive.operations()
    assert "read-start" not in drive.events()
    tray = drive.tray()
    assert tray["status"] == "full" and int(tray["used"]) == size
    daemon.wait_drive("drive0", MediaStatus="full", FreeBytes=0)
    assert daemon.props("drive1")["MediaPresent"] is False


def test_burn_files_is_read_back(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
    tree = make_tree(tmp_path / "tree")
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive1", MediaStatus="blank")
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive1", tree, passfile,
                                                     verify=["b", True]))
    assert done["completed"] == [True, "", ""], done
    image = drive.disc_image()
    ops = drive.operations()
    writes = [i for i, e in enumerate(ops) if e.startswith("write ")]
    assert len(writes) == 1 and "read-start" in ops[writes[0]:], drive.events()
    assert sha256_of(image) in daemon.get(job["job"], JOB_IFACE, "Checksum")
    assert cbtest.unlocks(image, passfile) == 0


def test_simulated_burn_writes_nothing(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
    tree = make_tree(tmp_path / "tree")
    drive.insert(TINY_CD_R)
    daemon.wait_drive("drive0", Media="cd_r")
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                   simulate=["b", True]))
    assert done["completed"] == [True, "", ""], done
    assert any(e.startswith("write simulate ") for e in drive.events()), drive.events()
    assert drive.disc_image() is None and drive.tray()["status"] == "blank"


def test_a_bad_disc_fails_the_write(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
    tree = make_tree(tmp_path / "tree")
    fail_at = 100 * 2048
    drive.insert(TINY_DVD_PLUS_R, write_fail_at=fail_at)
    daemon.wait_drive("drive0", MediaStatus="blank")
    _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile))
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "Failed"), done
    assert "write error at block 100" in message
    # what it wrote up to the bad spot stays, and the disc is spoilt
    assert drive.disc_image().stat().st_size == fail_at
    assert drive.tray()["status"] == "unsuitable"
    daemon.wait_drive("drive0", MediaStatus="unsuitable", Busy=False)


def test_two_drives_write_at_once(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
    tree = make_tree(tmp_path / "tree")
    for name in ("drive0", "drive1"):
        # about a second each, so that they overlap
        daemon.drives[name].insert(TINY_DVD_PLUS_R, write_rate=2 * 1024 * 1024)
        daemon.wait_drive(name, MediaStatus="blank")
    running = [daemon.submit_async("BurnFiles", burn_spec(daemon, name, tree, passfile,
                                                          verify=["b", False]))
               for name in ("drive0", "drive1")]
    for proc, first in running:
        assert "job" in first, first
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, err
        assert '"completed": [true, "", ""]' in out.decode(), out
    for drive in daemon.drives.values():
        assert cbtest.unlocks(drive.disc_image(), passfile) == 0


def test_cancel_stops_the_write(scripted_daemon, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
    tree = make_tree(tmp_path / "tree")
    # a minute at this rate: only a cancel ends it in time
    drive.insert(TINY_DVD_PLUS_R, write_rate=64 * 1024)
    daemon.wait_drive("drive0", MediaStatus="blank")
    spec = dict(burn_spec(daemon, "drive0", tree, passfile), cancel_in_phase="writing")
    _, done = daemon.submit("BurnFiles", spec)
    assert done["completed"][:2] == [False, ERROR + "Cancelled"], done
    # a write-once disc stopped half-way is spoilt, unless nothing reached it
    assert drive.tray()["status"] in ("blank", "unsuitable")
    daemon.wait_drive("drive0", Busy=False)


def test_corrupt_hook_spoils_the_scripted_disc(system_bus, polkitd_mock, tmp_path):
    offset = 100 * 2048 + 17
    with running_scripted_daemon(system_bus, "--test-corrupt-after-write",
                                 str(offset)) as daemon:
        drive = daemon.drives["drive0"]
        passfile = cbtest.write_passphrase_file(tmp_path / "passphrase")
        tree = make_tree(tmp_path / "tree")
        drive.insert(TINY_DVD_PLUS_R)
        daemon.wait_drive("drive0", MediaStatus="blank")
        _, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile))
        assert done["completed"][:2] == [False, ERROR + "ChecksumMismatch"], done
        # block 100, in the 64 KiB window of blocks 96 to 127
        assert "blocks 96 to 127" in done["completed"][2]
        ops = drive.operations()
        assert ops.index("corrupt %d" % offset) < ops.index("read-start"), ops
