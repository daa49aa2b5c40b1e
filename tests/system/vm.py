# SPDX-License-Identifier: GPL-3.0-or-later
"""The system-test VM, seen from the host (tests/system).

Boots the image of build-image under qemu with software emulation (TCG: no
KVM needed), on a throwaway copy-on-write overlay, and talks to the root
agent inside (guest/agent) over a virtio serial port; qemu's monitor (QMP)
inserts and ejects discs in the emulated CD-ROM drive.
"""
import base64
import itertools
import json
import os
import socket
import subprocess
import threading
import time
import zlib


class AgentError(Exception):
    pass


class Result:
    def __init__(self, ans, argv):
        self.argv = argv
        self.rc = ans["rc"]
        self.out = base64.b64decode(ans["out"]).decode(errors="replace")
        self.err = base64.b64decode(ans["err"]).decode(errors="replace")
        self.timed_out = ans.get("timed_out", False)

    def __repr__(self):
        return "<%r: rc %s%s\n--- stdout\n%s--- stderr\n%s>" % (
            self.argv, self.rc, " (timed out)" if self.timed_out else "", self.out, self.err)


class VM:
    def __init__(self, image, workdir, memory_mb=2048, cpus=2):
        self.image = image
        self.workdir = workdir
        self.memory_mb = memory_mb
        self.cpus = cpus
        self.console_log = os.path.join(workdir, "console.log")
        self._ids = itertools.count(1)
        self._pending = {}
        self._lock = threading.Lock()
        self._agent = None
        self._qmp = None
        self.proc = None
        self.boot_seconds = None

    # --- qemu
    def start(self, timeout=900):
        overlay = os.path.join(self.workdir, "root.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
                        "-b", os.path.join(self.image, "root.img"), overlay], check=True)
        self.agent_path = os.path.join(self.workdir, "agent.sock")
        self.qmp_path = os.path.join(self.workdir, "qmp.sock")
        argv = [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-cpu", "max",
            "-smp", str(self.cpus), "-m", str(self.memory_mb),
            "-kernel", os.path.join(self.image, "vmlinuz"),
            "-initrd", os.path.join(self.image, "initrd.img"),
            "-append", "root=/dev/vda rw console=ttyS0 panic=-1 "
                       "systemd.show_status=no",
            "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe" % overlay,
            # the CD-ROM drive, empty: a SATA (AHCI) ATAPI drive, /dev/sr0
            "-drive", "if=none,id=cd0,media=cdrom,readonly=on",
            "-device", "ide-cd,drive=cd0,bus=ide.1,id=cdrom0",
            "-device", "virtio-serial-pci",
            "-chardev", "socket,id=agent,path=%s,server=on,wait=off" % self.agent_path,
            "-device", "virtserialport,chardev=agent,name=org.cryptburn.test",
            "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path,
            "-serial", "file:%s" % self.console_log,
            "-display", "none", "-vga", "std", "-nic", "none", "-no-reboot",
        ]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.workdir, "qemu.log"), "wb"),
                                     stderr=subprocess.STDOUT)
        self._connect_qmp(t0 + 30)
        self._connect_agent(t0 + timeout)
        self.boot_seconds = time.monotonic() - t0

    def _wait_socket(self, path, deadline):
        while True:
            if self.proc.poll() is not None:
                raise AgentError("qemu exited with %s; see %s" % (self.proc.returncode, self.workdir))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise AgentError("no socket %s" % path)
                time.sleep(0.1)

    def _connect_qmp(self, deadline):
        s = self._wait_socket(self.qmp_path, deadline)
        self._qmp = s.makefile("rwb", buffering=0)
        self._qmp_lock = threading.Lock()
        json.loads(self._qmp.readline())  # the greeting
        self.qmp("qmp_capabilities")

    def qmp(self, command, **arguments):
        with self._qmp_lock:
            msg = {"execute": command}
            if arguments:
                msg["arguments"] = arguments
            self._qmp.write(json.dumps(msg).encode() + b"\n")
            while True:
                ans = json.loads(self._qmp.readline())
                if "event" in ans:
                    continue
                if "error" in ans:
                    raise AgentError("QMP %s: %s" % (command, ans["error"]))
                return ans.get("return")

    def insert_disc(self, path):
        self.qmp("blockdev-change-medium", id="cdrom0", filename=path,
                 format="raw", **{"read-only-mode": "read-only"})

    def eject_disc(self):
        self.qmp("eject", id="cdrom0", force=True)

    # --- the agent
    def _connect_agent(self, deadline):
        s = self._wait_socket(self.agent_path, deadline)
        self._agent = s
        self._agent_file = s.makefile("rb")
        threading.Thread(target=self._read_agent, daemon=True).start()
        # the agent starts late in the boot; until then nothing answers
        while True:
            try:
                self.request({"op": "ping"}, timeout=5)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise AgentError("the VM's agent did not answer; see %s" % self.console_log)

    def _read_agent(self):
        for line in self._agent_file:
            try:
                ans = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                waiter = self._pending.pop(ans.get("id"), None)
            if waiter:
                waiter[1].append(ans)
                waiter[0].set()
        with self._lock:
            for ev, box in self._pending.values():
                ev.set()

    def request(self, req, timeout=None):
        req = dict(req)
        req["id"] = next(self._ids)
        ev, box = threading.Event(), []
        with self._lock:
            self._pending[req["id"]] = (ev, box)
            self._agent.sendall(json.dumps(req).encode() + b"\n")
        if not ev.wait(timeout):
            with self._lock:
                self._pending.pop(req["id"], None)
            raise TimeoutError("no answer to %r" % req.get("op"))
        if not box:
            raise AgentError("the agent's connection closed")
        if "error" in box[0]:
            raise AgentError(box[0]["error"])
        return box[0]

    def wait_for_session(self, timeout=300):
        """Waits until alice's console login serves her session agent."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.ok(["true"], user="alice", timeout=30)
            except AgentError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def run(self, argv, user="root", stdin=b"", timeout=600, env=None, cwd=None):
        if isinstance(argv, str):
            argv = ["sh", "-c", argv]
        if isinstance(stdin, str):
            stdin = stdin.encode()
        req = {"op": "run", "argv": argv, "user": user, "timeout": timeout,
               "stdin": base64.b64encode(stdin).decode(), "env": env or {}, "cwd": cwd}
        return Result(self.request(req, timeout=timeout + 60), argv)

    def run_async(self, argv, **kw):
        """Starts run() on a thread; .result() waits for its Result."""
        box = {}

        def go():
            try:
                box["r"] = self.run(argv, **kw)
            except Exception as e:  # re-raised by result()
                box["e"] = e

        t = threading.Thread(target=go, daemon=True)
        t.start()

        class Pending:
            def result(self, timeout=None):
                t.join(timeout)
                if t.is_alive():
                    raise TimeoutError("%r still running" % (argv,))
                if "e" in box:
                    raise box["e"]
                return box["r"]
        return Pending()

    def ok(self, argv, **kw):
        r = self.run(argv, **kw)
        if r.rc != 0:
            raise AgentError("command failed: %r" % r)
        return r

    def read(self, path, offset=0, length=-1):
        ans = self.request({"op": "read", "path": path, "offset": offset, "length": length},
                           timeout=600)
        data = base64.b64decode(ans["data"])
        return zlib.decompress(data) if ans.get("zlib") else data

    def size(self, path):
        return self.request({"op": "stat", "path": path}, timeout=60)["size"]

    def copy_out(self, path, host_path, piece=2 << 20):
        """Copies a guest file of any size to the host, piece by piece."""
        size = self.size(path)
        with open(host_path, "wb") as f:
            for offset in range(0, size, piece):
                f.write(self.read(path, offset, piece))
        return size

    def write(self, path, data, mode=0o644, owner=None):
        if isinstance(data, str):
            data = data.encode()
        self.request({"op": "write", "path": path, "mode": mode, "owner": owner, "zlib": True,
                      "data": base64.b64encode(zlib.compress(data, 1)).decode()}, timeout=600)

    # --- the end
    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.qmp("system_powerdown")
            self.proc.wait(60)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
