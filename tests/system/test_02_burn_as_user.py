# SPDX-License-Identifier: GPL-3.0-or-later
"""A user in an active console session burns a folder of her mode-0700 home
to the test drive: D-Bus activation, the shipped sandbox, real polkitd."""
import json
import re

from conftest import IDLE_TIMEOUT, TEST_DEVICE, TEST_DRIVE, FAST_KDF, cryptburn, service_state, poll

def test_drives_starts_the_service_by_activation(vm):
    assert service_state(vm) == "inactive"
    r = cryptburn(vm, "drives", "--json")
    assert r.rc == 0, r
    drives = json.loads(r.out)
    assert TEST_DEVICE in [d["device"] for d in drives], drives
    assert service_state(vm) == "active"
    # started by dbus-daemon through systemd, not by hand
    show = vm.ok(["systemctl", "show", "cryptburnd", "-p", "TriggeredBy", "-p", "Type",
                  "-p", "BusName", "-p", "ActiveState", "-p", "FragmentPath"]).out
    assert "Type=dbus" in show and "BusName=org.cryptburn.CryptBurn1" in show, show
    assert "FragmentPath=/lib/systemd/system/cryptburnd.service" in show, show


def test_the_sandbox_is_in_force(vm):
    show = vm.ok(["systemctl", "show", "cryptburnd", "-p", "MainPID", "-p", "ProtectSystem",
                  "-p", "ProtectHome", "-p", "NoNewPrivileges", "-p", "DevicePolicy",
                  "-p", "CapabilityBoundingSet", "-p", "LimitMEMLOCK"]).out
    props = dict(line.split("=", 1) for line in show.split("\n") if "=" in line)
    assert props["ProtectSystem"] == "strict" and props["ProtectHome"] == "read-only", props
    assert props["NoNewPrivileges"] == "yes" and props["DevicePolicy"] == "closed", props
    assert set(props["CapabilityBoundingSet"].split()) == {
        "cap_setgid", "cap_setuid", "cap_kill", "cap_sys_rawio"}, props
    pid = props["MainPID"]
    assert pid != "0"
    # what the kernel enforces on the running process
    status = vm.ok(["cat", "/proc/%s/status" % pid]).out
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status
    assert re.search(r"^Seccomp:\s+2$", status, re.M), status
    # CAP_SETGID 6, CAP_SETUID 7, CAP_KILL 5, CAP_SYS_RAWIO 17
    capbnd = int(re.search(r"^CapBnd:\s+([0-9a-f]+)$", status, re.M).group(1), 16)
    assert capbnd == (1 << 5) | (1 << 6) | (1 << 7) | (1 << 17), hex(capbnd)
    # its view of the file system: /usr and /etc read-only, /home read-only
    for path in ("/usr", "/etc", "/home/alice"):
        r = vm.run(["nsenter", "-t", pid, "-m", "sh", "-c", "touch %s/.cb-probe" % path])
        assert r.rc != 0 and "Read-only file system" in r.err, r
    vm.ok(["nsenter", "-t", pid, "-m", "test", "-w", "/var/lib/cryptburn"])


def test_polkitd_allows_burn_for_the_active_session(vm):
    r = vm.run(["sh", "-c", "pkcheck --action-id org.cryptburn.burn --process $$"], user="alice")
    assert r.rc == 0, r


def test_burn_writes_and_verifies(vm, alice_data):
    r = cryptburn(vm, "burn", "--drive=" + TEST_DEVICE, "--passphrase-file=/home/alice/pass", "--json",
                  "--volume-id=ALICE", *FAST_KDF, alice_data, timeout=1200)
    assert r.rc == 0, r
    events = [json.loads(line) for line in r.out.splitlines() if line.startswith("{")]
    assert events, r
    last = events[-1]
    assert last.get("success") is True, last
    # the service's own words, in the journal under its unit
    log = vm.ok(["journalctl", "-b", "-u", "cryptburnd", "-o", "cat", "--no-pager"]).out
    assert "copy 1 of 1 written and verified" in log, log
    # the disc is a LUKS2 volume that opens with the passphrase
    dump = vm.ok(["cryptsetup", "luksDump", TEST_DRIVE]).out
    assert "Version:       \t2" in dump, dump
    vm.ok(["cryptsetup", "open", "--test-passphrase", "--key-file=/home/alice/pass", TEST_DRIVE])


def test_the_service_exits_when_idle(vm):
    poll(lambda: service_state(vm) == "inactive", "cryptburnd to exit", IDLE_TIMEOUT + 30, interval=0.5)
    show = vm.ok(["systemctl", "show", "cryptburnd", "-p", "Result", "-p", "NRestarts"]).out
    assert "Result=success" in show, show
