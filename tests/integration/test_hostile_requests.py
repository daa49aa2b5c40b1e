# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburnd against a hostile local client (issue 13, points 1, 2, 4
and 6): options given twice, messages built to leak, a polkit that never
answers, a client's FUSE file whose getattr never returns, floods of
jobs and oversized requests. Each was reproduced against the daemon
before it was fixed; the real daemon runs on the private bus."""

import os
import subprocess
import time
from pathlib import Path

import pytest

from daemon_fixtures import ACTIONS, DRIVE_IFACE, ERROR, JOB_IFACE, ROOT_PATH, running_daemon
from dbus_fixtures import PYTHON, _connect, _gio

HERE = Path(__file__).resolve().parent
MANAGER = ROOT_PATH + "/Manager"
MANAGER_IFACE = "org.cryptburn.CryptBurn1.Manager"
BUS_NAME = "org.cryptburn.CryptBurn1"
# the daemon's own limits (cb-daemon.h, cb-authority.h, cb-fd-probe.h,
# cb-reader-request.h)
MAX_PENDING_PER_UID = 8
POLKIT_TIMEOUT_S = 20
FD_PROBE_TIMEOUT_S = 10
JOBS_PER_MINUTE = 30
READER_MAX_REQUEST = 1024 * 1024
SANITIZED = bool(os.environ.get("ASAN_OPTIONS"))


def rss_kib(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def threads(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads for %d" % pid)


def flushing_threads(pid):
    """The names of the threads of pid waiting in a FUSE flush."""
    names = []
    for task in Path("/proc/%d/task" % pid).iterdir():
        try:
            if "fuse_flush" in (task / "stack").read_text():
                names.append((task / "comm").read_text().strip() +
                             ("(main)" if task.name == str(pid) else ""))
        except OSError:
            pass
    return names


def call_async(conn, path, iface, method, params, results, fds=None):
    """Sends a call and files its answer in results: {"reply"} or {"error"}."""
    Gio, GLib = _gio()

    def done(c, res):
        try:
            if fds is not None:
                reply, _ = c.call_with_unix_fd_list_finish(res)
            else:
                reply = c.call_finish(res)
            results.append({"reply": reply.print_(True)})
        except GLib.Error as e:
            results.append({"error": Gio.DBusError.get_remote_error(e) or "local",
                            "message": e.message})

    if fds is not None:
        conn.call_with_unix_fd_list(BUS_NAME, path, iface, method, params, None,
                                    Gio.DBusCallFlags.NONE, 120000, fds, None, done)
    else:
        conn.call(BUS_NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE,
                  120000, None, done)


def pump(results, count, timeout):
    """Runs the default main context until count answers are in."""
    _, GLib = _gio()
    ctx = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while len(results) < count and time.monotonic() < deadline:
        ctx.iteration(False) or time.sleep(0.01)
    assert len(results) >= count, "%d of %d answers after %d s" % (len(results), count, timeout)


def eject_as_nobody(daemon, drive, timeout):
    started = time.monotonic()
    reply = daemon.run("call", daemon.drive_paths[drive], DRIVE_IFACE, "Eject",
                       "(@a{sv} {},)", user="nobody", timeout=timeout)[0]
    return reply, time.monotonic() - started


# --- point 1: no option is decided twice ---

def test_repeated_key_is_refused_naming_it(cryptburnd, tmp_path):
    """Authorization read the first "blank", the parser the last: a burn
    allowed only org.cryptburn.burn could still blank the disc."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_text("a")
    cryptburnd.allow(["org.cryptburn.burn"])
    params = "(objectpath '%s', ['%s'], {'blank': <false>, 'blank': <true>})" % (
        cryptburnd.drive_paths["disc0"], tmp_path / "src")
    reply = cryptburnd.call(MANAGER, MANAGER_IFACE, "BurnFiles", params)
    assert reply.get("error") == ERROR + "InvalidOption", reply
    assert "“blank”" in reply["message"] and "more than once" in reply["message"], reply
    # the same key twice with the same value, and for every kind of value
    for option in ("'format': <'luks2'>, 'format': <'luks2'>",
                   "'serial': <'a'>, 'serial': <'b'>",
                   "'copies': <uint32 1>, 'copies': <uint32 2>"):
        params = "(objectpath '%s', ['%s'], {%s})" % (
            cryptburnd.drive_paths["disc0"], tmp_path / "src", option)
        reply = cryptburnd.call(MANAGER, MANAGER_IFACE, "BurnFiles", params)
        assert reply.get("error") == ERROR + "InvalidOption", (option, reply)
        assert option.split("'")[1] in reply["message"], reply


def test_blank_option_needs_its_action(cryptburnd, tmp_path):
    (tmp_path / "src").mkdir()
    cryptburnd.allow(["org.cryptburn.burn"])
    params = "(objectpath '%s', ['%s'], {'blank': <true>})" % (
        cryptburnd.drive_paths["disc0"], tmp_path / "src")
    reply = cryptburnd.call(MANAGER, MANAGER_IFACE, "BurnFiles", params)
    assert reply.get("error") == ERROR + "NotAuthorized", reply
    assert "org.cryptburn.blank" in reply["message"], reply


# --- point 2: no leak per call ---

@pytest.mark.skipif(SANITIZED, reason="ASan's quarantine keeps freed memory; LeakSanitizer "
                    "checks leaks in that pass")
def test_repeated_keys_leak_nothing(cryptburnd, tmp_path):
    """Each call carries 20 "agent" entries of 100 kB: the parser used to
    keep and lose all but the last (1.9 MB a call)."""
    Gio, GLib = _gio()
    conn = _connect(cryptburnd.bus.address)
    (tmp_path / "src").mkdir()
    agent = GLib.Variant("o", "/" + "a" * 100000)
    entry = GLib.Variant.new_dict_entry(GLib.Variant("s", "agent"), GLib.Variant("v", agent))
    options = GLib.Variant.new_array(GLib.VariantType("{sv}"), [entry] * 20)
    params = GLib.Variant.new_tuple(GLib.Variant("o", cryptburnd.drive_paths["disc0"]),
                                    GLib.Variant("as", [str(tmp_path / "src")]), options)

    def hammer(n):
        for _ in range(n):
            try:
                conn.call_sync(BUS_NAME, MANAGER, MANAGER_IFACE, "BurnFiles", params, None,
                               Gio.DBusCallFlags.NONE, 30000, None)
                raise AssertionError("a repeated agent was accepted")
            except GLib.Error as e:
                assert "more than once" in e.message, e.message

    hammer(50)
    before = rss_kib(cryptburnd.proc.pid)
    hammer(1000)
    grown = rss_kib(cryptburnd.proc.pid) - before
    print("RSS after 1000 calls of 20 x 100 kB agents: %+d KiB" % grown)
    assert grown < 10 * 1024, "cryptburnd grew by %d KiB" % grown


@pytest.mark.skipif(SANITIZED, reason="ASan's quarantine keeps freed memory; LeakSanitizer "
                    "checks leaks in that pass")
def test_eject_leaks_nothing(cryptburnd):
    """A successful Eject kept a reference to its invocation (~2 kB)."""
    Gio, GLib = _gio()
    conn = _connect(cryptburnd.bus.address)
    params = GLib.Variant("(a{sv})", ({},))

    def eject(n):
        for _ in range(n):
            conn.call_sync(BUS_NAME, cryptburnd.drive_paths["disc1"], DRIVE_IFACE, "Eject",
                           params, None, Gio.DBusCallFlags.NONE, 30000, None)

    eject(200)
    before = rss_kib(cryptburnd.proc.pid)
    eject(2000)
    grown = rss_kib(cryptburnd.proc.pid) - before
    print("RSS after 2000 Ejects: %+d KiB" % grown)
    assert grown < 1024, "cryptburnd grew by %d KiB in 2000 Ejects" % grown


# --- point 4: the main thread never blocks on a client ---

@pytest.fixture
def stalled_polkit_daemon(system_bus):
    """cryptburnd with a polkit that never answers for org.cryptburn.burn
    and allows everything else at once."""
    polkit = system_bus.spawn_process([PYTHON, str(HERE / "stalling_polkitd.py"),
                                       "org.cryptburn.burn"])
    system_bus.wait_for_name("org.freedesktop.PolicyKit1", polkit)
    with running_daemon(system_bus, allow=None) as daemon:
        yield daemon


def test_polkit_that_never_answers_starves_nobody(stalled_polkit_daemon, tmp_path):
    daemon = stalled_polkit_daemon
    _, GLib = _gio()
    conn = _connect(daemon.bus.address)
    (tmp_path / "src").mkdir()
    baseline = threads(daemon.proc.pid)
    params = GLib.Variant("(oasa{sv})", (daemon.drive_paths["disc0"],
                                          [str(tmp_path / "src")], {}))
    results = []
    started = time.monotonic()
    for _ in range(40):
        call_async(conn, MANAGER, MANAGER_IFACE, "BurnFiles", params, results)
    # all but the uid's share are refused at once, and no thread is held
    pump(results, 40 - MAX_PENDING_PER_UID, 10)
    busy = [r for r in results if r.get("error") == ERROR + "Busy"]
    assert len(busy) == 40 - MAX_PENDING_PER_UID, results
    assert "wait for authorization" in busy[0]["message"], busy[0]
    assert threads(daemon.proc.pid) <= baseline + 2, (baseline, threads(daemon.proc.pid))
    # another user's Eject goes through a check polkit answers, and a
    # thread of the shared pool
    reply, took = eject_as_nobody(daemon, "disc1", timeout=15)
    assert "reply" in reply, reply
    assert took < 5, took
    # the held ones end with polkit's silence named, none as a job
    pump(results, 40, POLKIT_TIMEOUT_S + 10)
    late = results[40 - MAX_PENDING_PER_UID:]
    assert all(r.get("error") == ERROR + "NotAuthorized" for r in late), late
    assert all("did not answer" in r["message"] for r in late), late
    assert time.monotonic() - started < POLKIT_TIMEOUT_S + 5
    print("threads before %d, with 40 checks pending %d; other user's Eject %.2f s"
          % (baseline, threads(daemon.proc.pid), took))


HANGING_FS = r'''
import builtins, errno, os, stat, sys, time
from fusepy import FUSE, FuseOSError, Operations, fuse_get_context

DATA = b"\0" * 32768 + b"\x01CD001\x01" + b"\0" * 2041
release = sys.argv[2]
mode = sys.argv[3]

def hang():
    while not os.path.exists(release):
        time.sleep(0.1)

class Hanging(Operations):
    def getattr(self, path, fh=None):
        if path == "/":
            return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2}
        if path != "/image.iso":
            raise FuseOSError(errno.ENOENT)
        # answered for the test that opens it, never for the daemon
        # until the test lets go
        if mode == "getattr" and process_of(fuse_get_context()[2]) == target():
            hang()
        return {"st_mode": stat.S_IFREG | 0o644, "st_nlink": 1, "st_size": len(DATA)}

    def flush(self, path, fh):
        # every close() of an fd of the file asks this; only the
        # daemon's are held (the bus daemon closes its copies too)
        if mode == "flush" and process_of(fuse_get_context()[2]) == target():
            hang()
        return 0

def process_of(tid):
    try:
        with builtins.open("/proc/%d/status" % tid) as f:
            for line in f:
                if line.startswith("Tgid:"):
                    return int(line.split()[1])
    except OSError:
        return -1

def target():
    try:
        with builtins.open(release + ".pid") as f:
            return int(f.read())
    except OSError:
        return -1

    def readdir(self, path, fh):
        return [".", "..", "image.iso"]

    def read(self, path, size, offset, fh):
        return DATA[offset:offset + size]

FUSE(Hanging(), sys.argv[1], foreground=True, ro=True, attr_timeout=0, entry_timeout=0)
'''


@pytest.fixture(params=["getattr"])
def hanging_fuse(request, tmp_path):
    """A FUSE file system whose one file never answers the daemon's getattr
    (mode "getattr": fstat() of its fd blocks) or its close()s (mode
    "flush") until the test lets go; the daemon's pid goes into the file
    named by release + ".pid"."""
    try:
        import fusepy  # noqa: F401
    except ImportError:
        pytest.fail("this test needs python3-fusepy (scripts/install-deps)")
    if not os.path.exists("/dev/fuse"):
        pytest.fail("this test needs FUSE (/dev/fuse)")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    release = tmp_path / "release"
    script = tmp_path / "hanging_fs.py"
    script.write_text(HANGING_FS)
    proc = subprocess.Popen([PYTHON, str(script), str(mnt), str(release), request.param],
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not os.path.ismount(mnt) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    assert os.path.ismount(mnt)
    try:
        yield mnt / "image.iso", release
    finally:
        release.touch()
        time.sleep(0.3)
        subprocess.run(["umount", "-l", str(mnt)], stderr=subprocess.DEVNULL)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_fstat_that_never_returns_freezes_nothing(cryptburnd, hanging_fuse):
    """BurnImage with copies and no spool must know the stream is a file:
    its fstat() went to the client's file system on the main thread."""
    Gio, GLib = _gio()
    image, release = hanging_fuse
    Path(str(release) + ".pid").write_text(str(cryptburnd.proc.pid))
    fd = os.open(image, os.O_RDONLY)
    conn = _connect(cryptburnd.bus.address)
    fds = Gio.UnixFDList.new()
    fds.append(fd)
    os.close(fd)
    params = GLib.Variant("(oha{sv})", (cryptburnd.drive_paths["disc0"], 0,
                                         {"copies": GLib.Variant("u", 2)}))
    results = []
    call_async(conn, MANAGER, MANAGER_IFACE, "BurnImage", params, results, fds=fds)
    time.sleep(1)
    # the service answers everybody else meanwhile
    reply, took = eject_as_nobody(cryptburnd, "disc1", timeout=15)
    assert "reply" in reply, reply
    assert took < 5, took
    assert "reply" in cryptburnd.call(ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                                      "GetManagedObjects")
    # and the call itself ends, with what went wrong
    pump(results, 1, FD_PROBE_TIMEOUT_S + 5)
    assert results[0].get("error") == ERROR + "InvalidOption", results
    assert "did not answer" in results[0]["message"], results
    # a uid may pin only so many such threads
    for _ in range(3):
        call_async(conn, MANAGER, MANAGER_IFACE, "BurnImage", params, results, fds=fds)
    pump(results, 4, FD_PROBE_TIMEOUT_S + 5)
    assert any(r.get("error") == ERROR + "Busy" for r in results[1:]), results
    release.touch()
    time.sleep(0.5)


@pytest.mark.parametrize("hanging_fuse", ["flush"], indirect=True)
def test_close_that_never_returns_freezes_nothing(cryptburnd, hanging_fuse):
    """GDBus closes the fds a message carried when it frees the message,
    often on the main thread; a close() of a client's FUSE file asks its
    file system, which may never answer."""
    Gio, GLib = _gio()
    image, release = hanging_fuse
    Path(str(release) + ".pid").write_text(str(cryptburnd.proc.pid))
    fd = os.open(image, os.O_RDONLY)
    conn = _connect(cryptburnd.bus.address)
    results = []
    # this side's closes would hang too: its lists live until the end
    keep = []
    # fds on a property read, on a call refused at once, and on a job
    for path, iface, method, params in [
        (MANAGER, "org.freedesktop.DBus.Properties", "Get",
         GLib.Variant("(ss)", (MANAGER_IFACE, "Version"))),
        (cryptburnd.drive_paths["disc1"], DRIVE_IFACE, "Eject",
         GLib.Variant("(a{sv})", ({"bogus": GLib.Variant("b", True)},))),
        (MANAGER, MANAGER_IFACE, "BurnImage",
         GLib.Variant("(oha{sv})", (cryptburnd.drive_paths["disc0"], 0,
                                    {"image-size": GLib.Variant("t", 34816),
                                     "passphrase-fd": GLib.Variant("h", 1)}))),
    ]:
        fds = Gio.UnixFDList.new()
        fds.append(fd)
        fds.append(fd)
        keep.append(fds)
        call_async(conn, path, iface, method, params, results, fds=fds)
    pump(results, 3, 30)
    # every close of those fds by the daemon hangs from now on, also past
    # the time unclaimed ones are closed. No process is started meanwhile:
    # it would inherit this test's fd, and its close would hang too
    deadline = time.monotonic() + 14
    version = GLib.Variant("(ss)", (MANAGER_IFACE, "Version"))
    while time.monotonic() < deadline:
        started = time.monotonic()
        conn.call_sync(BUS_NAME, MANAGER, "org.freedesktop.DBus.Properties", "Get", version,
                       None, Gio.DBusCallFlags.NONE, 5000, None)
        conn.call_sync(BUS_NAME, cryptburnd.drive_paths["disc1"], DRIVE_IFACE, "Eject",
                       GLib.Variant("(a{sv})", ({},)), None, Gio.DBusCallFlags.NONE, 5000,
                       None)
        assert time.monotonic() - started < 5
        time.sleep(1)
    # the closes did reach the file system, and wait there
    held = flushing_threads(cryptburnd.proc.pid)
    release.touch()
    keep.clear()
    # the file system may answer the flush of a close it held with an error
    try:
        os.close(fd)
    except OSError:
        pass
    print("daemon threads held in a FUSE flush: %s" % held)
    assert held and not any(n.endswith("(main)") for n in held), held


# --- point 6: limits that count ---

def test_jobs_per_minute_are_limited(cryptburnd, tmp_path):
    """Finished jobs linger a minute and did not count: one uid could fill
    the object manager with thousands."""
    Gio, GLib = _gio()
    conn = _connect(cryptburnd.bus.address)
    out = os.open(os.devnull, os.O_WRONLY)
    answers = []
    for i in range(JOBS_PER_MINUTE + 1):
        fds = Gio.UnixFDList.new()
        fds.append(out)
        # a source that does not exist: the job fails at once
        params = GLib.Variant("(hasa{sv})", (0, [str(tmp_path / "missing")], {}))
        try:
            reply, _ = conn.call_with_unix_fd_list_sync(
                BUS_NAME, MANAGER, MANAGER_IFACE, "WriteImage", params, None,
                Gio.DBusCallFlags.NONE, 30000, fds, None)
            job = reply.unpack()[0]
            answers.append(job)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                state = conn.call_sync(BUS_NAME, job, "org.freedesktop.DBus.Properties",
                                       "Get", GLib.Variant("(ss)", (JOB_IFACE, "State")),
                                       None, Gio.DBusCallFlags.NONE, 30000, None)
                if state.unpack()[0] in ("failed", "succeeded", "cancelled"):
                    break
                time.sleep(0.02)
        except GLib.Error as e:
            answers.append(e.message)
    os.close(out)
    assert all(a.startswith(ROOT_PATH + "/jobs/") for a in answers[:JOBS_PER_MINUTE]), answers
    assert "in the last minute" in answers[JOBS_PER_MINUTE], answers[JOBS_PER_MINUTE]
    objects = conn.call_sync(BUS_NAME, ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                             "GetManagedObjects", None, None, Gio.DBusCallFlags.NONE,
                             30000, None).unpack()[0]
    jobs = [p for p in objects if "/jobs/" in p]
    assert len(jobs) == JOBS_PER_MINUTE, len(jobs)


def test_request_too_large_for_the_reader_is_refused_first(cryptburnd, tmp_path):
    """200 grafts of 8 kB passed D-Bus and failed later in the reader."""
    _, GLib = _gio()
    (tmp_path / "src").mkdir()
    grafts = ["d%03d/%s=%s" % (i, "x" * 7900, tmp_path / "src") for i in range(200)]
    conn = _connect(cryptburnd.bus.address)
    params = GLib.Variant("(oasa{sv})", (cryptburnd.drive_paths["disc0"], [],
                                          {"grafts": GLib.Variant("as", grafts)}))
    results = []
    call_async(conn, MANAGER, MANAGER_IFACE, "BurnFiles", params, results)
    pump(results, 1, 30)
    assert results[0].get("error") == ERROR + "InvalidOption", results
    assert "at most %d" % READER_MAX_REQUEST in results[0]["message"], results
    objects = cryptburnd.call(ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                              "GetManagedObjects")
    assert "/jobs/" not in objects["reply"]


# --- point 7: other users' jobs stay private ---

def test_error_messages_reach_only_their_owner(cryptburnd, tmp_path):
    """ErrorMessage was a property any user could read, naming a file in
    another user's private folder."""
    secret = tmp_path / "private-folder" / "tax-return-2025"
    spec = {"sources": [str(secret)], "fds": {"output": "write:" + str(tmp_path / "o.img")},
            "options": {}}
    job, completed = cryptburnd.submit("WriteImage", spec)
    assert completed["completed"][0] is False, completed
    # its owner is told, on request
    assert "tax-return-2025" in completed["completed"][2], completed
    path = job["job"]
    # no property and no signal carries it
    objects = cryptburnd.run("call", ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                             "GetManagedObjects", "", user="nobody")[0]
    assert path in objects["reply"] and "tax-return-2025" not in objects["reply"], objects
    props = cryptburnd.run("call", path, "org.freedesktop.DBus.Properties", "GetAll",
                           "('%s',)" % JOB_IFACE, user="nobody")[0]
    assert "reply" in props and "tax-return-2025" not in props["reply"], props
    assert "ErrorMessage" not in props["reply"]
    # another user is refused, unless an administrator's rule allows it
    cryptburnd.allow([a for a in ACTIONS if a != "org.cryptburn.cancel-job-other-user"])
    other = cryptburnd.run("call", path, JOB_IFACE, "GetError", "(@a{sv} {},)",
                           user="nobody")[0]
    assert other.get("error") == ERROR + "NotAuthorized", other
    assert "tax-return-2025" not in other["message"]
    cryptburnd.allow(ACTIONS)
    admin = cryptburnd.run("call", path, JOB_IFACE, "GetError", "(@a{sv} {},)",
                           user="nobody")[0]
    assert "tax-return-2025" in admin.get("reply", ""), admin
