# SPDX-License-Identifier: GPL-3.0-or-later
"""A polkit authority that never answers for some actions: what a wedged
polkitd, or one waiting forever for an authentication agent, looks like
to cryptburnd. It authorizes every other action at once.

    stalling_polkitd.py ACTION...   (on $DBUS_SYSTEM_BUS_ADDRESS)

Checks of the named actions are held unanswered until the process ends;
it prints {"held": N} on stdout each time one more is held.
"""

import json
import os
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

XML = """
<node>
  <interface name="org.freedesktop.PolicyKit1.Authority">
    <method name="CheckAuthorization">
      <arg type="(sa{sv})" name="subject" direction="in"/>
      <arg type="s" name="action_id" direction="in"/>
      <arg type="a{ss}" name="details" direction="in"/>
      <arg type="u" name="flags" direction="in"/>
      <arg type="s" name="cancellation_id" direction="in"/>
      <arg type="(bba{ss})" name="result" direction="out"/>
    </method>
    <method name="CancelCheckAuthorization">
      <arg type="s" name="cancellation_id" direction="in"/>
    </method>
    <property type="s" name="BackendName" access="read"/>
    <property type="s" name="BackendVersion" access="read"/>
    <property type="u" name="BackendFeatures" access="read"/>
  </interface>
</node>
"""


def main(stalled):
    conn = Gio.DBusConnection.new_for_address_sync(
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"],
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
        | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None,
    )
    held = []

    def on_call(c, sender, path, iface, method, params, invocation):
        if method == "CancelCheckAuthorization":
            invocation.return_value(None)
            return
        action = params.unpack()[1]
        if action in stalled:
            held.append(invocation)
            print(json.dumps({"held": len(held)}), flush=True)
            return
        invocation.return_value(GLib.Variant("((bba{ss}))", ((True, False, {}),)))

    def on_get(c, sender, path, iface, name):
        return {"BackendName": GLib.Variant("s", "stalling"),
                "BackendVersion": GLib.Variant("s", "0"),
                "BackendFeatures": GLib.Variant("u", 0)}[name]

    info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
    conn.register_object("/org/freedesktop/PolicyKit1/Authority", info, on_call, on_get, None)
    conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                   "RequestName", GLib.Variant("(su)", ("org.freedesktop.PolicyKit1", 4)),
                   None, Gio.DBusCallFlags.NONE, -1, None)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main(set(sys.argv[1:]))
