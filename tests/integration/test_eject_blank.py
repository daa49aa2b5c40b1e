# SPDX-License-Identifier: GPL-3.0-or-later
"""cryptburn eject and cryptburn blank.

Against the real cryptburnd (daemon_fixtures) with stdio test drives:
what a stdio drive does when ejected (nothing: libburn has no tray for a
file) and blanked (refused, UnsupportedMedia: the next burn overwrites
it), a busy drive, an unknown drive, polkit saying no. A blank that
succeeds needs a rewritable disc, which a stdio drive cannot be: that
part runs against the fake service of test_client_fake_service.py, here
taught Drive.Blank and Drive.Eject.

Run as a script, this file is that fake:
    test_eject_blank.py ADDRESS CONFIG.json
"""

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ERROR = "org.cryptburn.CryptBurn1.Error."


# ---- the fake service, with the Drive methods -------------------------


def fake_main(address, config_path):
    sys.path.insert(0, str(HERE))
    import test_client_fake_service as base

    class DriveFake(base.FakeService):
        def on_drive(self, c, sender, path, iface, method, params, invocation):
            options = params.unpack()[0]
            self.record(event="call", method=method, drive=path, options=options)
            error = self.config.get("start_error")
            if error:
                invocation.return_dbus_error(ERROR + error[0], error[1])
                return
            if method == "Eject":
                invocation.return_value(None)
                return
            job = self.new_job(path, sender, options)
            self.set_props(job, Operation="blank")
            self.GLib.timeout_add(50, self.run_job, job)
            invocation.return_value(self.GLib.Variant("(o)", (job,)))

    base.FakeService = DriveFake
    base.fake_main(address, config_path)


if __name__ == "__main__":
    fake_main(sys.argv[1], sys.argv[2])
    sys.exit(0)


# ---- the tests ----------------------------------------------------------

import cbtest  # noqa: E402
from daemon_fixtures import DRIVE_IFACE, FAST_KDF  # noqa: E402
from dbus_fixtures import PYTHON  # noqa: E402

KDF = ["--pbkdf-force-iterations", str(FAST_KDF["pbkdf-force-iterations"][1]),
       "--pbkdf-memory", str(FAST_KDF["pbkdf-memory"][1])]


def cryptburn(cb, daemon, *args, **kwargs):
    return cbtest.run(cb.cmd(*args), env=daemon.bus.env(), **kwargs)


def json_lines(proc):
    return [json.loads(x) for x in proc.stdout.decode().splitlines() if x.strip()]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def burn_something(cb, daemon, drive, tmp_path):
    """A previous image on the drive, so that a change would show."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "notes.txt").write_text("tax 2025\n")
    proc = cryptburn(cb, daemon, "burn", "--drive", drive, "--passphrase-file", cb.passfile,
                     *KDF, "-q", tree)
    assert proc.returncode == 0, cbtest.describe(proc)


def drive_info(cb, daemon, name):
    proc = cryptburn(cb, daemon, "drives", "--json")
    assert proc.returncode == 0, cbtest.describe(proc)
    return {d["object"]: d for d in json.loads(proc.stdout)}[daemon.drive_paths[name]]


# -- the real daemon


def test_eject_leaves_a_stdio_drive_as_it_was(cryptburnd, cb, tmp_path):
    burn_something(cb, cryptburnd, "test0", tmp_path)
    disc = cryptburnd.drive_files["disc0"]
    before = sha256(disc)
    device = "stdio:%s" % disc
    proc = cryptburn(cb, cryptburnd, "eject", "--drive", device, "--json")
    assert proc.returncode == 0, cbtest.describe(proc)
    assert json_lines(proc) == [{"drive": cryptburnd.drive_paths["disc0"], "device": device,
                                 "ejected": True, "error": None, "message": None}]
    # a file has no tray: the image stays, and so does the drive
    assert sha256(disc) == before
    assert cbtest.unlocks(disc, cb.passfile) == 0
    info = drive_info(cb, cryptburnd, "disc0")
    assert info["busy"] is False and info["job"] is None
    # by object name, without --json: silent
    proc = cryptburn(cb, cryptburnd, "eject", "--drive", "test0")
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b"", \
        cbtest.describe(proc)
    assert cryptburnd.alive()


def test_eject_and_blank_refused_while_a_job_runs(cryptburnd, cb, big_tree):
    burn = subprocess.Popen(cb.cmd("burn", "--drive", "test1", "--passphrase-file", cb.passfile,
                                   *KDF, "--speed", "6000", "--json", big_tree),
                            env=cryptburnd.bus.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while True:
            line = json.loads(burn.stdout.readline())
            if line.get("phase") == "writing" and line.get("state") == "running":
                break
            assert time.monotonic() < deadline and line["event"] == "progress", line
        job = line["job"]
        proc = cryptburn(cb, cryptburnd, "eject", "--drive", "test1")
        assert proc.returncode == 9, cbtest.describe(proc)
        assert "busy" in proc.stderr.decode() and job in proc.stderr.decode()
        proc = cryptburn(cb, cryptburnd, "eject", "--drive", "test1", "--json")
        assert proc.returncode == 9, cbtest.describe(proc)
        [result] = json_lines(proc)
        assert result["ejected"] is False and result["error"] == ERROR + "Busy"
        assert result["drive"] == cryptburnd.drive_paths["disc1"]
        # the drive is claimed when a job is asked for: no blank job is made
        proc = cryptburn(cb, cryptburnd, "blank", "--drive", "test1", "--json")
        assert proc.returncode == 9, cbtest.describe(proc)
        [result] = json_lines(proc)
        assert result["event"] == "result" and result["job"] is None
        assert result["success"] is False and result["error"] == ERROR + "Busy"
        jobs = json.loads(cryptburn(cb, cryptburnd, "jobs", "--json").stdout)
        assert [j["operation"] for j in jobs] == ["burn-files"]
        # the burn went on undisturbed
        assert burn.poll() is None
    finally:
        burn.send_signal(signal.SIGINT)
        burn.communicate(timeout=120)
    assert burn.returncode == 130
    assert cryptburnd.alive()


def test_blank_refuses_a_stdio_drive(cryptburnd, cb, tmp_path):
    burn_something(cb, cryptburnd, "test0", tmp_path)
    disc = cryptburnd.drive_files["disc0"]
    before = sha256(disc)
    status = drive_info(cb, cryptburnd, "disc0")["media_status"]
    proc = cryptburn(cb, cryptburnd, "blank", "--drive", "test0", "--json")
    assert proc.returncode == 10, cbtest.describe(proc)
    lines = json_lines(proc)
    assert all(x["event"] == "progress" for x in lines[:-1]) and len(lines) >= 2, lines
    result = lines[-1]
    assert result["event"] == "result" and result["success"] is False
    assert result["job"].startswith("/org/cryptburn/CryptBurn1/jobs/")
    assert result["error"] == ERROR + "UnsupportedMedia"
    assert "cannot be blanked" in result["message"]
    assert "cannot be blanked" in proc.stderr.decode()
    jobs = json.loads(cryptburn(cb, cryptburnd, "jobs", "--json").stdout)
    # the burn before it stays listed for a minute
    assert [(j["operation"], j["state"]) for j in jobs] == [("burn-files", "succeeded"),
                                                             ("blank", "failed")]
    # --full is refused the same way; the image and the media status stay
    proc = cryptburn(cb, cryptburnd, "blank", "--full", "-q", "--drive",
                     "stdio:%s" % disc)
    assert proc.returncode == 10, cbtest.describe(proc)
    assert proc.stdout == b""
    assert sha256(disc) == before
    assert cbtest.unlocks(disc, cb.passfile) == 0
    info = drive_info(cb, cryptburnd, "disc0")
    assert info["media_status"] == status and info["busy"] is False
    assert cryptburnd.alive()


def test_unknown_drive(cryptburnd, cb):
    proc = cryptburn(cb, cryptburnd, "eject", "--drive", "/dev/sr9", "--json")
    assert proc.returncode == 10, cbtest.describe(proc)
    assert json_lines(proc) == [{
        "drive": None, "device": None, "ejected": False, "error": ERROR + "NoSuchDrive",
        "message": json_lines(proc)[0]["message"]}]
    err = proc.stderr.decode()
    assert "no drive “/dev/sr9”; the drives are:" in err
    assert str(cryptburnd.drive_files["disc0"]) in err
    proc = cryptburn(cb, cryptburnd, "blank", "--drive", "/dev/sr9", "--json")
    assert proc.returncode == 10, cbtest.describe(proc)
    [result] = json_lines(proc)
    assert result["error"] == ERROR + "NoSuchDrive" and result["job"] is None
    assert json.loads(cryptburn(cb, cryptburnd, "jobs", "--json").stdout) == []


def test_several_drives_need_drive(cryptburnd, cb):
    for command in ("eject", "blank"):
        proc = cryptburn(cb, cryptburnd, command)
        assert proc.returncode == 2, cbtest.describe(proc)
        assert "there are several drives; choose one with --drive" in proc.stderr.decode()


def test_polkit_denial(cryptburnd, cb):
    cryptburnd.allow(["org.cryptburn.burn"])
    proc = cryptburn(cb, cryptburnd, "eject", "--drive", "test0", "--json")
    assert proc.returncode == 8, cbtest.describe(proc)
    [result] = json_lines(proc)
    assert result["ejected"] is False and result["error"] == ERROR + "NotAuthorized"
    assert "org.cryptburn.eject" in proc.stderr.decode()
    proc = cryptburn(cb, cryptburnd, "blank", "--drive", "test0")
    assert proc.returncode == 8, cbtest.describe(proc)
    assert "org.cryptburn.blank" in proc.stderr.decode()
    # the other action alone does not do
    cryptburnd.allow(["org.cryptburn.blank"])
    assert cryptburn(cb, cryptburnd, "eject", "--drive", "test0").returncode == 8
    cryptburnd.allow(["org.cryptburn.eject"])
    assert cryptburn(cb, cryptburnd, "eject", "--drive", "test0").returncode == 0
    assert cryptburn(cb, cryptburnd, "blank", "--drive", "test0").returncode == 8
    assert json.loads(cryptburn(cb, cryptburnd, "jobs", "--json").stdout) == []


def test_usage_errors_need_no_service(cb):
    for args in (["eject", "/dev/sr0"], ["blank", "/dev/sr0"], ["blank", "--fast"],
                 ["eject", "--full"]):
        proc = cb.run(*args)
        assert proc.returncode == 2, cbtest.describe(proc)


def test_help(cb):
    top = cb.run("--help").stdout.decode()
    for command in ("eject", "blank"):
        assert ("  %s " % command) in top
        proc = cb.run(command, "--help")
        assert proc.returncode == 0, cbtest.describe(proc)
        text = proc.stdout.decode()
        assert "Exit status:" in text and "  8 " in text and "  9 " in text, text
        assert "--drive" in text and "--json" in text
    assert "--full" in cb.run("blank", "--help").stdout.decode()


# -- the fake service: a blank that succeeds


class DriveFake:
    """This file's fake on the private bus, and what it recorded."""

    def __init__(self, bus, tmp_path, **config):
        import test_client_fake_service as base

        self.log = tmp_path / "fake-events.jsonl"
        self.log.write_text("")
        config.setdefault("drives", [base.DRIVE_SR0])
        config["log"] = str(self.log)
        path = tmp_path / "fake-config.json"
        path.write_text(json.dumps(config))
        self.proc = bus.spawn_process([PYTHON, str(Path(__file__).resolve()), bus.address,
                                       str(path)])
        bus.wait_for_name(base.BUS_NAME, self.proc)

    def calls(self):
        return [e for e in map(json.loads, self.log.read_text().splitlines())
                if e["event"] == "call"]


def run_fake(cb, bus, *args):
    return cbtest.run(cb.cmd(*args), env=bus.env())


def test_blank_follows_the_job(cb, system_bus, tmp_path):
    fake = DriveFake(system_bus, tmp_path)
    proc = run_fake(cb, system_bus, "blank", "--json")
    assert proc.returncode == 0, cbtest.describe(proc)
    lines = json_lines(proc)
    assert lines[0]["event"] == "progress"
    assert lines[-1] == {"event": "result", "job": lines[0]["job"], "success": True,
                         "error": None, "message": None, "bytes": 8 * 1024 * 1024,
                         "checksum": lines[-1]["checksum"]}
    # the only drive; a fast blank is the service's default, so not sent
    assert fake.calls() == [{"event": "call", "method": "Blank",
                             "drive": "/org/cryptburn/CryptBurn1/drives/sr0", "options": {}}]


def test_blank_full_and_eject_options(cb, system_bus, tmp_path):
    fake = DriveFake(system_bus, tmp_path)
    proc = run_fake(cb, system_bus, "blank", "--full", "--eject", "--drive", "/dev/sr0", "-q")
    assert proc.returncode == 0, cbtest.describe(proc)
    assert proc.stdout == b"" and proc.stderr == b""
    assert fake.calls()[0]["options"] == {"mode": "full", "eject": True}


def test_blank_job_failure_maps_to_exit_status(cb, system_bus, tmp_path):
    DriveFake(system_bus, tmp_path, result=[False, "NoMedia", "no disc in /dev/sr0"])
    proc = run_fake(cb, system_bus, "blank")
    assert proc.returncode == 10, cbtest.describe(proc)
    assert "no disc in /dev/sr0" in proc.stderr.decode()


def test_eject_on_the_fake(cb, system_bus, tmp_path):
    fake = DriveFake(system_bus, tmp_path)
    proc = run_fake(cb, system_bus, "eject", "--json")
    assert proc.returncode == 0, cbtest.describe(proc)
    assert json_lines(proc)[0]["device"] == "/dev/sr0"
    assert fake.calls() == [{"event": "call", "method": "Eject",
                             "drive": "/org/cryptburn/CryptBurn1/drives/sr0", "options": {}}]


def test_blank_progress_on_a_terminal(cb, system_bus, tmp_path):
    DriveFake(system_bus, tmp_path, steps=3)
    term = cbtest.spawn_on_pty(cb.cmd("blank"), env=system_bus.env())
    assert term.finish() == 0, term.output
    assert b"Started job 1 on /dev/sr0." in term.output
    # blanking erases: no "Writing", no drive buffer, no bytes "written"
    assert b"Blanking" in term.output and b"Writing" not in term.output
    assert b"buffer" not in term.output
    assert b"Finished: the disc is blank." in term.output


def test_sigint_cancels_the_blank(cb, system_bus, tmp_path):
    fake = DriveFake(system_bus, tmp_path, mode="hang", steps=1)
    proc = subprocess.Popen(cb.cmd("blank", "--json"), env=system_bus.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while json.loads(proc.stdout.readline()).get("state") != "running":
        pass
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert json.loads(out.decode().splitlines()[-1])["error"] == ERROR + "Cancelled"
    events = [json.loads(x)["event"] for x in fake.log.read_text().splitlines()]
    assert "cancel" in events
