# SPDX-License-Identifier: GPL-3.0-or-later
"""A private system bus for the integration tests, and bus parties to put on it.

Fixtures (imported into conftest.py):
  system_bus     a dbus-daemon with tests/integration/system-bus.conf.in, which
                 includes the project's own dbus/org.cryptburn.CryptBurn1.conf
  polkitd_mock   python-dbusmock's polkitd template on that bus, as root
  logind_mock    python-dbusmock's logind template on that bus, as root

Code that runs in another process, as root or as another user (through
setpriv), runs this file as a script with the bus address first:

  dbus_fixtures.py ADDRESS own NAME
      asks for NAME; prints {"reply": "(uint32 1,)"} or {"error": ERROR-NAME}
  dbus_fixtures.py ADDRESS call DEST PATH INTERFACE METHOD PARAMETERS
      PARAMETERS in GVariant text form, e.g. "(@o '/', @as [], @a{sv} {})";
      INTERFACE "-" sends the call without an interface field;
      prints {"reply": ...} or {"error": ..., "message": ...}
  dbus_fixtures.py ADDRESS serve
      owns org.cryptburn.CryptBurn1 and exports the interfaces of
      dbus/org.cryptburn.CryptBurn1.xml, plus the ObjectManager, answering
      every method call with the error STUB_ERROR: a stand-in for cryptburnd
      where a test asks only whether the bus delivers a message
  dbus_fixtures.py ADDRESS agent
      exports a PassphraseAgent at AGENT_PATH that answers "stub passphrase"

serve and agent print one line, {"name": UNIQUE-NAME} or {"error": ...}, and
run until their standard input closes.
"""

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
INTERFACE_XML = REPO / "dbus" / "org.cryptburn.CryptBurn1.xml"
POLICY_FILE = REPO / "dbus" / "org.cryptburn.CryptBurn1.conf"

BUS_NAME = "org.cryptburn.CryptBurn1"
ROOT_PATH = "/org/cryptburn/CryptBurn1"
MANAGER_PATH = ROOT_PATH + "/Manager"
DRIVE_PATH = ROOT_PATH + "/drives/stub"
JOB_PATH = ROOT_PATH + "/jobs/1"
AGENT_PATH = "/org/cryptburn/test/agent"
STUB_ERROR = "org.cryptburn.CryptBurn1.Error.Failed"
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
PYTHON = "/usr/bin/python3"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

# generous: the suite also runs under ASan/UBSan on a 2-core machine
TIMEOUT = 30

_OBJECT_MANAGER_XML = """
<node>
  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects">
      <arg type="a{oa{sa{sv}}}" name="objects" direction="out"/>
    </method>
  </interface>
  <interface name="org.cryptburn.CryptBurn1.Unlisted">
    <method name="Poke"/>
  </interface>
</node>
"""


# ---- the script side: one bus party per process ---------------------------


def _gio():
    import gi

    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib

    return Gio, GLib


def _connect(address):
    Gio, _ = _gio()
    flags = (
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    )
    return Gio.DBusConnection.new_for_address_sync(address, flags, None, None)


def _call(conn, dest, path, iface, method, params):
    """{"reply": text form} or {"error": name, "message": text}; iface None
    sends no interface field."""
    Gio, _ = _gio()
    message = Gio.DBusMessage.new_method_call(dest, path, iface, method)
    message.set_body(params)
    try:
        reply, _ = conn.send_message_with_reply_sync(
            message, Gio.DBusSendMessageFlags.NONE, TIMEOUT * 1000, None
        )
    except Exception as e:  # a local failure: no connection, timeout
        return {"error": "local", "message": str(e)}
    if reply.get_message_type() == Gio.DBusMessageType.ERROR:
        body = reply.get_body()
        text = body.get_child_value(0).get_string() if body and body.n_children() else ""
        return {"error": reply.get_error_name(), "message": text}
    body = reply.get_body()
    return {"reply": body.print_(True) if body is not None else "()"}


def _own(conn, name):
    _, GLib = _gio()
    # 4: DBUS_NAME_FLAG_DO_NOT_QUEUE
    return _call(
        conn,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "RequestName",
        GLib.Variant("(su)", (name, 4)),
    )


def _default_value(signature):
    _, GLib = _gio()
    zero = {"s": "", "o": "/", "g": "", "b": False, "d": 0.0}
    if signature[0] in "a":
        return GLib.Variant(signature, {} if signature.startswith("a{") else [])
    return GLib.Variant(signature, zero.get(signature, 0))


def _serve_until_stdin_closes(conn):
    _, GLib = _gio()
    loop = GLib.MainLoop()
    # any input or its end stops the party
    GLib.unix_fd_add_full(
        GLib.PRIORITY_DEFAULT, sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, lambda *a: loop.quit()
    )
    conn.connect("closed", lambda *a: loop.quit())
    loop.run()


def _register(conn, path, info, on_call):
    conn.register_object(
        path,
        info,
        on_call,
        lambda c, sender, p, iface, prop: _default_value(info.lookup_property(prop).signature),
        None,
    )


def _serve(conn):
    Gio, GLib = _gio()
    node = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML.read_text())
    extra = Gio.DBusNodeInfo.new_for_xml(_OBJECT_MANAGER_XML)

    def stub(c, sender, path, iface, method, params, invocation):
        invocation.return_dbus_error(STUB_ERROR, "stub reached: %s.%s" % (iface, method))

    def managed_objects(c, sender, path, iface, method, params, invocation):
        invocation.return_value(GLib.Variant("(a{oa{sa{sv}}})", ({},)))

    _register(conn, MANAGER_PATH, node.lookup_interface(BUS_NAME + ".Manager"), stub)
    _register(conn, DRIVE_PATH, node.lookup_interface(BUS_NAME + ".Drive"), stub)
    _register(conn, JOB_PATH, node.lookup_interface(BUS_NAME + ".Job"), stub)
    # an interface of the service that the policy does not list, and the
    # agent interface, which only clients implement: nobody may reach either
    _register(conn, MANAGER_PATH, extra.lookup_interface(BUS_NAME + ".Unlisted"), stub)
    _register(conn, MANAGER_PATH, node.lookup_interface(BUS_NAME + ".PassphraseAgent"), stub)
    _register(
        conn,
        ROOT_PATH,
        extra.lookup_interface("org.freedesktop.DBus.ObjectManager"),
        managed_objects,
    )
    result = _own(conn, BUS_NAME)
    if "error" in result:
        print(json.dumps(result), flush=True)
        return
    print(json.dumps({"name": conn.get_unique_name()}), flush=True)
    _serve_until_stdin_closes(conn)


def _agent(conn):
    Gio, GLib = _gio()
    node = Gio.DBusNodeInfo.new_for_xml(INTERFACE_XML.read_text())

    def answer(c, sender, path, iface, method, params, invocation):
        if method == "RequestPassphrase":
            invocation.return_value(GLib.Variant("(ay)", (b"stub passphrase",)))
        else:
            invocation.return_value(None)

    _register(conn, AGENT_PATH, node.lookup_interface(BUS_NAME + ".PassphraseAgent"), answer)
    print(json.dumps({"name": conn.get_unique_name()}), flush=True)
    _serve_until_stdin_closes(conn)


def main(argv):
    _, GLib = _gio()
    address, command, args = argv[1], argv[2], argv[3:]
    conn = _connect(address)
    if command == "own":
        print(json.dumps(_own(conn, args[0])))
    elif command == "call":
        dest, path, iface, method, params = args
        iface = None if iface == "-" else iface
        print(json.dumps(_call(conn, dest, path, iface, method, GLib.Variant.parse(None, params))))
    elif command == "serve":
        _serve(conn)
    elif command == "agent":
        _agent(conn)
    else:
        raise SystemExit("unknown command %r" % command)


# ---- the pytest side ------------------------------------------------------


class SystemBus:
    """A running private system bus and ways to put parties on it."""

    def __init__(self, address, directory):
        self.address = address
        self.directory = directory
        self._children = []
        self._logs = []
        self._conn = None

    def env(self):
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        return env

    def _command(self, args, user):
        assert user in ("root", "nobody"), user
        prefix = NOBODY if user == "nobody" else []
        return prefix + [PYTHON, str(Path(__file__).resolve()), self.address] + args

    def _log(self, what):
        log = open(self.directory / ("%s-%d.log" % (what, len(self._logs))), "w+b")
        self._logs.append(log)
        return log

    def run(self, *args, user="root"):
        """Runs one script command (own, call) as user; returns its JSON answer."""
        proc = subprocess.run(
            self._command(list(args), user),
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
        out = proc.stdout.decode().strip().splitlines()
        assert proc.returncode == 0 and out, "%r exited %d\nstdout: %s\nstderr: %s" % (
            args,
            proc.returncode,
            proc.stdout.decode(),
            proc.stderr.decode(),
        )
        return json.loads(out[-1])

    def call(self, dest, path, iface, method, params, user="root"):
        """A method call from a new connection of user; params in GVariant text form."""
        return self.run("call", dest, path, iface, method, params, user=user)

    def spawn(self, *args, user="root"):
        """Starts a long-lived script command (serve, agent) as user and
        returns its first line; it runs until the bus fixture ends."""
        log = self._log(args[0])
        proc = subprocess.Popen(
            self._command(list(args), user),
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        self._children.append(proc)
        ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
        line = proc.stdout.readline() if ready else b""
        if not line:
            proc.kill()
            proc.wait()
            log.seek(0)
            raise AssertionError("%r did not start: %s" % (args, log.read().decode()))
        return json.loads(line)

    def spawn_process(self, cmd):
        """Starts any program as root with this bus as its system bus."""
        log = self._log(Path(cmd[0]).name)
        proc = subprocess.Popen(
            cmd, env=self.env(), stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT
        )
        proc.log = log
        proc.stop_with_sigterm = True
        self._children.append(proc)
        return proc

    def has_owner(self, name):
        _, GLib = _gio()
        if self._conn is None:
            self._conn = _connect(self.address)
        reply = _call(
            self._conn,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            GLib.Variant("(s)", (name,)),
        )
        return reply == {"reply": "(true,)"}

    def wait_for_name(self, name, proc):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                proc.log.seek(0)
                raise AssertionError(
                    "%s exited %d before owning %s: %s"
                    % (proc.args, proc.returncode, name, proc.log.read().decode())
                )
            if self.has_owner(name):
                return
            time.sleep(0.1)
        raise AssertionError("nobody owns %s after %d s" % (name, TIMEOUT))

    def close(self):
        if self._conn is not None:
            self._conn.close_sync(None)
            self._conn = None
        # script parties end with their stdin; other programs (the mocks
        # ignore stdin) get SIGTERM, as systemd would stop them
        for proc in self._children:
            proc.stdin.close()
            if getattr(proc, "stop_with_sigterm", False) and proc.poll() is None:
                proc.terminate()
        for proc in self._children:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        for log in self._logs:
            log.close()
        self._children = []
        self._logs = []


@pytest.fixture
def system_bus():
    """A private system bus with the project's policy, run by root."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the bus policy treats root and other users differently")
    for tool in ("dbus-daemon", "setpriv"):
        if shutil.which(tool) is None:
            pytest.fail("the D-Bus tests need %s (scripts/install-deps)" % tool)
    # in /tmp with mode 0755 so that a client run as nobody reaches the socket
    directory = Path(tempfile.mkdtemp(prefix="cryptburn-bus-", dir="/tmp"))
    os.chmod(directory, 0o755)
    config = directory / "system-bus.conf"
    config.write_text(
        (HERE / "system-bus.conf.in")
        .read_text()
        .replace("@SOCKET_PATH@", str(directory / "system_bus_socket"))
        .replace("@POLICY_FILE@", str(POLICY_FILE))
    )
    log = open(directory / "dbus-daemon.log", "w+b")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--config-file=" + str(config), "--nofork", "--print-address=1"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    ready, _, _ = select.select([daemon.stdout], [], [], TIMEOUT)
    address = daemon.stdout.readline().decode().strip() if ready else ""
    bus = SystemBus(address, directory)
    try:
        if not address:
            daemon.kill()
            daemon.wait()
            log.seek(0)
            pytest.fail("dbus-daemon did not start: %s" % log.read().decode())
        yield bus
    finally:
        bus.close()
        if daemon.poll() is None:
            daemon.terminate()
            daemon.wait(timeout=TIMEOUT)
        daemon.stdout.close()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)


def _mock(bus, template, name):
    proc = bus.spawn_process([PYTHON, "-m", "dbusmock", "--system", "--template", template])
    bus.wait_for_name(name, proc)
    return proc


@pytest.fixture
def polkitd_mock(system_bus):
    """python-dbusmock's polkitd, as root; its org.freedesktop.DBus.Mock
    methods (SetAllowed, AllowUnknown, ...) decide what it authorizes."""
    return _mock(system_bus, "polkitd", "org.freedesktop.PolicyKit1")


@pytest.fixture
def logind_mock(system_bus):
    """python-dbusmock's logind, as root (Inhibit hands out a pipe fd)."""
    return _mock(system_bus, "logind", "org.freedesktop.login1")


if __name__ == "__main__":
    main(sys.argv)
