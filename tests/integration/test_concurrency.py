# SPDX-License-Identifier: GPL-3.0-or-later
"""Many jobs at once (issue 13, point 5): eight WriteImage jobs from each of
three users, all running together, each with a strong passphrase that
libpwquality checks against cracklib's dictionary. Each job writes into a
FIFO that the test drains only once every job has begun writing, so all 24
hold their keys and ciphers at the same time, as they would on a busy
machine. Every image is then checked with cryptsetup, the xts-decrypt
oracle or an independent AES-CBC decryptor, and xorriso."""

import json
import os
import pwd
import re
import select
import subprocess
import time
from pathlib import Path

import cbtest
import pytest
from daemon_fixtures import BUSCLIENT, ERROR, FAST_KDF
from dbus_fixtures import PYTHON, TIMEOUT
from test_weak_formats import check_image

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "cryptburnd.service.in"
JOBS_PER_USER = 8
# per user: five luks2, two luks1, one plain. AES-XTS (LUKS) holds more of
# libgcrypt's locked pool than AES-CBC (plain): 24 jobs of this mix need
# more than the 64 KiB the pool had before issue 13
FORMATS = ["luks2", "luks1", "luks2", "plain", "luks2", "luks1", "luks2", "luks2"]
# accounts every Debian system has; the reader helper runs as the caller,
# so a uid needs a passwd entry, and these are used for nothing else here
CANDIDATES = ["nobody", "daemon", "bin", "sys", "games", "man"]
TIMEOUT_S = 300
# the cheapest key stretching of each: the test times nothing
KDF = {"luks2": FAST_KDF, "luks1": {"pbkdf-force-iterations": ["u", 1000]}, "plain": {}}


def system_users(n):
    if os.geteuid() != 0:
        pytest.skip("needs root to run clients as other users")
    users = []
    for name in CANDIDATES:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid != 0:
            users.append(entry)
        if len(users) == n:
            return users
    pytest.skip("fewer than %d system accounts to run clients as" % n)


def submit_as(entry, daemon, spec):
    """busclient.py submitting WriteImage as entry's user, still running."""
    cmd = ["setpriv", "--reuid=%d" % entry.pw_uid, "--regid=%d" % entry.pw_gid,
           "--clear-groups", PYTHON, str(BUSCLIENT), daemon.bus.address, "submit",
           "WriteImage", json.dumps(spec)]
    return subprocess.Popen(cmd, env=daemon.bus.env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def first_line(proc):
    ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
    line = proc.stdout.readline() if ready else b""
    assert line, "busclient did not answer: %s" % proc.stderr.read().decode()
    return json.loads(line)


def make_tree(root):
    root.mkdir()
    (root / "notes.txt").write_text("written while 23 other jobs ran\n")
    (root / "sub").mkdir()
    # enough that no job fits its image into the FIFO and its own buffers
    (root / "sub" / "data.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    return root


def wait_all_writing(fifos, procs, deadline):
    """Until every FIFO has data (or end of file: its job failed)."""
    pending = dict(fifos)
    while pending:
        assert time.monotonic() < deadline, "jobs %s never began writing" % sorted(pending)
        ready, _, _ = select.select(list(pending.values()), [], [], 0.5)
        for i in [i for i, fd in pending.items() if fd in ready]:
            del pending[i]
        for i in [i for i in pending if procs[i].poll() is not None]:
            del pending[i]


def vm_locked_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmLck:"):
                return int(line.split()[1])
    raise AssertionError("no VmLck in /proc/%d/status" % pid)


def drain(fifos, outputs, deadline):
    files = {fd: open(outputs[i], "wb") for i, fd in fifos.items()}
    try:
        while files:
            assert time.monotonic() < deadline, "jobs never finished writing"
            ready, _, _ = select.select(list(files), [], [], 1)
            for fd in ready:
                data = os.read(fd, 1024 * 1024)
                if data:
                    files[fd].write(data)
                else:
                    files.pop(fd).close()
                    os.close(fd)
    finally:
        for f in files.values():
            f.close()


def test_24_jobs_of_3_users_at_once(cryptburnd, cb):
    users = system_users(3)
    work = cryptburnd.workdir
    src = make_tree(work / "src")
    expected = cbtest.expected_tree(src)
    passfile = cbtest.write_passphrase_file(work / "pass")

    fifos, outputs, procs, formats = {}, {}, {}, {}
    for u, entry in enumerate(users):
        for j in range(JOBS_PER_USER):
            i = u * JOBS_PER_USER + j
            fifo = work / ("out-%d.fifo" % i)
            os.mkfifo(fifo, 0o600)
            os.chown(fifo, entry.pw_uid, entry.pw_gid)
            # open first, so that the client's open for writing returns
            fifos[i] = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            outputs[i] = work / ("out-%d.img" % i)
            formats[i] = FORMATS[j]
    started = time.monotonic()
    deadline = started + TIMEOUT_S
    for u, entry in enumerate(users):
        for j in range(JOBS_PER_USER):
            i = u * JOBS_PER_USER + j
            spec = {"sources": [str(src)],
                    "options": dict(KDF[formats[i]], format=["s", formats[i]]),
                    "fds": {"output": "write:%s" % (work / ("out-%d.fifo" % i)),
                            "passphrase-fd": str(passfile)}}
            procs[i] = submit_as(entry, cryptburnd, spec)
    try:
        wait_all_writing(fifos, procs, deadline)
        locked_kib = vm_locked_kib(cryptburnd.proc.pid)
        drain(fifos, outputs, deadline)
        results = {}
        for i, proc in procs.items():
            out, err = proc.communicate(timeout=max(1, deadline - time.monotonic()))
            lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
            results[i] = (lines, err.decode())
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    elapsed = time.monotonic() - started

    failed = {i: r for i, r in results.items()
              if len(r[0]) < 2 or r[0][1].get("completed") != [True, "", ""]}
    assert not failed, "%d of 24 jobs failed: %s\n%s" % (
        len(failed), json.dumps(failed, indent=1), cryptburnd.log()[-4000:])
    uids = {cryptburnd.get(r[0][0]["job"], "org.cryptburn.CryptBurn1.Job", "StartedByUID")
            for r in results.values()}
    assert len(uids) == 3, uids
    print("24 jobs in %.1f s, %d KiB locked while all wrote" % (elapsed, locked_kib))
    # the unit's LimitMEMLOCK= counts what these hold
    limit = re.search(r"^LimitMEMLOCK=(\d+)M$", UNIT.read_text(), re.M)
    assert limit is not None
    assert locked_kib <= int(limit.group(1)) * 1024

    for i, image in outputs.items():
        if formats[i] == "plain":
            check_image(cb, image, "plain", src)
            continue
        assert cbtest.unlocks(image, passfile) == 0, "job %d's %s image" % (i, formats[i])
        iso = cb.decrypt(image, formats[i])
        cbtest.compare_trees(expected, cb.extract(iso))
    assert cryptburnd.alive()


def test_jobs_of_all_users_together_are_limited(cryptburnd):
    """32 jobs of four users wait for their agents; a fifth user's job is
    Busy, as the service runs no more at once (CB_DAEMON_MAX_JOBS, which
    libgcrypt's locked pool is sized for), and starts once they ended."""
    users = system_users(5)
    work = cryptburnd.workdir
    src = make_tree(work / "src")

    def spec(entry, i, agent):
        out = work / ("out-%d" % i)
        out.touch()
        os.chown(out, entry.pw_uid, entry.pw_gid)
        return {"sources": [str(src)], "options": dict(FAST_KDF), "agent": agent,
                "passphrase": cbtest.PASSPHRASE, "fds": {"output": "write:%s" % out}}

    waiting = []
    try:
        for u, entry in enumerate(users[:4]):
            for j in range(JOBS_PER_USER):
                waiting.append(submit_as(entry, cryptburnd,
                                         spec(entry, u * JOBS_PER_USER + j, "silent")))
        for proc in waiting:
            assert "job" in first_line(proc)
        last = users[4]
        proc = submit_as(last, cryptburnd, spec(last, 99, "good"))
        job = first_line(proc)
        proc.communicate(timeout=TIMEOUT)
        assert job.get("error") == ERROR + "Busy", job
        assert "the service already runs 32" in job["message"], job
        # the silent agents time out, the jobs end, and there is room again
        for proc in waiting:
            proc.communicate(timeout=TIMEOUT * 2)
        proc = submit_as(last, cryptburnd, spec(last, 100, "good"))
        out, err = proc.communicate(timeout=TIMEOUT * 2)
        lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
        assert lines[-1].get("completed") == [True, "", ""], (lines, err.decode())
    finally:
        for proc in waiting:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
