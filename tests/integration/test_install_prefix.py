# SPDX-License-Identifier: GPL-3.0-or-later
"""`meson install --prefix=DIR` writes nothing outside DIR (issue 14).

The system-wide files (unit, D-Bus policy and activation file, polkit
actions, completion, Nautilus extension) follow the prefix unless their
meson options name other places, as debian/rules does. Each test
configures its own build of this source tree in its temporary directory;
the build under test (CRYPTBURN_BUILDDIR) is not touched.
"""

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# the system files, relative to the prefix, when no option moves them
SYSTEM_FILES = {
    "lib/systemd/system/cryptburnd.service",
    "share/dbus-1/system.d/org.cryptburn.CryptBurn1.conf",
    "share/dbus-1/system-services/org.cryptburn.CryptBurn1.service",
    "share/dbus-1/interfaces/org.cryptburn.CryptBurn1.xml",
    "share/polkit-1/actions/org.cryptburn.policy",
}


def run(cmd, **kwargs):
    # DESTDIR from the caller's environment would move the install
    env = {k: v for k, v in os.environ.items() if k != "DESTDIR"}
    result = subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        timeout=600,
        **kwargs,
    )
    assert result.returncode == 0, "%s:\n%s" % (" ".join(cmd), result.stdout)
    return result.stdout


def configure(builddir, prefix, *options):
    run(["meson", "setup", str(builddir), str(REPO), "--prefix=%s" % prefix, *options])


def installed(builddir):
    """Where `meson install` would put each file, by the configured build."""
    listed = json.loads((builddir / "meson-info" / "intro-installed.json").read_text())
    return {Path(p) for p in listed.values()}


def outside(paths, prefix):
    return sorted(str(p) for p in paths if not p.is_relative_to(prefix))


def test_every_destination_follows_the_prefix(tmp_path):
    # the default options, tests included: nothing of a configuration may
    # install outside the prefix
    prefix = tmp_path / "prefix"
    configure(tmp_path / "build", prefix)
    paths = installed(tmp_path / "build")
    assert outside(paths, prefix) == []
    relative = {str(p.relative_to(prefix)) for p in paths}
    assert SYSTEM_FILES <= relative, sorted(relative)


def test_options_move_the_system_files(tmp_path):
    prefix = tmp_path / "prefix"
    system = tmp_path / "system"
    configure(
        tmp_path / "build",
        prefix,
        "-Dtests=false",
        "-Dsystemd_system_unit_dir=%s" % (system / "units"),
        "-Ddbus_system_policy_dir=%s" % (system / "policy"),
        "-Ddbus_system_services_dir=%s" % (system / "services"),
        "-Ddbus_interfaces_dir=%s" % (system / "interfaces"),
        "-Dpolkit_actions_dir=%s" % (system / "actions"),
        "-Dbash_completion_dir=%s" % (system / "completions"),
        "-Dnautilus_extension_dir=%s" % (system / "nautilus"),
    )
    paths = installed(tmp_path / "build")
    moved = {str(p.relative_to(system)) for p in paths if p.is_relative_to(system)}
    expected = {
        "units/cryptburnd.service",
        "policy/org.cryptburn.CryptBurn1.conf",
        "services/org.cryptburn.CryptBurn1.service",
        "interfaces/org.cryptburn.CryptBurn1.xml",
        "actions/org.cryptburn.policy",
    }
    assert expected <= moved, sorted(moved)
    # completion and extension only where their pkg-config files exist
    optional = moved - expected
    assert optional <= {"completions/cryptburn", "nautilus/libcryptburn-nautilus.so"}
    # a relative path is taken relative to the prefix
    configure(tmp_path / "build2", prefix, "-Dtests=false", "-Dsystemd_system_unit_dir=units")
    assert prefix / "units" / "cryptburnd.service" in installed(tmp_path / "build2")


def test_meson_install_writes_only_under_the_prefix(tmp_path):
    # for real: build, install without DESTDIR, then look at what arrived
    prefix = tmp_path / "prefix"
    builddir = tmp_path / "build"
    configure(builddir, prefix, "-Dtests=false")
    # a regression must fail here, not install into the real system
    assert outside(installed(builddir), prefix) == []
    run(["ninja", "-C", str(builddir)])
    out = run(["meson", "install", "-C", str(builddir)])
    # files a custom install script writes are in no list: there must be none
    assert "custom install script" not in out, out

    log = builddir / "meson-logs" / "install-log.txt"
    # the log names the directories meson made as well as the files
    logged = {
        Path(line)
        for line in log.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert logged, out
    assert outside(logged, prefix) == []
    logged = {p for p in logged if p.is_symlink() or not p.is_dir()}
    assert logged == installed(builddir)

    present = {p for p in prefix.rglob("*") if p.is_file() or p.is_symlink()}
    assert present == logged
    # the build and install wrote nothing else in the temporary directory
    others = [p.name for p in tmp_path.iterdir() if p not in (prefix, builddir)]
    assert others == []
