# SPDX-License-Identifier: GPL-3.0-or-later
"""copies=N (cryptburnd-scripted, scripted_fixtures): one job writes N
discs with the same encrypted image, the passphrase asked once; each disc
is verified and ejected, and the job waits for the next blank one. The
image is built again from the sources, which must not change meanwhile,
or written from the spool; BurnImage reads a regular file again, a pipe
only with spool."""

import hashlib
import json
import os
import subprocess

import cbtest
import pytest
from daemon_fixtures import ERROR, FAST_KDF
from dbus_fixtures import TIMEOUT
from scripted_fixtures import Lines
from scripted_drive import TINY_DVD_PLUS_R
from scripted_jobs import (  # noqa: F401 (fixtures)
    CLI_KDF, NOTICE_S, burn_spec, finish, passfile, start, tree)


def image_spec(daemon, drive, source, passfile, **options):
    return {"drive": daemon.drive_paths[drive],
            "options": dict(FAST_KDF, **options),
            "fds": {"image_stream": source, "passphrase-fd": str(passfile)}, "history": True}


def copies(n):
    return {"copies": ["u", n]}


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ops(drive, prefix):
    return [e for e in drive.operations() if e.startswith(prefix)]


def wait_for_next_disc(daemon, job, copy, of):
    return daemon.wait_job_props(
        job, timeout=NOTICE_S, State="waiting-for-media", Copy=copy,
        Message=lambda m: m.startswith("Copy %d of %d is done." % (copy - 1, of)))


def assert_identical(images, checksum):
    digests = {sha256_of(p) for p in images}
    assert digests == {checksum}, (digests, checksum)


def test_three_copies_from_a_stack_of_discs(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TINY_DVD_PLUS_R)
    drive.queue(TINY_DVD_PLUS_R, TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     eject=["b", True], **copies(3)))
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    props = daemon.job_props(job["job"])
    assert (props["Copies"], props["Copy"]) == (3, 3), props
    assert props["TagsVerified"] >= 3, props
    assert props["Message"] == ""
    # every disc went out (eject), each with the same bytes
    out = drive.out()
    assert [keys["status"] for keys, _ in out] == ["full"] * 3, out
    assert [img.name for _, img in out] == ["001.img", "002.img", "003.img"], out
    assert_identical([img for _, img in out], props["Checksum"])
    assert drive.tray() is None and drive.queued() == []
    # each written once and read back once, in that order
    operations = [e.split()[0] for e in drive.operations()
                  if e.startswith(("write", "read-start", "close eject"))]
    assert operations == ["write", "read-start", "close"] * 3, drive.events()
    size = out[0][1].stat().st_size
    assert ops(drive, "write") == ["write %d" % size] * 3
    assert cbtest.unlocks(out[2][1], passfile) == 0
    copies_seen = sorted({h["Copy"] for h in done["history"] if "Copy" in h})
    assert copies_seen[-1] == 3, done["history"]
    daemon.wait_drive("drive0", Busy=False, MediaPresent=False)


def test_the_agent_is_asked_once_for_all_copies(scripted_daemon, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(TINY_DVD_PLUS_R)
    drive.queue(TINY_DVD_PLUS_R, TINY_DVD_PLUS_R)
    daemon.wait_drive("drive1", MediaStatus="blank")
    spec = dict(burn_spec(daemon, "drive1", tree, None, verify=["b", False], **copies(3)),
                agent="good", passphrase=cbtest.PASSPHRASE)
    job, done = daemon.submit("BurnFiles", spec)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    # one question: the new passphrase and its confirmation, not one per disc
    calls = done["agent_calls"]
    assert [bool(c["hints"].get("confirm")) for c in calls] == [False, True], calls
    assert all(c["hints"].get("new") is True for c in calls), calls
    assert {c["job"] for c in calls} == {job["job"]}
    # without eject the last disc stays in the drive
    out = drive.out()
    assert len(out) == 2 and drive.tray()["status"] == "full", out
    images = [img for _, img in out] + [drive.disc_image()]
    assert_identical(images, daemon.job_props(job["job"])["Checksum"])
    assert len(ops(drive, "write")) == 3 and ops(drive, "read-start") == []
    keyfile = cbtest.write_passphrase_file(drive.dir.parent / "agent-passphrase")
    assert cbtest.unlocks(images[1], keyfile) == 0


def test_the_next_copy_waits_for_a_blank_disc(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile,
                                                     **copies(2)))
    props = wait_for_next_disc(daemon, job, 2, 2)
    assert "There is no disc in %s" % drive.device in props["Message"], props["Message"]
    assert "Insert a blank" in props["Message"]
    assert props["Copies"] == 2
    [(first, first_image)] = drive.out()
    assert first["status"] == "full" and first_image is not None
    assert len(ops(drive, "write")) == 1
    # the first disc put back will not do
    drive.insert(dict(first), image=first_image)
    props = daemon.wait_job_props(job, timeout=NOTICE_S,
                                  Message=lambda m: "has been written" in m)
    assert props["Message"].startswith("Copy 1 of 2 is done."), props["Message"]
    assert len(ops(drive, "write")) == 1

    drive.insert(TINY_DVD_PLUS_R)
    done = finish(proc)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    props = daemon.job_props(job)
    assert (props["Copy"], props["Message"]) == (2, ""), props
    assert_identical([first_image, drive.disc_image()], props["Checksum"])
    assert len(ops(drive, "write")) == 2 and len(ops(drive, "read-start")) == 2


def test_spool_writes_the_first_image_again(scripted_daemon, passfile, tree):
    """With spool the later copies come from the daemon's copy of the
    first disc's encrypted image: sources changed meanwhile do not
    matter, as they are not read again."""
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive1", MediaStatus="blank")
    proc, job = start(daemon, burn_spec(daemon, "drive1", tree, passfile,
                                                     spool=["b", True], **copies(2)))
    wait_for_next_disc(daemon, job, 2, 2)
    with open(tree / "data.bin", "ab") as f:
        f.write(os.urandom(300 * 1024))
    (tree / "new.txt").write_text("added after copy 1\n")
    drive.insert(TINY_DVD_PLUS_R)
    done = finish(proc)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    props = daemon.job_props(job)
    [(_, first_image)] = drive.out()
    assert_identical([first_image, drive.disc_image()], props["Checksum"])
    assert len(ops(drive, "write")) == 2 and len(ops(drive, "read-start")) == 2
    assert props["TagsVerified"] == 3


def test_sources_grown_between_copies_fail_before_the_write(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile,
                                                     **copies(2)))
    wait_for_next_disc(daemon, job, 2, 2)
    with open(tree / "data.bin", "ab") as f:
        f.write(os.urandom(300 * 1024))
    drive.insert(TINY_DVD_PLUS_R)
    done = finish(proc)
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "Source"), (done, daemon.log())
    assert "the sources changed" in message, message
    props = daemon.job_props(job)
    assert (props["State"], props["ErrorName"]) == ("failed", ERROR + "Source"), props
    # the image's size showed it: the second disc was not written
    assert len(ops(drive, "write")) == 1, drive.events()
    assert drive.tray()["status"] == "blank" and drive.disc_image() is None
    daemon.wait_drive("drive0", Busy=False)


def test_sources_changed_in_place_between_copies_fail(scripted_daemon, passfile, tree):
    """The same size and times, other bytes: only the image's SHA-256 shows
    it, once the second disc is written; that disc is not passed as a copy."""
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive1", MediaStatus="blank")
    data = tree / "data.bin"
    proc, job = start(daemon, burn_spec(daemon, "drive1", tree, passfile,
                                                     **copies(2)))
    wait_for_next_disc(daemon, job, 2, 2)
    st = data.stat()
    with open(data, "r+b") as f:
        f.seek(1000)
        f.write(os.urandom(4096))
    os.utime(data, ns=(st.st_atime_ns, st.st_mtime_ns))
    drive.insert(TINY_DVD_PLUS_R)
    done = finish(proc)
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "Source"), (done, daemon.log())
    assert "the sources changed" in message and "different image" in message, message
    props = daemon.job_props(job)
    assert props["State"] == "failed" and props["TagsVerified"] in (0, 3), props
    # the odd disc is neither verified nor ejected as a good copy
    assert len(ops(drive, "write")) == 2 and len(ops(drive, "read-start")) == 1, drive.events()
    [(_, first_image)] = drive.out()
    assert drive.disc_image() is not None
    assert sha256_of(drive.disc_image()) != sha256_of(first_image)
    daemon.wait_drive("drive1", Busy=False)


def test_burn_image_copies_from_a_regular_file(scripted_daemon, cb, passfile, tmp_path):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    image = tmp_path / "plain.img"
    image.write_bytes(os.urandom(512 * 1024))
    drive.insert(TINY_DVD_PLUS_R)
    drive.queue(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    job, done = daemon.submit("BurnImage", image_spec(daemon, "drive0", str(image), passfile,
                                                      **copies(2)))
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    props = daemon.job_props(job["job"])
    [(_, first_image)] = drive.out()
    assert_identical([first_image, drive.disc_image()], props["Checksum"])
    assert len(ops(drive, "write")) == 2 and len(ops(drive, "read-start")) == 2
    # not an ISO image: no MD5 tags to check
    assert props["TagsVerified"] == 0
    # what is inside is the plain image
    plain = cb.decrypt(first_image)
    assert plain.read_bytes()[:image.stat().st_size] == image.read_bytes()


def test_burn_image_copies_from_a_pipe_need_spool(scripted_daemon, passfile):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    payload = "x" * 32768
    spec = image_spec(daemon, "drive1", "pipe:" + payload, passfile,
                      **{"image-size": ["t", len(payload)]}, **copies(2))
    job, done = daemon.submit("BurnImage", spec)
    assert job.get("error") == ERROR + "InvalidOption", job
    assert "spool" in job["message"], job
    assert done is None
    assert daemon.props("drive1")["Busy"] is False

    # with spool: read once, written twice
    drive.insert(TINY_DVD_PLUS_R)
    drive.queue(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive1", MediaStatus="blank")
    spec = image_spec(daemon, "drive1", "pipe:" + payload, passfile, spool=["b", True],
                      **{"image-size": ["t", len(payload)]}, **copies(2))
    job, done = daemon.submit("BurnImage", spec)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    [(_, first_image)] = drive.out()
    assert_identical([first_image, drive.disc_image()],
                     daemon.job_props(job["job"])["Checksum"])
    assert cbtest.unlocks(first_image, passfile) == 0


@pytest.mark.parametrize("options", [
    {"spool": ["b", True]},
    dict(spool=["b", True], **copies(1)),
    copies(0),
    copies(100),
    {"copies": ["i", 2]},
], ids=["spool-alone", "spool-one-copy", "copies-0", "copies-100", "copies-type"])
def test_invalid_copies_options(scripted_daemon, passfile, tree, options):
    daemon = scripted_daemon
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive0", tree, passfile,
                                                     **options))
    assert job.get("error") == ERROR + "InvalidOption", job
    assert done is None
    assert daemon.props("drive0")["Busy"] is False


@pytest.mark.parametrize("options", [copies(2), {"spool": ["b", True]},
                                     {"media-timeout": ["u", 5]}, {"blank": ["b", True]}],
                         ids=["copies", "spool", "media-timeout", "blank"])
def test_copies_options_are_burn_options(scripted_daemon, passfile, tree, tmp_path, options):
    spec = {"sources": [str(tree)], "options": dict(FAST_KDF, **options),
            "fds": {"output": "write:" + str(tmp_path / "out.img"),
                    "passphrase-fd": str(passfile)}}
    job, done = scripted_daemon.submit("WriteImage", spec)
    assert job.get("error") == ERROR + "InvalidOption", job
    assert done is None


def test_cli_copies(scripted_daemon, cb, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    proc = subprocess.Popen(
        cb.cmd("burn", "--drive", drive.device, "--passphrase-file", cb.passfile, *CLI_KDF,
               "--copies", "2", "--spool", "--json", str(tree)),
        env=daemon.bus.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE)
    try:
        out = Lines(proc.stdout)
        err = Lines(proc.stderr)
        line = out.wait_for(lambda x: '"waiting-for-media"' in x, timeout=NOTICE_S)
        event = json.loads(line)
        assert event["message"].startswith("Copy 1 of 2 is done."), event
        assert (event["copy"], event["copies"]) == (2, 2), event
        assert len(drive.out()) == 1
        drive.insert(TINY_DVD_PLUS_R)
        assert proc.wait(timeout=TIMEOUT) == 0, (out.rest(), err.rest())
        lines = out.rest()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    events = [json.loads(x) for x in lines]
    progress = [e for e in events if e["event"] == "progress"]
    assert (progress[-1]["state"], progress[-1]["copy"]) == ("succeeded", 2), progress
    assert progress[-1]["tags_verified"] == 3, progress
    assert events[-1]["success"] is True, events
    [(_, first_image)] = drive.out()
    assert_identical([first_image, drive.disc_image()], events[-1]["checksum"])


def test_media_timeout_for_a_later_copy(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive1"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive1", MediaStatus="blank")
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "drive1", tree, passfile,
                                                     **{"media-timeout": ["u", 1]}, **copies(3)))
    success, error, message = done["completed"]
    assert (success, error) == (False, ERROR + "NoMedia"), done
    assert "no suitable disc was inserted within 1 second" in message, message
    props = daemon.job_props(job["job"])
    assert (props["State"], props["Copy"], props["Message"]) == ("failed", 2, ""), props
    # the first disc was written, verified and ejected all the same
    [(keys, image)] = drive.out()
    assert keys["status"] == "full" and cbtest.unlocks(image, passfile) == 0
    assert len(ops(drive, "write")) == 1 and len(ops(drive, "read-start")) == 1
    daemon.wait_drive("drive1", Busy=False, Job="/")


def test_cancel_while_waiting_for_a_later_copy(scripted_daemon, passfile, tree):
    daemon = scripted_daemon
    drive = daemon.drives["drive0"]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    proc, job = start(daemon, burn_spec(daemon, "drive0", tree, passfile,
                                                     spool=["b", True], **copies(2)))
    wait_for_next_disc(daemon, job, 2, 2)
    reply = daemon.call(job, "org.cryptburn.CryptBurn1.Job", "Cancel", "(@a{sv} {},)")
    assert "reply" in reply, reply
    done = finish(proc, timeout=NOTICE_S)
    assert done["completed"][:2] == [False, ERROR + "Cancelled"], done
    props = daemon.job_props(job)
    assert (props["State"], props["Message"]) == ("cancelled", ""), props
    daemon.wait_drive("drive0", Busy=False, Job="/")
    assert len(ops(drive, "write")) == 1
    # a disc put in now is not written
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive("drive0", MediaStatus="blank")
    assert len(ops(drive, "write")) == 1 and drive.disc_image() is None
