# SPDX-License-Identifier: GPL-3.0-or-later
"""The service commands of cryptburn (drives, burn, burn-image, jobs,
watch, cancel) against a fake cryptburnd on a private system bus with the
project's bus policy.

The fake is this file run as a script: it exports the interfaces of
dbus/org.cryptburn.CryptBurn1.xml through GDBus, so a call whose types do
not match the XML is refused as it would be by the real daemon. It records
what it received (sources, options, the bytes behind passed descriptors,
passphrases answered by the client's agent) as JSON lines, and plays a
scenario from a JSON file: progress, then Completed with a given result,
or a hang, a vanishing job, a dying service.

    test_client_fake_service.py ADDRESS CONFIG.json
"""

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
INTERFACE_XML = HERE.parents[1] / "dbus" / "org.cryptburn.CryptBurn1.xml"
BUS_NAME = "org.cryptburn.CryptBurn1"
ROOT_PATH = "/org/cryptburn/CryptBurn1"
MANAGER_PATH = ROOT_PATH + "/Manager"
ERROR = BUS_NAME + ".Error."
CLIENT_AGENT_PATH = "/org/cryptburn/CryptBurn1/PassphraseAgent"
PASSPHRASE = "Velvet-Harbor-Quartz-Lantern-417"
CHECKSUM = "ab" * 32
PROMPT = "Passphrase for the new disc: "
REPEAT = "Repeat the passphrase: "
TIMEOUT = 60
PYTHON = "/usr/bin/python3"

OBJECT_MANAGER_XML = """
<node>
  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects">
      <arg type="a{oa{sa{sv}}}" name="objects" direction="out"/>
    </method>
    <signal name="InterfacesAdded">
      <arg type="o" name="object_path"/>
      <arg type="a{sa{sv}}" name="interfaces_and_properties"/>
    </signal>
    <signal name="InterfacesRemoved">
      <arg type="o" name="object_path"/>
      <arg type="as" name="interfaces"/>
    </signal>
  </interface>
</node>
"""


# ---- the fake service ---------------------------------------------------


class FakeService:
    def __init__(self, conn, config):
        import gi

        gi.require_version("Gio", "2.0")
        from gi.repository import Gio, GLib

        self.Gio, self.GLib = Gio, GLib
        self.conn = conn
        self.config = config
        self.log = open(config["log"], "a")
        node = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML.read_text())
        self.info = {
            n: node.lookup_interface(BUS_NAME + "." + n) for n in ("Manager", "Drive", "Job")
        }
        self.om_info = Gio.DBusNodeInfo.new_for_xml(OBJECT_MANAGER_XML).interfaces[0]
        self.objects = {}  # path -> (interface name, properties dict of GLib.Variant)
        self.registrations = {}
        self.next_job = 1
        self.jobs = {}  # path -> job state dict

    def record(self, **event):
        self.log.write(json.dumps(event) + "\n")
        self.log.flush()

    def variant(self, iface, name, value):
        sig = self.info[iface].lookup_property(name).signature
        return self.GLib.Variant(sig, value)

    def export(self, path, iface, props, on_call):
        values = {k: self.variant(iface, k, v) for k, v in props.items()}
        self.objects[path] = (iface, values)

        def get_property(c, sender, p, i, name):
            return self.objects[p][1][name]

        self.registrations[path] = self.conn.register_object(
            path, self.info[iface], on_call, get_property, None
        )

    def announce(self, path):
        iface, values = self.objects[path]
        self.conn.emit_signal(
            None,
            ROOT_PATH,
            "org.freedesktop.DBus.ObjectManager",
            "InterfacesAdded",
            self.GLib.Variant("(oa{sa{sv}})", (path, {BUS_NAME + "." + iface: values})),
        )

    def remove(self, path):
        iface, _ = self.objects.pop(path)
        self.conn.unregister_object(self.registrations.pop(path))
        self.conn.emit_signal(
            None,
            ROOT_PATH,
            "org.freedesktop.DBus.ObjectManager",
            "InterfacesRemoved",
            self.GLib.Variant("(oas)", (path, [BUS_NAME + "." + iface])),
        )

    def set_props(self, path, **props):
        iface, values = self.objects[path]
        changed = {}
        for key, value in props.items():
            values[key] = changed[key] = self.variant(iface, key, value)
        self.conn.emit_signal(
            None,
            path,
            "org.freedesktop.DBus.Properties",
            "PropertiesChanged",
            self.GLib.Variant("(sa{sv}as)", (BUS_NAME + "." + iface, changed, [])),
        )

    # -- objects

    def start(self):
        self.conn.register_object(ROOT_PATH, self.om_info, self.on_object_manager, None, None)
        self.export(
            MANAGER_PATH,
            "Manager",
            {"Version": "0.1.0", "SupportedFormats": ["luks2", "luks1"], "DefaultFormat": "luks2"},
            self.on_manager,
        )
        for d in self.config.get("drives", []):
            self.export(
                ROOT_PATH + "/drives/" + d["id"],
                "Drive",
                {
                    "Vendor": d.get("vendor", ""),
                    "Model": d.get("model", ""),
                    "Device": d["device"],
                    "MediaPresent": d.get("media", "") != "",
                    "Media": d.get("media", ""),
                    "MediaStatus": d.get("status", "none"),
                    "Capacity": d.get("capacity", 0),
                    "FreeBytes": d.get("free", 0),
                    "WriteSpeeds": d.get("speeds", []),
                    "Busy": False,
                    "Job": "/",
                },
                self.on_drive,
            )

    def on_object_manager(self, c, sender, path, iface, method, params, invocation):
        result = {p: {BUS_NAME + "." + i: values} for p, (i, values) in self.objects.items()}
        invocation.return_value(self.GLib.Variant("(a{oa{sa{sv}}})", (result,)))

    def on_drive(self, c, sender, path, iface, method, params, invocation):
        invocation.return_dbus_error(ERROR + "Failed", "not faked")

    def on_manager(self, c, sender, path, iface, method, params, invocation):
        fds = invocation.get_message().get_unix_fd_list()
        args = params.unpack()
        interactive = self.Gio.DBusMessageFlags.ALLOW_INTERACTIVE_AUTHORIZATION
        event = {
            "event": "call",
            "method": method,
            "sender": sender,
            "drive": args[0],
            "interactive": bool(invocation.get_message().get_flags() & interactive),
        }
        options = {}
        for key in params.get_child_value(2).keys():
            value = params.get_child_value(2).lookup_value(key, None)
            if value.get_type_string() == "h":
                fd = fds.get(value.get_handle())
                options[key] = {"fd-content": self.read_all(fd).decode()}
            else:
                options[key] = value.unpack()
        event["options"] = options
        if method == "BurnFiles":
            event["sources"] = args[1]
        else:
            data = self.read_all(fds.get(params.get_child_value(1).get_handle()))
            event["image"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        self.record(**event)
        error = self.config.get("start_error")
        if error:
            invocation.return_dbus_error(ERROR + error[0], error[1])
            return
        job = self.new_job(args[0], sender, options)
        if self.config.get("ask_early"):
            # the agent's call leaves before the reply: the client must
            # hold it until it knows the job is its own
            self.run_job(job)
        else:
            self.GLib.timeout_add(50, self.run_job, job)
        invocation.return_value(self.GLib.Variant("(o)", (job,)))

    @staticmethod
    def read_all(fd):
        chunks = []
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            chunks.append(data)
        os.close(fd)
        return b"".join(chunks)

    def new_job(self, drive, sender, options):
        path = "%s/jobs/%d" % (ROOT_PATH, self.next_job)
        self.next_job += 1
        self.jobs[path] = {"sender": sender, "options": options, "step": 0, "done": False}
        self.export(
            path,
            "Job",
            {
                "Operation": "burn-files",
                "State": "queued",
                "Phase": "preparing",
                "Progress": 0.0,
                "BytesDone": 0,
                "BytesTotal": 0,
                "Rate": 0,
                "ExpectedEndTime": 0,
                "FifoFill": 0.0,
                "FifoEmptyCount": 0,
                "Drive": drive,
                "StartedByUID": 0,
                "Cancelable": True,
                "Checksum": "",
                "ErrorName": "",
            },
            self.on_job,
        )
        # announced before the reply, as GDBusObjectManagerServer does
        self.announce(path)
        return path

    def on_job(self, c, sender, path, iface, method, params, invocation):
        if method == "GetError":
            job = self.jobs[path]
            invocation.return_value(self.GLib.Variant("(ss)", (job.get("error_name", ""),
                                                               job.get("message", ""))))
            return
        self.record(event="cancel", job=path, sender=sender)
        invocation.return_value(None)
        self.complete(path, False, ERROR + "Cancelled", "cancelled on request")

    def complete(self, path, success, name, message):
        job = self.jobs[path]
        if job["done"]:
            return
        job["done"] = True
        job["error_name"], job["message"] = name, message
        if success:
            state = "succeeded"
        else:
            state = "cancelled" if name.endswith("Cancelled") else "failed"
        self.set_props(
            path,
            State=state,
            Checksum=CHECKSUM if success else "",
            ErrorName=name,
        )
        self.conn.emit_signal(
            None,
            path,
            BUS_NAME + ".Job",
            "Completed",
            self.GLib.Variant("(bs)", (success, name)),
        )
        self.record(event="completed", job=path, success=success, name=name)

    # -- the scenario

    def run_job(self, path):
        job = self.jobs[path]
        if "agent" in job["options"]:
            self.set_props(path, State="waiting-for-passphrase")
            self.ask(path, [])
        else:
            self.progress(path)
        return False

    def ask(self, path, answers):
        job = self.jobs[path]
        hints = {
            "new": self.GLib.Variant("b", True),
            "confirm": self.GLib.Variant("b", len(answers) == 1),
        }
        if self.config.get("agent_drive_hint"):
            hints["drive"] = self.GLib.Variant("s", "/dev/sr0")

        def on_reply(conn, result, data):
            try:
                reply = conn.call_finish(result)
            except self.GLib.Error as e:
                name = self.Gio.DBusError.get_remote_error(e) or ""
                self.record(event="agent-error", job=path, name=name, message=e.message)
                if not job["done"]:
                    self.complete(path, False, ERROR + "PassphraseRequired", "no passphrase")
                return
            answer = bytes(reply.get_child_value(0).get_data_as_bytes().get_data()).decode()
            self.record(event="agent-reply", job=path, passphrase=answer, confirm=len(answers) == 1)
            answers.append(answer)
            if len(answers) == 1:
                self.ask(path, answers)
            elif answers[0] != answers[1]:
                self.complete(path, False, ERROR + "Passphrase", "the passphrases differ")
            else:
                self.progress(path)

        if self.config.get("agent_cancel_after_ms"):
            self.GLib.timeout_add(self.config["agent_cancel_after_ms"], self.give_up, path)
        asked = self.config.get("ask_other_job", path)
        self.conn.call(
            job["sender"],
            job["options"]["agent"],
            BUS_NAME + ".PassphraseAgent",
            "RequestPassphrase",
            self.GLib.Variant("(osa{sv})", (asked, self.config.get("message", PROMPT[:-2]), hints)),
            self.GLib.VariantType("(ay)"),
            self.Gio.DBusCallFlags.NONE,
            120000,
            None,
            on_reply,
            None,
        )

    def give_up(self, path):
        """What the service does when the agent takes too long."""
        job = self.jobs[path]
        self.conn.call_sync(
            job["sender"],
            job["options"]["agent"],
            BUS_NAME + ".PassphraseAgent",
            "Cancel",
            self.GLib.Variant("(o)", (path,)),
            None,
            self.Gio.DBusCallFlags.NONE,
            -1,
            None,
        )
        self.record(event="agent-cancel", job=path)
        message = "nobody typed the passphrase in time"
        self.complete(path, False, ERROR + "PassphraseRequired", message)
        return False

    def progress(self, path):
        job = self.jobs[path]
        if job["done"]:
            return
        steps = self.config.get("steps", 4)
        total = 8 * 1024 * 1024
        job["step"] += 1
        step = job["step"]
        done = min(step, steps) * total // steps
        self.set_props(
            path,
            State="running",
            Phase="writing",
            Progress=min(step, steps) / steps,
            BytesDone=done,
            BytesTotal=total,
            Rate=4 * 1024 * 1024,
            FifoFill=0.9,
        )
        self.record(event="progress", job=path, step=step)
        mode = self.config.get("mode", "normal")
        if step >= steps:
            if mode == "hang":
                return
            if mode == "vanish":
                self.remove(path)
                self.record(event="removed", job=path)
                return
            if mode == "die":
                self.record(event="dying")
                os._exit(0)
            result = self.config.get("result", [True, "", ""])
            name = ERROR + result[1] if result[1] else ""
            self.complete(path, result[0], name, result[2])
            return
        self.GLib.timeout_add(self.config.get("step_ms", 100), self.progress, path)


def fake_main(address, config_path):
    import gi

    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib

    config = json.loads(Path(config_path).read_text())
    flags = (
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    )
    conn = Gio.DBusConnection.new_for_address_sync(address, flags, None, None)
    service = FakeService(conn, config)
    service.start()
    reply = conn.call_sync(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "RequestName",
        GLib.Variant("(su)", (BUS_NAME, 4)),
        None,
        Gio.DBusCallFlags.NONE,
        -1,
        None,
    )
    print(json.dumps({"name": conn.get_unique_name(), "reply": reply.unpack()[0]}), flush=True)
    loop = GLib.MainLoop()
    # the bus fixture closes our stdin when the test ends
    GLib.unix_fd_add_full(
        GLib.PRIORITY_DEFAULT, sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, lambda *a: loop.quit()
    )
    loop.run()


if __name__ == "__main__":
    fake_main(sys.argv[1], sys.argv[2])
    sys.exit(0)


# ---- the tests ----------------------------------------------------------

import cbtest  # noqa: E402

DRIVE_SR0 = {
    "id": "sr0",
    "device": "/dev/sr0",
    "vendor": "HL-DT-ST",
    "model": "BD-RE BH16NS40",
    "media": "bd_r",
    "status": "blank",
    "capacity": 25025314816,
    "free": 25025314816,
    "speeds": [35968, 17984],
}
DRIVE_FILE = {
    "id": "test0",
    "device": "stdio:/var/tmp/disc.img",
    "media": "file",
    "status": "blank",
    "capacity": 1 << 30,
    "free": 1 << 30,
}


class Fake:
    """A fake service on the private bus, and what it recorded."""

    def __init__(self, bus, tmp_path, **config):
        self.bus = bus
        self.log = tmp_path / "fake-events.jsonl"
        self.log.write_text("")
        config.setdefault("drives", [DRIVE_SR0])
        config["log"] = str(self.log)
        path = tmp_path / "fake-config.json"
        path.write_text(json.dumps(config))
        self.proc = bus.spawn_process(
            [PYTHON, str(Path(__file__).resolve()), bus.address, str(path)]
        )
        bus.wait_for_name(BUS_NAME, self.proc)

    def events(self, kind=None):
        out = []
        for line in self.log.read_text().splitlines():
            event = json.loads(line)
            if kind is None or event["event"] == kind:
                out.append(event)
        return out

    def wait_for(self, kind, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(kind)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError("the fake saw no %r; it saw %r" % (kind, self.events()))


@pytest.fixture
def cryptburn(binaries):
    return str(binaries[0])


def run(cryptburn, bus, *args, **kwargs):
    kwargs.setdefault("env", bus.env() if bus is not None else None)
    return cbtest.run([cryptburn] + [str(a) for a in args], timeout=TIMEOUT, **kwargs)


def json_lines(proc):
    return [json.loads(line) for line in proc.stdout.decode().splitlines() if line.strip()]


@pytest.fixture
def passfile(tmp_path):
    return cbtest.write_passphrase_file(tmp_path / "passphrase", PASSPHRASE + "\n")


# -- without a service


def test_help_of_every_service_command(cryptburn):
    top = cbtest.run([cryptburn, "--help"])
    assert top.returncode == 0
    for command in ("drives", "burn", "burn-image", "jobs", "watch", "cancel"):
        assert ("  %s " % command) in top.stdout.decode()
        proc = cbtest.run([cryptburn, command, "--help"])
        assert proc.returncode == 0, cbtest.describe(proc)
        text = proc.stdout.decode()
        assert "Exit status:" in text and "  10 " in text, text


def test_burn_takes_the_image_options(cryptburn):
    image = cbtest.run([cryptburn, "image", "--help"]).stdout.decode()
    burn = cbtest.run([cryptburn, "burn", "--help"]).stdout.decode()
    wanted = set(re.findall(r"--([a-z0-9-]+)", image)) - {"help", "help-all", "output", "force"}
    have = set(re.findall(r"--([a-z0-9-]+)", burn))
    assert wanted <= have, wanted - have
    assert {"drive", "eject", "speed", "simulate", "json"} <= have


def test_service_options_are_in_the_man_page(cryptburn):
    man = (HERE.parents[1] / "doc" / "cryptburn.1").read_text().replace("\\-", "-")
    for command in ("drives", "burn", "burn-image", "jobs", "watch", "cancel"):
        text = cbtest.run([cryptburn, command, "--help"]).stdout.decode()
        options = set(re.findall(r"--([a-z0-9-]+)", text)) - {"help", "help-all"}
        missing = sorted(o for o in options if "--" + o not in man)
        assert missing == [], "%s options missing from cryptburn(1): %s" % (command, missing)
        assert ".B %s" % command in man or ".B cryptburn %s" % command in man, command
    for code in ("8", "9", "10"):
        assert ".B %s\n" % code in man


@pytest.mark.parametrize(
    "args",
    [
        ["burn"],
        ["burn", ""],
        ["burn", "--passphrase-file", "x", "--passphrase-fd", "0", "src"],
        ["burn", "--speed", "-1", "src"],
        ["burn", "--speed", "fast", "src"],
        ["burn-image"],
        ["burn-image", "a", "b"],
        ["watch"],
        ["watch", "1", "2"],
        ["cancel"],
        ["jobs", "extra"],
        ["drives", "--bogus"],
    ],
)
def test_argument_errors_need_no_service(cryptburn, args):
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent")
    proc = cbtest.run([cryptburn] + args, env=env)
    assert proc.returncode == 2, cbtest.describe(proc)
    assert proc.stderr.decode().startswith("cryptburn"), cbtest.describe(proc)


def test_no_system_bus(cryptburn):
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/socket")
    proc = cbtest.run([cryptburn, "drives"], env=env)
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "cannot connect to the system bus (unix:path=/nonexistent/socket)" in err


def test_service_not_running(cryptburn, system_bus):
    for args in (["drives"], ["jobs"], ["burn", "--passphrase-fd", "0", "/"], ["watch", "1"]):
        proc = run(cryptburn, system_bus, *args)
        assert proc.returncode == 1, cbtest.describe(proc)
        err = proc.stderr.decode()
        assert "org.cryptburn.CryptBurn1" in err and "not running" in err, err
        assert system_bus.address in err, err


# -- drives


def test_drives_text_and_json(cryptburn, system_bus, tmp_path):
    Fake(system_bus, tmp_path, drives=[DRIVE_SR0, DRIVE_FILE])
    proc = run(cryptburn, system_bus, "drives")
    assert proc.returncode == 0, cbtest.describe(proc)
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split() == ["DEVICE", "DRIVE", "MEDIA", "STATUS", "CAPACITY", "FREE", "BUSY"]
    assert lines[1].startswith("/dev/sr0") and "HL-DT-ST BD-RE BH16NS40" in lines[1]
    # g_format_size puts a no-break space between number and unit
    assert "bd_r" in lines[1] and "25.0\u00a0GB" in lines[1], lines[1]
    assert lines[2].startswith("stdio:/var/tmp/disc.img")

    proc = run(cryptburn, system_bus, "drives", "--json")
    drives = json.loads(proc.stdout)
    assert [d["device"] for d in drives] == ["/dev/sr0", "stdio:/var/tmp/disc.img"]
    assert drives[0]["object"] == ROOT_PATH + "/drives/sr0"
    assert drives[0]["write_speeds"] == [35968, 17984]
    assert drives[0]["free_bytes"] == 25025314816 and drives[0]["busy"] is False
    assert drives[0]["job"] is None


def test_no_drives(cryptburn, system_bus, tmp_path, passfile):
    Fake(system_bus, tmp_path, drives=[])
    proc = run(cryptburn, system_bus, "drives")
    assert proc.returncode == 0 and "No drives." in proc.stdout.decode()
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, tmp_path)
    assert proc.returncode == 10, cbtest.describe(proc)
    assert "no drives" in proc.stderr.decode()


# -- burn


def test_burn_with_passphrase_file(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "extra.txt").write_text("x")
    proc = run(
        cryptburn,
        system_bus,
        "burn",
        "--passphrase-file",
        passfile,
        "--volume-id",
        "TAX",
        "--graft",
        "docs/a\\=b=extra.txt",
        "--format",
        "luks1",
        "--serial",
        "S-1",
        "--eject",
        "--speed",
        "4000",
        "--simulate",
        "--pbkdf-force-iterations",
        "1000",
        "--json",
        "src",
        "/abs/other",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, cbtest.describe(proc)
    call = fake.events("call")[0]
    assert call["method"] == "BurnFiles" and call["interactive"] is False
    assert call["drive"] == ROOT_PATH + "/drives/sr0"
    assert call["sources"] == [str(tmp_path / "src"), "/abs/other"]
    options = call["options"]
    # the service receives the descriptor the client opened, never the path
    assert options["passphrase-fd"] == {"fd-content": PASSPHRASE + "\n"}
    assert "agent" not in options
    assert options["volume-id"] == "TAX" and options["format"] == "luks1"
    assert options["grafts"] == ["docs/a\\=b=%s" % (tmp_path / "extra.txt")]
    assert options["serial"] == "S-1" and options["eject"] is True
    assert options["speed"] == 4000 and options["simulate"] is True
    assert options["pbkdf-force-iterations"] == 1000
    assert "iter-time" not in options and "no-md5" not in options

    lines = json_lines(proc)
    assert all(line["job"] == ROOT_PATH + "/jobs/1" for line in lines)
    progress = [line for line in lines if line["event"] == "progress"]
    running = [line for line in progress if line["state"] == "running"]
    assert running and running[-1]["bytes_total"] == 8 * 1024 * 1024, lines
    assert running[-1]["phase"] == "writing" and running[-1]["fifo_fill"] == 0.9
    final = lines[-1]
    assert final == {
        "event": "result",
        "job": ROOT_PATH + "/jobs/1",
        "success": True,
        "error": None,
        "message": None,
        "bytes": 8 * 1024 * 1024,
        "checksum": CHECKSUM,
    }


def test_burn_with_inherited_passphrase_fd(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path)
    r, w = os.pipe()
    os.write(w, b"from a pipe\n")
    os.close(w)
    proc = run(cryptburn, system_bus, "burn", "-q", "--passphrase-fd", str(r), "/x", pass_fds=(r,))
    os.close(r)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert proc.stdout == b"" and proc.stderr == b""
    assert fake.events("call")[0]["options"]["passphrase-fd"] == {"fd-content": "from a pipe\n"}


def test_passphrase_file_missing(cryptburn, system_bus, tmp_path):
    Fake(system_bus, tmp_path)
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", tmp_path / "nope", "/x")
    assert proc.returncode == 6, cbtest.describe(proc)
    assert "nope" in proc.stderr.decode()


def test_drive_selection(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path, drives=[DRIVE_SR0, DRIVE_FILE])
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, "/x")
    assert proc.returncode == 2, cbtest.describe(proc)
    err = proc.stderr.decode()
    assert "--drive" in err and "/dev/sr0 (HL-DT-ST BD-RE BH16NS40)" in err
    assert "stdio:/var/tmp/disc.img" in err

    proc = run(
        cryptburn, system_bus, "burn", "--drive", "/dev/sr9", "--passphrase-file", passfile, "/x"
    )
    assert proc.returncode == 10, cbtest.describe(proc)
    assert "/dev/sr9" in proc.stderr.decode() and "/dev/sr0" in proc.stderr.decode()
    assert fake.events("call") == []

    for spec, drive in (
        ("stdio:/var/tmp/disc.img", "test0"),
        ("sr0", "sr0"),
        (ROOT_PATH + "/drives/test0", "test0"),
    ):
        proc = run(
            cryptburn, system_bus, "burn", "--drive", spec, "--passphrase-file", passfile, "/x"
        )
        assert proc.returncode == 0, cbtest.describe(proc)
        assert fake.events("call")[-1]["drive"] == ROOT_PATH + "/drives/" + drive


@pytest.mark.parametrize(
    "error,status",
    [
        ("NotAuthorized", 8),
        ("Busy", 9),
        ("NoSuchDrive", 10),
        ("InvalidOption", 2),
        ("Source", 3),
        ("Failed", 1),
    ],
)
def test_start_errors_map_to_exit_statuses(
    cryptburn, system_bus, tmp_path, passfile, error, status
):
    Fake(system_bus, tmp_path, start_error=[error, "the fake says %s" % error])
    proc = run(cryptburn, system_bus, "burn", "--json", "--passphrase-file", passfile, "/x")
    assert proc.returncode == status, cbtest.describe(proc)
    assert proc.stderr.decode() == "cryptburn: the fake says %s\n" % error
    assert json_lines(proc) == [
        {
            "event": "result",
            "job": None,
            "success": False,
            "error": ERROR + error,
            "message": "the fake says %s" % error,
            "bytes": 0,
            "checksum": None,
        }
    ]


@pytest.mark.parametrize(
    "error,status",
    [
        ("MediaTooSmall", 5),
        ("NoMedia", 10),
        ("UnsupportedMedia", 10),
        ("Passphrase", 6),
        ("PassphraseRequired", 6),
        ("Crypto", 1),
    ],
)
def test_job_results_map_to_exit_statuses(cryptburn, system_bus, tmp_path, passfile, error, status):
    message = "disc too small: image needs 812 MB, disc holds 700 MB"
    Fake(system_bus, tmp_path, result=[False, error, message], steps=2)
    proc = run(cryptburn, system_bus, "burn", "--json", "--passphrase-file", passfile, "/x")
    assert proc.returncode == status, cbtest.describe(proc)
    assert proc.stderr.decode() == "cryptburn: %s\n" % message
    final = json_lines(proc)[-1]
    assert final["success"] is False and final["error"] == ERROR + error
    assert final["message"] == message and final["checksum"] is None


def test_unknown_error_name_is_a_failure(cryptburn, system_bus, tmp_path, passfile):
    Fake(system_bus, tmp_path, result=[False, "SomethingNew", "new trouble"], steps=1)
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, "/x")
    assert proc.returncode == 1, cbtest.describe(proc)
    assert "new trouble" in proc.stderr.decode()


def test_quiet_without_terminal_prints_nothing(cryptburn, system_bus, tmp_path, passfile):
    Fake(system_bus, tmp_path)
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, "/x")
    assert proc.returncode == 0, cbtest.describe(proc)
    assert proc.stdout == b"" and proc.stderr == b""


# -- the passphrase agent


def burn_on_pty(cryptburn, bus, *args):
    return cbtest.spawn_on_pty([cryptburn, "burn"] + [str(a) for a in args], env=bus.env())


def test_agent_asks_twice_on_the_terminal(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path, steps=3)
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect(REPEAT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    assert term.finish() == 0, term.output
    replies = fake.events("agent-reply")
    assert [r["passphrase"] for r in replies] == [PASSPHRASE, PASSPHRASE]
    assert [r["confirm"] for r in replies] == [False, True]
    call = fake.events("call")[0]
    # polkit may ask on this terminal
    assert call["interactive"] is True
    options = call["options"]
    assert options["agent"] == CLIENT_AGENT_PATH and "passphrase-fd" not in options
    # never echoed; the progress line and the summary were drawn
    assert PASSPHRASE.encode() not in term.output
    assert b"Started job 1 on /dev/sr0." in term.output
    assert b"Writing" in term.output and b"buffer" in term.output
    assert "Finished: 8.4\u00a0MB written.".encode() in term.output


def test_agent_mismatch_fails_with_passphrase_status(cryptburn, system_bus, tmp_path):
    Fake(system_bus, tmp_path)
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect(REPEAT)
    term.wait_echo_off()
    term.type("something else\n")
    assert term.finish() == 6, term.output
    assert b"the passphrases differ" in term.output


def test_agent_strips_control_characters_from_the_message(cryptburn, system_bus, tmp_path):
    Fake(system_bus, tmp_path, message="Passphrase\x1b[2J for disc 7:")
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect("Passphrase[2J for disc 7: ")
    assert b"\x1b[2J" not in term.output
    term.proc.kill()
    term.finish()


def test_agent_without_terminal(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path)
    proc = subprocess.run(
        [cryptburn, "burn", "/x"],
        env=system_bus.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # no controlling terminal
        timeout=TIMEOUT,
    )
    assert proc.returncode == 6, cbtest.describe(proc)
    assert "--passphrase-file" in proc.stderr.decode()
    error = fake.wait_for("agent-error")[0]
    assert error["name"] == ERROR + "PassphraseRequired"


def test_agent_answers_only_the_service(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path)
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    client = fake.events("call")[0]["sender"]
    params = "(@o '%s/jobs/1', 'Passphrase', @a{sv} {})" % ROOT_PATH
    # another connection of root, which the bus policy lets through
    other = system_bus.call(
        client, CLIENT_AGENT_PATH, BUS_NAME + ".PassphraseAgent", "RequestPassphrase", params
    )
    assert other["error"] == "org.freedesktop.DBus.Error.AccessDenied", other
    assert "only the cryptburn service" in other["message"], other
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect(REPEAT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    assert term.finish() == 0, term.output


def test_agent_holds_a_request_that_overtakes_the_reply(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path, ask_early=True, steps=1)
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect(REPEAT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    assert term.finish() == 0, term.output
    assert len(fake.events("agent-reply")) == 2


def test_agent_refuses_jobs_it_did_not_start(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path, ask_other_job=ROOT_PATH + "/jobs/99")
    term = burn_on_pty(cryptburn, system_bus, "/x")
    assert term.finish() == 6, term.output
    assert PROMPT.encode() not in term.output
    error = fake.wait_for("agent-error")[0]
    assert error["name"] == "org.freedesktop.DBus.Error.AccessDenied"
    assert "not started by this client" in error["message"]


def test_service_giving_up_closes_the_prompt(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path, agent_cancel_after_ms=500)
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    term.wait_echo_off()
    assert term.finish() == 6, term.output
    assert b"nobody typed the passphrase in time" in term.output
    assert fake.events("agent-cancel")
    assert fake.wait_for("agent-error")[0]["name"] == ERROR + "Cancelled"


def test_ctrl_c_at_the_prompt_cancels_and_restores_echo(cryptburn, system_bus, tmp_path):
    fake = Fake(system_bus, tmp_path)
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    term.wait_echo_off()
    term.type("\x03")  # the terminal sends SIGINT
    assert term.finish() == 130, term.output
    assert fake.events("cancel"), fake.events()
    assert fake.wait_for("agent-error")[0]["name"] == ERROR + "Cancelled"


def test_terminal_echo_is_back_after_the_prompt(cryptburn, system_bus, tmp_path):
    Fake(system_bus, tmp_path, mode="hang")
    term = burn_on_pty(cryptburn, system_bus, "/x")
    term.expect(PROMPT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect(REPEAT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect("Writing")
    assert termios.tcgetattr(term.master)[3] & termios.ECHO
    os.killpg(term.proc.pid, signal.SIGTERM)
    assert term.finish() == 130, term.output


# -- following jobs


def test_sigint_cancels_the_burn(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path, mode="hang", steps=2)
    proc = subprocess.Popen(
        [cryptburn, "burn", "--json", "--passphrase-file", str(passfile), "/x"],
        env=system_bus.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    fake.wait_for("progress")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, (out, err)
    assert fake.events("cancel")[0]["job"] == ROOT_PATH + "/jobs/1"
    final = json.loads(out.decode().splitlines()[-1])
    assert final["error"] == ERROR + "Cancelled" and final["success"] is False
    assert "cancelled on request" in err.decode()


def test_service_vanishing(cryptburn, system_bus, tmp_path, passfile):
    Fake(system_bus, tmp_path, mode="die", steps=2)
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, "/x")
    assert proc.returncode == 1, cbtest.describe(proc)
    assert "left the bus before job 1 ended" in proc.stderr.decode()


def test_job_vanishing(cryptburn, system_bus, tmp_path, passfile):
    Fake(system_bus, tmp_path, mode="vanish", steps=2)
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, "/x")
    assert proc.returncode == 1, cbtest.describe(proc)
    assert "job 1 vanished" in proc.stderr.decode()


def test_jobs_watch_and_cancel(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path, mode="hang", steps=2)
    burn = subprocess.Popen(
        [cryptburn, "burn", "--passphrase-file", str(passfile), "/x"],
        env=system_bus.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    fake.wait_for("progress")
    time.sleep(0.3)

    proc = run(cryptburn, system_bus, "jobs")
    assert proc.returncode == 0, cbtest.describe(proc)
    lines = proc.stdout.decode().splitlines()
    assert lines[0].split() == ["JOB", "OPERATION", "STATE", "PROGRESS", "DRIVE", "UID"]
    assert lines[1].split() == ["1", "burn-files", "running", "100%", "/dev/sr0", "0"]
    proc = run(cryptburn, system_bus, "jobs", "--json")
    jobs = json.loads(proc.stdout)
    assert jobs[0]["job"] == ROOT_PATH + "/jobs/1" and jobs[0]["device"] == "/dev/sr0"
    assert jobs[0]["uid"] == 0 and jobs[0]["state"] == "running"

    proc = run(cryptburn, system_bus, "watch", "7")
    assert proc.returncode == 1 and "no job “7”" in proc.stderr.decode(), cbtest.describe(proc)

    watch = subprocess.Popen(
        [cryptburn, "watch", "--json", ROOT_PATH + "/jobs/1"],
        env=system_bus.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)
    proc = run(cryptburn, system_bus, "cancel", "1")
    assert proc.returncode == 0, cbtest.describe(proc)
    out, err = watch.communicate(timeout=TIMEOUT)
    assert watch.returncode == 130, (out, err)
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert lines[0]["event"] == "progress" and lines[0]["state"] == "running"
    assert lines[-1]["event"] == "result" and lines[-1]["error"] == ERROR + "Cancelled"
    burn.communicate(timeout=TIMEOUT)
    assert burn.returncode == 130

    # a finished job can still be watched for a while: the result again
    proc = run(cryptburn, system_bus, "watch", "1")
    assert proc.returncode == 130, cbtest.describe(proc)
    assert fake.events("cancel")[0]["job"] == ROOT_PATH + "/jobs/1"


def test_watch_ctrl_c_leaves_the_job_alone(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path, mode="hang", steps=1)
    burn = subprocess.Popen(
        [cryptburn, "burn", "--passphrase-file", str(passfile), "/x"],
        env=system_bus.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    fake.wait_for("progress")
    watch = subprocess.Popen(
        [cryptburn, "watch", "1"],
        env=system_bus.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.5)
    watch.send_signal(signal.SIGINT)
    out, err = watch.communicate(timeout=TIMEOUT)
    assert watch.returncode == 130
    assert "stopped watching; job 1 goes on" in err.decode()
    assert fake.events("cancel") == []
    burn.kill()
    burn.wait()


# -- burn-image


def test_burn_image_from_a_file(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path)
    image = tmp_path / "plain.iso"
    data = os.urandom(300 * 1024)
    image.write_bytes(data)
    proc = run(cryptburn, system_bus, "burn-image", "--passphrase-file", passfile, image)
    assert proc.returncode == 0, cbtest.describe(proc)
    call = fake.events("call")[0]
    assert call["method"] == "BurnImage"
    assert call["image"] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert call["options"]["image-size"] == len(data)


def test_burn_image_from_a_pipe(cryptburn, system_bus, tmp_path, passfile):
    fake = Fake(system_bus, tmp_path)
    data = os.urandom(100 * 1024)
    proc = run(cryptburn, system_bus, "burn-image", "--passphrase-file", passfile, "-", input=data)
    assert proc.returncode == 0, cbtest.describe(proc)
    call = fake.events("call")[0]
    assert call["image"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert "image-size" not in call["options"]


def test_burn_image_errors(cryptburn, system_bus, tmp_path, passfile):
    Fake(system_bus, tmp_path)
    proc = run(
        cryptburn, system_bus, "burn-image", "--passphrase-file", passfile, tmp_path / "nope"
    )
    assert proc.returncode == 3 and "nope" in proc.stderr.decode(), cbtest.describe(proc)
    proc = run(cryptburn, system_bus, "burn-image", "--passphrase-file", passfile, tmp_path)
    assert proc.returncode == 3 and "cryptburn burn" in proc.stderr.decode(), cbtest.describe(proc)
    (tmp_path / "empty").write_bytes(b"")
    proc = run(
        cryptburn, system_bus, "burn-image", "--passphrase-file", passfile, tmp_path / "empty"
    )
    assert proc.returncode == 3 and "empty" in proc.stderr.decode(), cbtest.describe(proc)


# -- as another user


def test_client_as_nobody_gets_the_prompt(cryptburn, system_bus, tmp_path):
    """The bus policy lets the service (root) reach the agent of a client
    of another user."""
    fake = Fake(system_bus, tmp_path, steps=1)
    term = cbtest.spawn_on_pty(
        cbtest.NOBODY + [cryptburn, "burn", "/x"], cwd="/tmp", env=system_bus.env()
    )
    term.expect(PROMPT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    term.expect(REPEAT)
    term.wait_echo_off()
    term.type(PASSPHRASE + "\n")
    assert term.finish() == 0, term.output
    assert len(fake.events("agent-reply")) == 2


# -- polkit


def test_polkit_text_agent_on_a_terminal(
    cryptburn, system_bus, polkitd_mock, tmp_path, passfile
):
    """With a terminal, the client offers polkit a text agent for itself."""
    # the template lacks the call that ends the registration; polkitd has it
    added = system_bus.call(
        "org.freedesktop.PolicyKit1",
        "/org/freedesktop/PolicyKit1/Authority",
        "org.freedesktop.DBus.Mock",
        "AddMethod",
        "('org.freedesktop.PolicyKit1.Authority', 'UnregisterAuthenticationAgent', "
        "'(sa{sv})o', '', '')",
    )
    assert "error" not in added, added
    Fake(system_bus, tmp_path, steps=1)
    term = burn_on_pty(cryptburn, system_bus, "--passphrase-file", passfile, "/x")
    assert term.finish(timeout=TIMEOUT) == 0, term.output
    polkitd_mock.log.seek(0)
    log = polkitd_mock.log.read().decode()
    assert "RegisterAuthenticationAgent" in log and "unix-process" in log, log
    assert "UnregisterAuthenticationAgent" in log, log
    assert b"WARNING" not in term.output and b"CRITICAL" not in term.output, term.output


def test_no_polkit_agent_without_a_terminal(
    cryptburn, system_bus, polkitd_mock, tmp_path, passfile
):
    Fake(system_bus, tmp_path, steps=1)
    proc = run(cryptburn, system_bus, "burn", "--passphrase-file", passfile, "/x")
    assert proc.returncode == 0, cbtest.describe(proc)
    polkitd_mock.log.seek(0)
    assert "RegisterAuthenticationAgent" not in polkitd_mock.log.read().decode()
