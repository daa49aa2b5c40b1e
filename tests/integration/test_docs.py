# SPDX-License-Identifier: GPL-3.0-or-later
"""The help text and the manual page say the same things, and the manual
page renders cleanly."""

import re
import subprocess
from pathlib import Path

import cbtest

MAN = Path(__file__).resolve().parents[2] / "doc" / "cryptburn.1"


def _help(cb, *args):
    result = cb.run(*args, "--help")
    assert result.returncode == 0, cbtest.describe(result)
    return result.stdout.decode()


def test_man_page_renders_without_warnings():
    result = subprocess.run(
        ["man", "--warnings", "-l", str(MAN)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0
    assert result.stderr == b"", result.stderr.decode()
    assert b"EXIT STATUS" in result.stdout


def test_every_image_option_is_in_the_man_page(cb):
    text = _help(cb, "image")
    options = set(re.findall(r"--([a-z0-9-]+)", text)) - {"help", "help-all"}
    assert {"format", "passphrase-file", "passphrase-fd", "force", "json"} <= options
    man = MAN.read_text().replace("\\-", "-")
    missing = sorted(o for o in options if "--" + o not in man)
    assert missing == [], "options missing from cryptburn(1): %s" % missing


def test_exit_statuses_are_in_help_and_man_page(cb):
    text = _help(cb)
    man = MAN.read_text()
    for code in ("0", "1", "2", "3", "4", "5", "6", "7", "130"):
        assert re.search(r"^\s+%s\s" % code, text, re.M), "exit %s not in --help" % code
        assert ".B %s\n" % code in man, "exit %s not in cryptburn(1)" % code


def test_unknown_command_is_a_usage_error(cb):
    result = cb.run("frobnicate")
    assert result.returncode == 2
    assert b"frobnicate" in result.stderr


def test_every_subcommand_option_is_in_the_man_page(cb):
    man = MAN.read_text().replace("\\-", "-")
    for command in ("info", "drives", "burn", "burn-image", "jobs", "watch", "cancel",
                    "blank", "eject"):
        text = _help(cb, command)
        options = set(re.findall(r"--([a-z0-9-]+)", text)) - {"help", "help-all"}
        missing = sorted(o for o in options if "--" + o not in man)
        assert missing == [], "%s options missing from cryptburn(1): %s" % (command, missing)
        assert re.search(r"\.B(?:R)? %s\b" % command.replace("-", "\\\\?-"), MAN.read_text()) or \
            ("cryptburn " + command) in man, command


def test_every_daemon_option_is_in_its_man_page():
    import os
    from daemon_fixtures import build_dir
    daemon = build_dir() / "daemon" / "cryptburnd"
    result = subprocess.run([str(daemon), "--help"], stdout=subprocess.PIPE, check=True)
    options = set(re.findall(r"--([a-z0-9-]+)", result.stdout.decode())) - {"help", "help-all"}
    page = (MAN.parent / "cryptburnd.8").read_text().replace("\\-", "-")
    missing = sorted(o for o in options if "--" + o not in page)
    assert missing == [], "options missing from cryptburnd(8): %s" % missing
    result = subprocess.run(["man", "--warnings", "-l", str(MAN.parent / "cryptburnd.8")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and result.stderr == b"", result.stderr.decode()
    assert os.access(daemon, os.X_OK)


def test_every_dbus_member_is_documented():
    """The interface XML is the API's reference: a comment precedes every
    interface, method, property and signal, and every error is listed."""
    xml = (MAN.parents[1] / "dbus" / "org.cryptburn.CryptBurn1.xml").read_text()
    members = re.findall(r"(<!--(?:(?!-->).)*-->\s*)?<(interface|method|property|signal) "
                         r"name=\"([^\"]+)\"", xml, re.S)
    assert len(members) > 30
    undocumented = [name for comment, _, name in members if not comment]
    assert undocumented == []
    for error in ("NotAuthorized", "Busy", "NoMedia", "MediaTooSmall", "UnsupportedMedia",
                  "InvalidOption", "Cancelled", "PassphraseRequired", "Failed", "NoSuchDrive"):
        assert "org.cryptburn.CryptBurn1.Error." + error in xml


def test_every_job_option_and_error_is_documented():
    """Every a{sv} option the daemon accepts (its one table in
    daemon/cb-options.c) and every error name of the CB_ERROR domain
    (common/cb-error.c) is described in the interface XML."""
    repo = MAN.parents[1]
    xml = (repo / "dbus" / "org.cryptburn.CryptBurn1.xml").read_text()
    table = (repo / "daemon" / "cb-options.c").read_text()
    table = table[table.index("cb_option_specs[]"):]
    table = table[:table.index("};")]
    options = re.findall(r'\{ "([a-z0-9-]+)", "', table)
    assert {"format", "keyfile-fd", "checksum", "compress"} <= set(options)
    comments = " ".join(re.findall(r"<!--(.*?)-->", xml, re.S))
    # described where it is listed: "  name (t)" opening a line, "name (t), "
    # in a list of several, or '"name" (t' in a method's own description
    missing = [o for o in options
               if not re.search(r'(^\s+|\), |")%s"? \([a-z{}]+[),]' % re.escape(o),
                                comments, re.M)]
    assert missing == [], "options not described in the D-Bus XML: %s" % missing
    errors = re.findall(r'CB_DBUS_ERROR_PREFIX "([A-Za-z]+)"',
                        (repo / "common" / "cb-error.c").read_text())
    assert {"Failed", "ChecksumMismatch", "NoChecksum"} <= set(errors)
    missing = [e for e in errors if "org.cryptburn.CryptBurn1.Error." + e not in xml]
    assert missing == [], "errors not listed in the D-Bus XML: %s" % missing


def test_every_translatable_file_is_in_potfiles():
    """A C file that marks strings with _() or N_() but is missing from
    po/POTFILES would leave its messages untranslated, silently."""
    top = MAN.parents[1]
    listed = set((top / "po" / "POTFILES").read_text().split())
    marked = re.compile(r"\b(N_|_)\(\"")
    missing = sorted(
        str(path.relative_to(top))
        for folder in ("client", "common", "daemon")
        for path in (top / folder).glob("*.c")
        if marked.search(path.read_text())
        and str(path.relative_to(top)) not in listed)
    assert missing == [], "not in po/POTFILES: %s" % missing
