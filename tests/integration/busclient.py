# SPDX-License-Identifier: GPL-3.0-or-later
"""A scriptable D-Bus client of cryptburnd for the tests: what another
burning program would do, without the cryptburn command line in between.

    busclient.py ADDRESS submit METHOD JSON
        METHOD is BurnFiles, BurnImage or WriteImage; JSON gives
          {"drive": PATH, "sources": [...], "options": {NAME: [SIGNATURE, VALUE]},
           "fds": {"image_stream"|"output"|OPTION: FILE-PATH (read-only), "pipe:TEXT",
                   "write:PATH" (write-only, created or truncated) or
                   "rdwr:PATH" (read-write, created if missing, not truncated)},
           "agent": "good" | "mismatch" | "silent" | "refuse" | null,
           "passphrase": TEXT, "passphrase_repeat": N (the agent answers
           TEXT N times over), "wait": true, "interactive": false,
           "history": false, "cancel_in_phase": PHASE}
        prints {"job": PATH} once submitted (or {"error", "message"}), then,
        when waiting, {"completed": [success, error_name, message]} (the
        message from Job.GetError, asked after Completed),
        "agent_calls": [...], "agent_cancels": N}; with "history", also
        "history": the job's property changes as they came, each
        {"t": monotonic seconds, PROPERTY: VALUE, ...}, and "elapsed": the
        seconds from the job's start to Completed; "cancel_in_phase"
        cancels the job as soon as its Phase is announced as PHASE
    busclient.py ADDRESS watch JOB
        prints the Completed signal of JOB as above
    busclient.py ADDRESS call PATH INTERFACE METHOD GVARIANT-TEXT
        prints {"reply": ...} or {"error", "message"}

It stays on the bus until it prints its last line, so an agent it exports
lives on the connection that submitted the job, as the API requires.
"""

import json
import os
import sys
import time

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = "org.cryptburn.CryptBurn1"
AGENT_PATH = "/org/cryptburn/test/agent"
AGENT_XML = """
<node>
  <interface name="org.cryptburn.CryptBurn1.PassphraseAgent">
    <method name="RequestPassphrase">
      <arg name="job" type="o" direction="in"/>
      <arg name="message" type="s" direction="in"/>
      <arg name="hints" type="a{sv}" direction="in"/>
      <arg name="passphrase" type="ay" direction="out"/>
    </method>
    <method name="Cancel">
      <arg name="job" type="o" direction="in"/>
    </method>
  </interface>
</node>
"""
TIMEOUT_MS = 120 * 1000


def emit(obj):
    print(json.dumps(obj), flush=True)


def connect(address):
    flags = (
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    )
    return Gio.DBusConnection.new_for_address_sync(address, flags, None, None)


def error_of(e):
    name = Gio.DBusError.get_remote_error(e) or "local"
    Gio.DBusError.strip_remote_error(e)
    return {"error": name, "message": e.message}


class Agent:
    def __init__(self, conn, mode, passphrase):
        self.mode = mode
        self.passphrase = passphrase.encode()
        self.calls = []
        self.cancels = 0
        info = Gio.DBusNodeInfo.new_for_xml(AGENT_XML).interfaces[0]
        conn.register_object(AGENT_PATH, info, self.on_call, None, None)

    def on_call(self, conn, sender, path, iface, method, params, invocation):
        if method == "Cancel":
            self.cancels += 1
            invocation.return_value(None)
            return
        job, message, hints = params.unpack()
        self.calls.append({"job": job, "message": message, "hints": hints})
        if self.mode == "silent":
            # keep the invocation alive and never answer
            self.calls[-1]["_invocation"] = invocation
            return
        if self.mode == "refuse":
            invocation.return_dbus_error("org.example.Refused", "the user said no")
            return
        answer = self.passphrase
        if self.mode == "mismatch" and hints.get("confirm"):
            answer = answer + b"-typo"
        # from bytes, not a list of numbers: a passphrase_repeat of
        # megabytes is built in no time
        value = GLib.Variant.new_from_bytes(GLib.VariantType.new("ay"), GLib.Bytes.new(answer),
                                            True)
        invocation.return_value(GLib.Variant.new_tuple(value))


def completion(conn, job, args):
    """Completed's [success, error_name] and the message GetError tells
    the job's own uid (the signal goes to every client: no message in it)."""
    success, name = args
    if success:
        return [True, name, ""]
    try:
        reply = conn.call_sync(
            BUS_NAME, job, "org.cryptburn.CryptBurn1.Job", "GetError",
            GLib.Variant("(a{sv})", ({},)), GLib.VariantType("(ss)"),
            Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
        )
        return [False, name, reply.unpack()[1]]
    except GLib.Error as e:
        return [False, name, "GetError: " + e.message]


def submit(conn, method, spec):
    loop = GLib.MainLoop()
    fds = Gio.UnixFDList.new()
    options = {}
    keep = []

    def fd_for(source):
        if source.startswith("pipe:"):
            r, w = os.pipe()
            os.write(w, source[5:].encode())
            os.close(w)
            keep.append(r)
            return fds.append(r)
        if source.startswith("write:"):
            fd = os.open(source[6:], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        elif source.startswith("rdwr:"):
            fd = os.open(source[5:], os.O_RDWR | os.O_CREAT, 0o600)
        else:
            fd = os.open(source, os.O_RDONLY)
        keep.append(fd)
        return fds.append(fd)

    for name, (signature, value) in spec.get("options", {}).items():
        options[name] = GLib.Variant(signature, value)
    handles = {}
    for name, source in spec.get("fds", {}).items():
        handle = fd_for(source)
        if name in ("image_stream", "output"):
            handles[name] = handle
        else:
            options[name] = GLib.Variant("h", handle)

    agent = None
    if spec.get("agent"):
        agent = Agent(conn, spec["agent"],
                      spec.get("passphrase", "") * spec.get("passphrase_repeat", 1))
        options["agent"] = GLib.Variant("o", AGENT_PATH)

    if method == "BurnFiles":
        params = GLib.Variant("(oasa{sv})", (spec["drive"], spec.get("sources", []), options))
    elif method == "BurnImage":
        params = GLib.Variant("(oha{sv})", (spec["drive"], handles["image_stream"], options))
    else:
        params = GLib.Variant(
            "(hasa{sv})", (handles["output"], spec.get("sources", []), options)
        )

    completed = {}

    def on_signal(c, sender, path, iface, signal, args):
        if completed.get("job") == path:
            completed["args"] = list(args.unpack())
            loop.quit()
        else:
            completed.setdefault("early", {})[path] = list(args.unpack())

    conn.signal_subscribe(
        None, "org.cryptburn.CryptBurn1.Job", "Completed", None, None,
        Gio.DBusSignalFlags.NONE, on_signal,
    )
    history = []

    def on_changed(c, sender, path, iface, signal, args):
        name, changed, _ = args.unpack()
        if name != "org.cryptburn.CryptBurn1.Job":
            return
        history.append((path, dict(changed, t=time.monotonic())))
        if spec.get("cancel_in_phase") and changed.get("Phase") == spec["cancel_in_phase"]:
            c.call(BUS_NAME, path, "org.cryptburn.CryptBurn1.Job", "Cancel",
                   GLib.Variant("(a{sv})", ({},)), None, Gio.DBusCallFlags.NONE,
                   TIMEOUT_MS, None, None)

    if spec.get("history") or spec.get("cancel_in_phase"):
        conn.signal_subscribe(
            None, "org.freedesktop.DBus.Properties", "PropertiesChanged", None,
            "org.cryptburn.CryptBurn1.Job", Gio.DBusSignalFlags.NONE, on_changed,
        )
    flags = Gio.DBusCallFlags.NONE
    if spec.get("interactive"):
        flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
    try:
        reply, _ = conn.call_with_unix_fd_list_sync(
            BUS_NAME, "/org/cryptburn/CryptBurn1/Manager", "org.cryptburn.CryptBurn1.Manager",
            method, params, GLib.VariantType("(o)"), flags, TIMEOUT_MS, fds, None,
        )
    except GLib.Error as e:
        emit(error_of(e))
        return
    for fd in keep:
        os.close(fd)
    job = reply.unpack()[0]
    started = time.monotonic()
    completed["job"] = job
    emit({"job": job})
    if not spec.get("wait", True):
        return
    if job in completed.get("early", {}):
        completed["args"] = completed["early"][job]
    else:
        GLib.timeout_add_seconds(600, loop.quit)
        loop.run()
    args = completed.get("args")
    result = {"completed": completion(conn, job, args) if args is not None else None}
    if agent is not None:
        result["agent_calls"] = [
            {k: v for k, v in call.items() if not k.startswith("_")} for call in agent.calls
        ]
        result["agent_cancels"] = agent.cancels
    if spec.get("history"):
        result["history"] = [entry for path, entry in history if path == job]
        result["elapsed"] = time.monotonic() - started
    emit(result)


def watch(conn, job):
    loop = GLib.MainLoop()
    result = {}

    def on_signal(c, sender, path, iface, signal, args):
        result["completed"] = completion(c, job, list(args.unpack()))
        loop.quit()

    conn.signal_subscribe(
        BUS_NAME, "org.cryptburn.CryptBurn1.Job", "Completed", job, None,
        Gio.DBusSignalFlags.NONE, on_signal,
    )
    # it may have ended already
    try:
        state = conn.call_sync(
            BUS_NAME, job, "org.freedesktop.DBus.Properties", "Get",
            GLib.Variant("(ss)", ("org.cryptburn.CryptBurn1.Job", "State")),
            None, Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
        ).unpack()[0]
    except GLib.Error as e:
        emit(error_of(e))
        return
    if state in ("succeeded", "failed", "cancelled"):
        name = conn.call_sync(
            BUS_NAME, job, "org.freedesktop.DBus.Properties", "Get",
            GLib.Variant("(ss)", ("org.cryptburn.CryptBurn1.Job", "ErrorName")),
            None, Gio.DBusCallFlags.NONE, TIMEOUT_MS, None,
        ).unpack()[0]
        emit({"completed": completion(conn, job, [state == "succeeded", name])})
        return
    GLib.timeout_add_seconds(600, loop.quit)
    loop.run()
    emit(result)


def call(conn, path, iface, method, text):
    params = GLib.Variant.parse(None, text, None, None) if text else None
    try:
        reply = conn.call_sync(
            BUS_NAME, path, iface, method, params, None, Gio.DBusCallFlags.NONE,
            TIMEOUT_MS, None,
        )
    except GLib.Error as e:
        emit(error_of(e))
        return
    emit({"reply": reply.print_(True) if reply is not None else "()"})


def main(argv):
    conn = connect(argv[1])
    if argv[2] == "submit":
        submit(conn, argv[3], json.loads(argv[4]))
    elif argv[2] == "watch":
        watch(conn, argv[3])
    elif argv[2] == "call":
        call(conn, argv[3], argv[4], argv[5], argv[6] if len(argv) > 6 else "")
    else:
        raise SystemExit("unknown command %r" % argv[2])
    conn.flush_sync(None)


if __name__ == "__main__":
    main(sys.argv)
