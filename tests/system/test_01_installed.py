# SPDX-License-Identifier: GPL-3.0-or-later
"""The package installs with apt and leaves the service to D-Bus activation."""
import os
import re
import subprocess

from conftest import service_state

SHIPPED = ["/usr/bin/cryptburn", "/usr/libexec/cryptburnd", "/usr/libexec/cryptburn-reader",
           "/lib/systemd/system/cryptburnd.service",
           "/usr/share/dbus-1/system-services/org.cryptburn.CryptBurn1.service",
           "/usr/share/dbus-1/system.d/org.cryptburn.CryptBurn1.conf",
           "/usr/share/polkit-1/actions/org.cryptburn.policy"]


def test_apt_installs_the_package_with_its_dependencies(vm):
    assert "Setting up cryptburn" in vm.install.out, vm.install
    r = vm.ok(["dpkg-query", "-W", "-f", "${Status}", "cryptburn"])
    assert r.out == "install ok installed"
    for path in SHIPPED:
        vm.ok(["test", "-e", path])


def test_installing_starts_nothing(vm):
    # dh_installsystemd --no-start: the service runs when a client calls it
    assert service_state(vm) == "inactive"


def exposure(text):
    m = re.search(r"Overall exposure level for cryptburnd\.service: ([0-9.]+)", text)
    assert m, text
    return float(m.group(1))


def test_security_inside_the_vm_matches_the_offline_figure(vm, debs, workdir):
    online = vm.ok(["systemd-analyze", "security", "--no-pager", "cryptburnd.service"])
    # the shipped unit, unpacked from the same .deb on the host
    unpacked = os.path.join(workdir, "unpacked")
    subprocess.run(["dpkg-deb", "-x", debs, unpacked], check=True)
    offline = subprocess.run(
        ["systemd-analyze", "security", "--no-pager", "--offline=true",
         os.path.join(unpacked, "lib/systemd/system/cryptburnd.service")],
        stdout=subprocess.PIPE, text=True)
    assert exposure(online.out) == exposure(offline.stdout)
    assert exposure(online.out) <= 2.0
