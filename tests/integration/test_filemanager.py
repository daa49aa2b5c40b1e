# SPDX-License-Identifier: GPL-3.0-or-later
"""The file manager entries: the Thunar "Send To" entry and the Dolphin
service menu as configured in the build tree, and where `meson install`
puts them and the Nautilus extension. tests/filemanager holds the
extension's own test host.

CRYPTBURN_BUILDDIR (set by scripts/run-tests) names the build directory;
<repo>/build by default.
"""

import configparser
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LABEL = "Burn Encrypted…"
EXEC = "cryptburn-dialog %F"
MIME_TYPES = {"inode/directory", "application/octet-stream"}
NAUTILUS_EXPORTS = {
    "nautilus_module_initialize",
    "nautilus_module_list_types",
    "nautilus_module_shutdown",
}


@pytest.fixture(scope="module")
def builddir():
    path = Path(os.environ.get("CRYPTBURN_BUILDDIR") or REPO / "build")
    if not (path / "build.ninja").is_file():
        pytest.fail("CRYPTBURN_BUILDDIR: no configured build in %s" % path)
    return path


@pytest.fixture(scope="module")
def options(builddir):
    listed = json.loads((builddir / "meson-info" / "intro-buildoptions.json").read_text())
    return {o["name"]: o["value"] for o in listed}


@pytest.fixture(scope="module")
def validate():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.fail("the file manager tests need desktop-file-validate (desktop-file-utils)")
    return tool


def entry(builddir, options, option, name):
    if not options[option]:
        pytest.skip("configured with -D%s=false" % option)
    path = builddir / "filemanager" / name
    assert path.is_file(), "%s was not built (ninja)" % path
    return path


def parse(path):
    # case-sensitive keys, no %-interpolation: Exec holds %F
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def semicolon_list(value):
    return [v for v in value.split(";") if v]


def test_thunar_entry_validates(builddir, options, validate):
    path = entry(builddir, options, "thunar", "cryptburn-thunar.desktop")
    result = subprocess.run([validate, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "", result.stdout


def test_thunar_entry_keys(builddir, options):
    desktop = parse(entry(builddir, options, "thunar", "cryptburn-thunar.desktop"))
    main = desktop["Desktop Entry"]
    assert main["Type"] == "Application"
    assert main["Name"] == LABEL
    assert main["Exec"] == EXEC
    # Thunar 4.18 matches a Send To entry's MimeType exactly, without
    # subtypes: application/octet-stream would leave out text files and
    # every selection holding one. Without the key it is offered for all
    # local files and folders (%F keeps it off remote ones)
    assert "MimeType" not in main
    # a Send To target, not an application for the menus
    assert main["NoDisplay"] == "true"


def test_dolphin_service_menu_keys(builddir, options):
    desktop = parse(entry(builddir, options, "dolphin", "cryptburn-dolphin.desktop"))
    main = desktop["Desktop Entry"]
    assert main["Type"] == "Service"
    # needed by KF5 before 5.85 (kservices5/ServiceMenus), ignored after
    assert "KonqPopupMenu/Plugin" in semicolon_list(main["X-KDE-ServiceTypes"])
    # KIO matches application/octet-stream against every file and
    # inode/directory against folders; all/all would match both as well
    assert set(semicolon_list(main["MimeType"])) == MIME_TYPES
    # %F hands the dialog paths; KIO would download a remote file to a
    # temporary copy first, so only local files get the action
    assert main["X-KDE-Protocols"] == "file"
    actions = semicolon_list(main["Actions"])
    assert actions == ["burnEncrypted"]
    action = desktop["Desktop Action burnEncrypted"]
    assert action["Name"] == LABEL
    assert action["Icon"] == "media-optical-burn"
    assert action["Exec"] == EXEC


def test_dolphin_service_menu_validator_objects_only_to_service_keys(
    builddir, options, validate
):
    # desktop-file-validate knows Type=Service only as a KDE extension and
    # refuses MimeType and Actions there, which service menus are made of;
    # any other complaint is a real mistake
    path = entry(builddir, options, "dolphin", "cryptburn-dolphin.desktop")
    result = subprocess.run([validate, "--no-hints", str(path)], capture_output=True, text=True)
    expected = {
        'key "MimeType" is present in group "Desktop Entry", but the type is "Service"'
        ' while this key is only valid for type "Application"',
        'key "Actions" is present in group "Desktop Entry", but the type is "Service"'
        ' while this key is only valid for type "Application"',
        'required key "Name" in group "Desktop Entry" is not present',
    }
    others = [
        line
        for line in result.stdout.splitlines()
        if line.split(": ", 2)[-1] not in expected
    ]
    assert others == [], result.stdout


def installed_paths(builddir):
    """What `meson install` would install, by the configured build."""
    listed = json.loads((builddir / "meson-info" / "intro-installed.json").read_text())
    return set(listed.values())


def expected_paths(options):
    prefix = Path(options["prefix"])
    datadir = prefix / options["datadir"]
    paths = {}
    if options["dolphin"]:
        paths["dolphin"] = datadir / "kio" / "servicemenus" / "cryptburn-dolphin.desktop"
    if options["thunar"]:
        paths["thunar"] = datadir / "Thunar" / "sendto" / "cryptburn-thunar.desktop"
    if options["nautilus"] != "disabled" and nautilus_extensiondir(options) is not None:
        paths["nautilus"] = nautilus_extensiondir(options) / "libcryptburn-nautilus.so"
    return paths


def nautilus_extensiondir(options):
    """Nautilus's extension directory moved under our prefix, as pkg-config
    gives it; None without libnautilus-extension-4."""
    libdir = Path(options["prefix"]) / options["libdir"]
    result = subprocess.run(
        [
            "pkg-config",
            "--define-variable=libdir=%s" % libdir,
            "--variable=extensiondir",
            "libnautilus-extension-4",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return None
    return Path(result.stdout.strip())


def test_meson_install_puts_entries_in_standard_places(builddir, options, tmp_path):
    destdir = tmp_path / "destdir"
    result = subprocess.run(
        ["meson", "install", "-C", str(builddir), "--destdir", str(destdir), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    paths = expected_paths(options)
    for name, path in paths.items():
        staged = destdir / path.relative_to("/")
        assert staged.is_file(), "%s: nothing at %s" % (name, path)
        if name != "nautilus":
            assert parse(staged)  # the merged file, not the .in

    if "nautilus" in paths:
        staged = destdir / paths["nautilus"].relative_to("/")
        nm = subprocess.run(
            ["nm", "-D", "--defined-only", str(staged)], capture_output=True, text=True
        )
        assert nm.returncode == 0, nm.stderr
        exported = {line.split()[-1] for line in nm.stdout.splitlines()}
        assert exported == NAUTILUS_EXPORTS


def test_options_leave_the_entries_out(tmp_path):
    # intro-installed.json is written at configure time, so no build needed
    builddir = tmp_path / "build"
    result = subprocess.run(
        [
            "meson",
            "setup",
            str(builddir),
            str(REPO),
            "-Dnautilus=disabled",
            "-Ddolphin=false",
            "-Dthunar=false",
            "-Dtests=false",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = {Path(p).name for p in installed_paths(builddir)}
    assert names & {
        "cryptburn-dolphin.desktop",
        "cryptburn-thunar.desktop",
        "libcryptburn-nautilus.so",
    } == set()
