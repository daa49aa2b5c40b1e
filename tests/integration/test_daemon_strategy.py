# SPDX-License-Identifier: GPL-3.0-or-later
"""Write strategy (issue 5, point 6) on the real cryptburnd with stdio test
drives: the write mode and underrun protection a job reports, the drive
starting only on a full buffer, and simulation on a test drive."""

import json
import os
import threading
import time

import cbtest
from daemon_fixtures import FAST_KDF, JOB_IFACE

MiB = 1024 * 1024


def make_tree(root):
    root.mkdir(parents=True)
    (root / "notes.txt").write_text("tax 2025\n")
    (root / "data.bin").write_bytes(os.urandom(300 * 1024))
    return root


def burn_spec(daemon, drive, tree, passfile, options=None):
    return {"drive": daemon.drive_paths[drive], "sources": [str(tree)],
            "options": dict(FAST_KDF, **(options or {})),
            "fds": {"passphrase-fd": str(passfile)}, "history": True}


def values(history, name):
    return [h[name] for h in history if name in h]


def prop(daemon, job, name):
    """The property's value in GVariant text: "'stdio'", "true", "uint64 0"."""
    reply = daemon.get(job, JOB_IFACE, name)
    assert reply.startswith("(<") and reply.endswith(">,)"), reply
    return reply[2:-3]


def test_stdio_burn_reports_write_mode_and_underrun_proof(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    job, done = cryptburnd.submit("BurnFiles", burn_spec(cryptburnd, "disc0", tree,
                                                         cb.passfile))
    assert done["completed"] == [True, "", ""], done
    # libburn chooses TAO for a file; the job says what it is: "stdio"
    assert values(done["history"], "WriteMode") == ["stdio"], done["history"]
    assert prop(cryptburnd, job["job"], "WriteMode") == "'stdio'"
    # libburn announces underrun protection for a stdio drive
    assert prop(cryptburnd, job["job"], "UnderrunProof") == "true"


def test_write_image_has_no_write_mode(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    spec = {"sources": [str(tree)], "options": dict(FAST_KDF),
            "fds": {"output": "write:" + str(tmp_path / "out.img"),
                    "passphrase-fd": str(cb.passfile)}}
    job, done = cryptburnd.submit("WriteImage", spec)
    assert done["completed"] == [True, "", ""], done
    assert prop(cryptburnd, job["job"], "WriteMode") == "''"
    assert prop(cryptburnd, job["job"], "UnderrunProof") == "false"


def test_drive_starts_only_on_a_full_buffer(cryptburnd, cb, tmp_path):
    """BurnImage from a pipe that delivers 12 of 48 MiB, then holds: the
    buffer (32 MiB) fills to about 0.4 and stays there, the drive's file
    stays empty and nothing is counted written; the rest of the image lets
    the burn start and succeed."""
    size = 48 * MiB
    held = 12 * MiB
    image = os.urandom(size)
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    release = threading.Event()

    def feed():
        with open(fifo, "wb") as f:
            f.write(image[:held])
            f.flush()
            release.wait(60)
            f.write(image[held:])

    feeder = threading.Thread(target=feed)
    feeder.start()
    spec = {"drive": cryptburnd.drive_paths["disc1"],
            "options": dict(FAST_KDF, **{"image-size": ["t", size], "verify": ["b", False]}),
            "fds": {"image_stream": str(fifo), "passphrase-fd": str(cb.passfile)}}
    try:
        proc, first = cryptburnd.submit_async("BurnImage", spec)
        job = first["job"]
        disc = cryptburnd.drive_files["disc1"]
        fills = []
        deadline = time.monotonic() + 30
        # the fill, as published a few times a second, until it holds
        while time.monotonic() < deadline:
            fills.append(float(prop(cryptburnd, job, "FifoFill")))
            if len(fills) >= 4 and fills[-1] > 0 and fills[-1] == fills[-4]:
                break
            time.sleep(0.1)
        assert 0.3 < fills[-1] < 0.6, fills
        assert prop(cryptburnd, job, "Phase") == "'writing'"
        assert prop(cryptburnd, job, "BytesDone") == "uint64 0"
        assert not disc.exists() or disc.stat().st_size == 0
        # the strategy is chosen before the buffer fills
        assert prop(cryptburnd, job, "WriteMode") == "'stdio'"
    finally:
        release.set()
        feeder.join(60)
    out, _ = proc.communicate(timeout=120)
    done = json.loads(out.decode().splitlines()[-1])
    assert done["completed"] == [True, "", ""], done
    iso = cb.decrypt(disc)
    with open(iso, "rb") as f:
        assert f.read(size) == image


def test_simulate_on_a_test_drive_writes_nothing(cryptburnd, cb, tmp_path):
    """libburn simulates on every stdio drive: the burn runs to its end and
    the drive's file is untouched."""
    tree = make_tree(tmp_path / "tree")
    disc = cryptburnd.drive_files["disc0"]
    disc.write_bytes(b"old contents")
    job, done = cryptburnd.submit("BurnFiles", burn_spec(
        cryptburnd, "disc0", tree, cb.passfile, options={"simulate": ["b", True]}))
    assert done["completed"] == [True, "", ""], done
    assert disc.read_bytes() == b"old contents"
    assert values(done["history"], "WriteMode") == ["stdio"]
    # nothing written, nothing read back
    assert "verifying" not in values(done["history"], "Phase")


def test_client_json_shows_write_mode(cryptburnd, cb, tmp_path):
    tree = make_tree(tmp_path / "tree")
    device = "stdio:%s" % cryptburnd.drive_files["disc0"]
    proc = cbtest.run(cb.cmd("burn", "--drive", device, "--passphrase-file", cb.passfile,
                             "--pbkdf-force-iterations", "4", "--pbkdf-memory", "32768",
                             "--no-verify", "--json", str(tree)),
                      env=cryptburnd.bus.env())
    assert proc.returncode == 0, cbtest.describe(proc)
    events = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    progress = [e for e in events if e.get("event") == "progress"]
    assert progress[-1]["write_mode"] == "stdio", progress
    assert progress[-1]["underrun_proof"] is True
    assert events[-1]["success"] is True
