# SPDX-License-Identifier: GPL-3.0-or-later
"""An AT-SPI client of one application, in a process of its own: libatspi
keeps one accessibility bus per process, and each dialog test has its own
session bus (and so its own accessibility bus, dialog_fixtures.a11y_bus).

    atspi_client.py PID

reads one JSON command a line on stdin and answers each with one JSON line:

  {"op": "tree"}
      {"nodes": [NODE, ...]}, the accessibles of the application whose
      process is PID, depth first; NODE is {"path": [i, j, ...] (child
      indexes from the application), "role": "push button", "name": ...,
      "text": the Text interface's text or null, "states": ["sensitive", ...],
      "actions": ["click", ...]}, and "seconds": how long the walk took;
      {"error": ...} while the application is not (yet) on the
      accessibility bus
  {"op": "do", "path": [...], "role": ROLE, "name": NAME, "action": ACTION}
      runs ACTION (its name, e.g. "click") of the node at path, once it
      checked that the node there still has that role and name, else of
      the one node of that role and name elsewhere (the tree changed);
      {"done": true} or {"error": ...}

Nothing is cached: each answer is what the application says now.
"""

import json
import sys
import time
import warnings

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

# the application answers from its main loop, which a loaded machine delays
TIMEOUT_MS = 20000
# a dialog's tree is a few hundred accessibles; more means a loop
MAX_NODES = 5000
# roles whose actions are listed: GTK 4.8 answers for buttons itself, but
# for other widgets (labels, entries, check boxes) from their action muxer,
# and leaks the list each time (a leak LeakSanitizer reports when the
# dialog is built with ASan)
ACTION_ROLES = ("push button",)


def application(pid):
    desktop = Atspi.get_desktop(0)
    desktop.clear_cache()
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        try:
            if app is not None and app.get_process_id() == pid:
                app.set_cache_mask(Atspi.Cache.NONE)
                app.clear_cache()
                return app
        except Exception:  # an application that left meanwhile
            continue
    return None


def action_names(node):
    # (get_action_name: libatspi 2.46 has no get_name yet)
    return [Atspi.Action.get_action_name(node, i)
            for i in range(Atspi.Action.get_n_actions(node))]


def describe(node, path):
    role = node.get_role_name()
    states = node.get_state_set().get_states()
    item = {
        "path": path,
        "role": role,
        "name": node.get_name() or "",
        "text": None,
        "states": sorted(Atspi.StateType(s).value_nick for s in states),
        "actions": [],
    }
    interfaces = node.get_interfaces()
    if "Text" in interfaces:
        item["text"] = Atspi.Text.get_text(node, 0, Atspi.Text.get_character_count(node))
    if role in ACTION_ROLES and "Action" in interfaces:
        item["actions"] = action_names(node)
    return item


def tree(app):
    nodes = []

    def walk(node, path):
        if len(nodes) >= MAX_NODES:
            raise RuntimeError("more than %d accessibles" % MAX_NODES)
        nodes.append(describe(node, path))
        for i in range(node.get_child_count()):
            child = node.get_child_at_index(i)
            if child is not None:
                walk(child, path + [i])

    for i in range(app.get_child_count()):
        child = app.get_child_at_index(i)
        if child is not None:
            walk(child, [i])
    return nodes


def descendants(node):
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            yield child
            yield from descendants(child)


def same(node, command):
    return node.get_role_name() == command["role"] and (node.get_name() or "") == command["name"]


def at(app, path):
    node = app
    for i in path:
        node = node.get_child_at_index(i)
        if node is None:
            return None
    return node


def answer(pid, command):
    app = application(pid)
    if app is None:
        return {"error": "process %d is not on the accessibility bus" % pid}
    if command["op"] == "tree":
        start = time.monotonic()
        nodes = tree(app)
        return {"nodes": nodes, "seconds": round(time.monotonic() - start, 3)}
    if command["op"] == "do":
        node = at(app, command["path"])
        if node is None or not same(node, command):
            # the tree changed (a widget was shown or hidden): the one
            # accessible of that role and name, if there is one
            found = [n for n in descendants(app) if same(n, command)]
            if len(found) != 1:
                return {"error": "%d %s %r now" % (len(found), command["role"],
                                                   command["name"])}
            node = found[0]
        names = action_names(node) if "Action" in node.get_interfaces() else []
        if command["action"] not in names:
            return {"error": "%r has no action %r, only %r" % (
                command["name"], command["action"], names)}
        done = Atspi.Action.do_action(node, names.index(command["action"]))
        return {"done": bool(done)}
    return {"error": "unknown op %r" % command["op"]}


def main(argv):
    pid = int(argv[1])
    warnings.simplefilter("ignore", DeprecationWarning)
    Atspi.set_timeout(TIMEOUT_MS, TIMEOUT_MS)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(pid, json.loads(line))
        except Exception as e:  # GLib.Error from a call, an accessible that went away
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main(sys.argv)
