# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify after burn: the real cryptburnd on the private bus reads a stdio
test drive back after writing and compares it with what it wrote; the
daemon's test hook (--test-corrupt-after-write) flips a byte of the drive's
file between the write and the read-back."""

import hashlib
import json
import os
import subprocess

import cbtest
import pytest
from daemon_fixtures import DRIVE_IFACE, ERROR, FAST_KDF, JOB_IFACE, build_dir, running_daemon

# block 100 of the disc, in the 64 KiB window of blocks 96 to 127: past the
# LUKS2 header's first copy, which would be found too
CORRUPT_OFFSET = 100 * 2048 + 17
# long enough a read-back to be cancelled in, and to time
BIG_MIB = 256


@pytest.fixture
def corrupting_daemon(system_bus, polkitd_mock):
    with running_daemon(system_bus, "--test-corrupt-after-write", str(CORRUPT_OFFSET),
                        prefix="cryptburnd-verify-") as daemon:
        yield daemon


@pytest.fixture(scope="module")
def big_image(tmp_path_factory):
    """A plain image of incompressible bytes for BurnImage."""
    path = tmp_path_factory.mktemp("verify") / "big.img"
    with open(path, "wb") as f:
        for _ in range(BIG_MIB):
            f.write(os.urandom(1024 * 1024))
    return path


def make_tree(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "data.bin").write_bytes(os.urandom(600 * 1024))
    return root


def burn_spec(daemon, drive, tree, passfile, options=None, **extra):
    spec = {"drive": daemon.drive_paths[drive], "sources": [str(tree)],
            "options": dict(FAST_KDF, **(options or {})),
            "fds": {"passphrase-fd": str(passfile)}, "history": True}
    spec.update(extra)
    return spec


def image_spec(daemon, drive, image, passfile, options=None, **extra):
    spec = {"drive": daemon.drive_paths[drive], "options": dict(FAST_KDF, **(options or {})),
            "fds": {"image_stream": str(image), "passphrase-fd": str(passfile)},
            "history": True}
    spec.update(extra)
    return spec


def phases(history):
    return [h["Phase"] for h in history if "Phase" in h]


def last(history, name):
    return [h[name] for h in history if name in h][-1]


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def drive_is_free(daemon, drive):
    return "false" in daemon.get(daemon.drive_paths[drive], DRIVE_IFACE, "Busy")


def test_burn_is_read_back_and_verified(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", tree,
                                                         cb.passfile))
    assert done["completed"] == [True, "", ""], done
    history = done["history"]
    # read back last (a job this small may end within one property
    # tick), and the progress counted the read-back to its end
    assert phases(history)[-1] == "verifying", history
    assert last(history, "BytesDone") == last(history, "BytesTotal") > 0
    disc = cryptburnd.drive_files["disc0"]
    assert last(history, "BytesTotal") == disc.stat().st_size
    assert sha256_of(disc) in cryptburnd.get(job["job"], JOB_IFACE, "Checksum")
    assert drive_is_free(cryptburnd, "disc0")


def test_verify_false_skips_the_read_back(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    _, done = cryptburnd.submit("BurnFiles", burn_spec(
        cryptburnd, "disc0", tree, cb.passfile, options={"verify": ["b", False]}))
    assert done["completed"] == [True, "", ""], done
    assert "verifying" not in phases(done["history"]), done["history"]


def test_verify_is_a_burn_option(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    spec = {"sources": [str(tree)], "options": dict(FAST_KDF, verify=["b", True]),
            "fds": {"output": "write:" + str(tmp_path / "out.img"),
                    "passphrase-fd": str(cb.passfile)}}
    job, _ = cryptburnd.submit("WriteImage", spec)
    assert job["error"] == ERROR + "InvalidOption", job
    assert "verify" in job["message"]
    spec = burn_spec(cryptburnd, "disc0", tree, cb.passfile, options={"verify": ["s", "no"]})
    job, _ = cryptburnd.submit("BurnFiles", spec)
    assert job["error"] == ERROR + "InvalidOption", job


def test_a_flipped_byte_fails_the_burn(corrupting_daemon, cb, tmp_path):
    daemon = corrupting_daemon
    tree = make_tree(tmp_path / "tree")
    job, done = daemon.submit("BurnFiles", burn_spec(daemon, "disc0", tree, cb.passfile))
    success, name, message = done["completed"]
    assert not success and name == ERROR + "ChecksumMismatch", done
    # the first differing blocks are named
    assert "blocks 96 to 127" in message, message
    assert "verifying" in phases(done["history"])
    assert "'failed'" in daemon.get(job["job"], JOB_IFACE, "State")
    assert drive_is_free(daemon, "disc0")

    # without verify the same corruption goes unnoticed: the job succeeds,
    # and the file is no longer what the job's checksum says was written
    job, done = daemon.submit("BurnFiles", burn_spec(
        daemon, "disc0", tree, cb.passfile, options={"verify": ["b", False]}))
    assert done["completed"] == [True, "", ""], done
    assert "verifying" not in phases(done["history"])
    checksum = daemon.get(job["job"], JOB_IFACE, "Checksum").split("'")[1]
    assert len(checksum) == 64
    assert sha256_of(daemon.drive_files["disc0"]) != checksum


def test_cancel_while_verifying_releases_the_drive(cryptburnd, cb, big_image, tmp_path):
    spec = image_spec(cryptburnd, "disc1", big_image, cb.passfile,
                      cancel_in_phase="verifying")
    _, done = cryptburnd.submit("BurnImage", spec)
    assert done["completed"][:2] == [False, ERROR + "Cancelled"], done
    history = done["history"]
    assert phases(history)[-1] == "verifying", history
    assert last(history, "BytesDone") < last(history, "BytesTotal")
    assert drive_is_free(cryptburnd, "disc1")
    # the next job takes the drive
    tree = make_tree(tmp_path / "tree")
    _, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc1", tree, cb.passfile))
    assert done["completed"] == [True, "", ""], done


def test_read_back_throughput(cryptburnd, cb, big_image):
    """The same 256 MiB image burned without and with verify: the time
    verify adds is the read-back's. The figures go to stdout (pytest -s);
    the check is only that both burns succeed and the read-back counted
    every byte."""
    elapsed = {}
    for verify in (False, True):
        _, done = cryptburnd.submit("BurnImage", image_spec(
            cryptburnd, "disc0", big_image, cb.passfile, options={"verify": ["b", verify]}))
        assert done["completed"] == [True, "", ""], done
        elapsed[verify] = done["elapsed"]
    assert last(done["history"], "BytesDone") == last(done["history"], "BytesTotal")
    size = last(done["history"], "BytesTotal")
    read_back = max(elapsed[True] - elapsed[False], 1e-3)
    print(json.dumps({"image_mib": BIG_MIB, "burn_s": round(elapsed[False], 2),
                      "burn_and_verify_s": round(elapsed[True], 2),
                      "write_mb_s": round(size / elapsed[False] / 1e6),
                      "read_back_mb_s": round(size / read_back / 1e6),
                      "read_back_to_write": round(elapsed[False] / read_back, 2)}))


def test_client_no_verify_and_verifying_phase(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    device = "stdio:%s" % cryptburnd.drive_files["disc0"]
    kdf = ["--pbkdf-force-iterations", "4", "--pbkdf-memory", "32768"]
    for extra, verified in (([], True), (["--no-verify"], False)):
        proc = cbtest.run(cb.cmd("burn", "--drive", device, "--passphrase-file", cb.passfile,
                                 *kdf, "--json", *extra, str(tree)),
                          env=cryptburnd.bus.env())
        assert proc.returncode == 0, cbtest.describe(proc)
        events = [json.loads(x) for x in proc.stdout.decode().splitlines()]
        seen = {e.get("phase") for e in events if e.get("event") == "progress"}
        assert ("verifying" in seen) == verified, events
        assert events[-1]["success"] is True


def test_corruption_hook_needs_a_test_drive():
    daemon = str(build_dir() / "daemon" / "cryptburnd")
    proc = subprocess.run([daemon, "--test-corrupt-after-write", "5"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert proc.returncode == 2 and b"--test-drive" in proc.stderr, proc
    proc = subprocess.run([daemon, "--test-drive", "/nonexistent/x.img",
                           "--test-corrupt-after-write", "-1"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert proc.returncode == 2, proc
