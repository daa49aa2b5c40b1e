# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults under systemd: the service killed in the middle of a burn, and a
burn longer than the unit's WatchdogSec=.

A burn is made long by --speed: on a stdio: test drive libburn throttles
writing to the speed asked (cb-burn-strategy.c), as a slow disc would."""
import json
import time

from conftest import FAST_KDF, TEST_DEVICE, TIMES, cryptburn, drives, poll, service_state

BIG = "/home/alice/big"
BIG_MB = 40
SPEED_KBS = 1000  # 40 MB at 1000 kB/s: about 40 s, longer than WatchdogSec=30s


def make_big_source(vm):
    vm.ok(["mkdir", "-p", BIG], user="alice")
    vm.ok(["sh", "-c", "test -s %s/noise || head -c %dM /dev/urandom > %s/noise" % (BIG, BIG_MB, BIG)],
          user="alice")


def unit(vm, *props):
    args = ["systemctl", "show", "cryptburnd"]
    for p in props:
        args += ["-p", p]
    out = vm.ok(args).out
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def cgroup_procs(vm):
    """{pid: command line} of every process in cryptburnd's cgroup."""
    cg = unit(vm, "ControlGroup")["ControlGroup"]
    if not cg:
        return {}
    r = vm.run(["cat", "/sys/fs/cgroup%s/cgroup.procs" % cg])
    procs = {}
    for pid in r.out.split():
        cmd = vm.run(["sh", "-c", "tr '\\0' ' ' < /proc/%s/cmdline" % pid]).out.strip()
        procs[int(pid)] = cmd
    return procs


def burn_async(vm, fmt, *extra):
    return vm.run_async(["cryptburn", "burn", "--drive=" + TEST_DEVICE, "--format=" + fmt,
                         "--passphrase-file=/home/alice/pass", "--speed=%d" % SPEED_KBS,
                         "--no-verify", "--json", *extra, BIG],
                        user="alice", timeout=600)


def guest_now(vm):
    return int(vm.ok(["date", "+%s"]).out)


def written_since(vm, t):
    r = vm.run(["stat", "-c", "%Y %s", "/var/lib/cryptburn/test.img"])
    if r.rc != 0:
        return False
    mtime, size = map(int, r.out.split())
    return mtime > t and size > (4 << 20)


def test_a_kill_mid_burn_leaves_nothing_and_frees_the_drive(vm, alice_data):
    make_big_source(vm)
    drives(vm)  # started; its PID is the one we kill
    start = guest_now(vm)
    pending = burn_async(vm, "loop-aes")
    # in the middle: the reader is sending files, the disc is being written
    poll(lambda: any("cryptburn-reader" in c for c in cgroup_procs(vm).values())
         and written_since(vm, start),
         "the burn to be under way", 240, interval=1)
    before = cgroup_procs(vm)
    print("cryptburnd's cgroup mid-burn:", before)
    assert any("cryptburn-reader" in c for c in before.values()), before

    t0 = time.monotonic()
    vm.ok(["systemctl", "kill", "-s", "KILL", "cryptburnd"])
    r = pending.result(timeout=120)
    TIMES["client's answer after the kill"] = time.monotonic() - t0
    assert r.rc != 0, r
    assert "the cryptburn service left the bus" in r.err, r
    events = [json.loads(line) for line in r.out.splitlines() if line.startswith("{")]
    assert not any(e.get("success") is True for e in events), events

    # nothing of the job is left, in the cgroup or anywhere else
    poll(lambda: not cgroup_procs(vm), "cryptburnd's cgroup to empty", 30, interval=0.5)
    for pid in before:
        assert vm.run(["kill", "-0", str(pid)]).rc != 0, "pid %d (%s) survived" % (pid, before[pid])
    leftover = vm.run(["pgrep", "-a", "-f", "cryptburn-reader|/run/cryptburnd"]).out
    assert leftover.strip() == "", leftover
    show = unit(vm, "Result", "ActiveState")
    print("after the kill:", show)
    assert show["ActiveState"] in ("inactive", "failed"), show
    # the home systemd made for gpg is gone with the service
    assert vm.run(["test", "-e", "/run/cryptburnd"]).rc != 0

    # the next call starts it again by activation, and the drive is free
    after = drives(vm)
    assert service_state(vm) == "active"
    assert after[TEST_DEVICE]["busy"] is False, after
    r = cryptburn(vm, "burn", "--drive=" + TEST_DEVICE, "--passphrase-file=/home/alice/pass",
                  *FAST_KDF, alice_data, timeout=900)
    assert r.rc == 0, r


def test_the_watchdog_does_not_fire_during_a_long_burn(vm, alice_data):
    make_big_source(vm)
    drives(vm)
    pid = unit(vm, "MainPID")["MainPID"]
    assert unit(vm, "WatchdogUSec")["WatchdogUSec"] == "30s"
    t0 = time.monotonic()
    pending = burn_async(vm, "luks2", *FAST_KDF)
    r = pending.result(timeout=600)
    took = time.monotonic() - t0
    TIMES["throttled burn of %d MB" % BIG_MB] = took
    assert r.rc == 0, r
    assert took > 35, "the burn took %.0f s: not longer than the watchdog's 30 s" % took
    show = unit(vm, "MainPID", "NRestarts", "Result")
    assert show["MainPID"] == pid and show["Result"] == "success", show
    log = vm.ok(["journalctl", "-b", "-u", "cryptburnd", "-o", "cat", "--no-pager"]).out
    # systemd's words when it kills a service for a missed ping
    assert "Watchdog timeout" not in log, log[-3000:]
