# SPDX-License-Identifier: GPL-3.0-or-later
"""The German translation as the proof that every user-visible string goes
through gettext: po/de.po translates every message the sources mark, the
German locale shows German text in the CLI, the polkit policy and the
desktop files get their German texts at build time (polkit's and the
desktop ITS rules, i18n.merge_file)."""

import os
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from daemon_fixtures import REPO, build_dir

PO = REPO / "po"
# meson's "glib" preset, as po/meson.build uses it
KEYWORDS = ["-k_", "-kN_", "-kC_:1c,2", "-kNC_:1c,2", "-kg_dcgettext:2", "-kg_dngettext:2,3",
            "-kg_dpgettext2:2c,3"]


def german_env():
    """German messages from the build tree's catalogue: LANGUAGE picks the
    language (glibc honours it with C.UTF-8), CRYPTBURN_LOCALEDIR the
    catalogue (common/cb-i18n.c)."""
    env = dict(os.environ, LANGUAGE="de", LC_ALL="C.UTF-8",
               CRYPTBURN_LOCALEDIR=str(build_dir() / "po"))
    return env


def test_linguas_names_german():
    assert "de" in (PO / "LINGUAS").read_text().split()


def test_german_catalogue_is_complete_and_valid(tmp_path):
    pot = tmp_path / "cryptburn.pot"
    subprocess.run(["xgettext", "--from-code=UTF-8", "--add-comments", *KEYWORDS,
                    "--directory", str(REPO), "--files-from", str(PO / "POTFILES"),
                    "-o", str(pot)], check=True)
    # every message the sources mark has a German translation, none fuzzy
    subprocess.run(["msgcmp", str(PO / "de.po"), str(pot)], check=True)
    stats = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null",
                            str(PO / "de.po")], capture_output=True, text=True, check=True)
    assert "fuzzy" not in stats.stderr and "untranslated" not in stats.stderr, stats.stderr
    assert (build_dir() / "po" / "de" / "LC_MESSAGES" / "cryptburn.mo").is_file()


def test_cli_help_is_german(binaries):
    proc = subprocess.run([binaries[0], "--help"], env=german_env(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc
    assert "„cryptburn BEFEHL --help“ zeigt die Optionen eines Befehls." in proc.stdout
    assert "shows a command's options" not in proc.stdout
    # and English without the German catalogue
    english = subprocess.run([binaries[0], "--help"],
                             env=dict(german_env(), LANGUAGE="en"),
                             capture_output=True, text=True)
    assert "shows a command's options" in english.stdout


def test_cli_errors_are_german(binaries, tmp_path):
    proc = subprocess.run([binaries[0], "image", "--format", "nosuch",
                           str(tmp_path), "-o", str(tmp_path / "x.img")],
                          env=german_env(), capture_output=True, text=True)
    assert proc.returncode == 2, proc
    assert "unbekanntes Format „nosuch“; bekannte Formate: luks2" in proc.stderr, proc.stderr


def test_polkit_policy_is_translated_at_build_time():
    policy = build_dir() / "polkit" / "org.cryptburn.policy"
    root = ET.parse(policy).getroot()
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for action in root.iter("action"):
        for tag in ("description", "message"):
            german = [e.text for e in action.findall(tag) if e.get(lang) == "de"]
            assert german and german[0], (action.get("id"), tag)
            english = [e.text for e in action.findall(tag) if e.get(lang) is None]
            assert german[0] != english[0], (action.get("id"), tag)


@pytest.mark.parametrize("path", [
    "dialog/org.cryptburn.Dialog.desktop",
    "filemanager/cryptburn-dolphin.desktop",
    "filemanager/cryptburn-thunar.desktop",
])
def test_desktop_files_are_translated_at_build_time(path):
    built = build_dir() / path
    if not built.is_file():
        pytest.skip("%s was not built (its meson option is off)" % path)
    text = built.read_text()
    assert re.search(r"^Name\[de\]=\S", text, re.M), text
