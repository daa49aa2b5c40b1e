# SPDX-License-Identifier: GPL-3.0-or-later
"""The manuals and the shell integration: every manual page renders without
warnings, cryptburn.conf(5) names every key the configuration files take,
the bash completion offers what the program has (commands, options,
formats, the service's drives), and the committed D-Bus API reference is
what docs/gen-dbus-api.py makes from the current interface XML."""

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import cbtest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "doc"
CONF_PAGE = DOC / "cryptburn.conf.5"
COMPLETION = REPO / "completion" / "cryptburn"
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")
XML = REPO / "dbus" / "org.cryptburn.CryptBurn1.xml"
GENERATOR = REPO / "docs" / "gen-dbus-api.py"
API_DOC = REPO / "docs" / "dbus-api.md"
MAN_ENV = {"MANWIDTH": "80", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}


def _man_pages():
    pages = sorted(DOC.glob("*.[158]"))
    for top in ("dialog",):
        pages += sorted(p for p in (REPO / top).rglob("*.[158]") if p.is_file())
    return pages


def _plain(troff):
    """The text of troff source, near enough to search for names."""
    text = re.sub(r"\\f[BIRP]", "", troff)
    return text.replace("\\-", "-").replace("\\&", "")


def _commands():
    """The commands of client/cryptburn.c's table."""
    source = (REPO / "client" / "cryptburn.c").read_text()
    commands = re.findall(r'\{ "([a-z-]+)", cb_cmd_', source)
    assert len(commands) >= 13, commands
    return commands


def _config_keys():
    source = (REPO / "client" / "cb-config.c").read_text()
    m = re.search(r"cb_config_all_options\[\] = \{(.*?)\};", source, re.S)
    assert m is not None, "no cb_config_all_options in client/cb-config.c"
    keys = re.findall(r'"([^"]+)"', m.group(1))
    assert len(keys) > 20, keys
    return keys


def _refused_keys():
    source = (REPO / "client" / "cb-config.c").read_text()
    m = re.search(r"cb_config_refused\[\] = \{(.*?)\};", source, re.S)
    assert m is not None
    return re.findall(r'"([^"]+)"', m.group(1))


def _help_options(cb, command):
    """The long options of COMMAND --help: {name: takes a value}."""
    result = cb.run(command, "--help")
    assert result.returncode == 0, cbtest.describe(result)
    options = {}
    for line in result.stdout.decode().splitlines():
        m = re.match(r"^\s+(?:-\S, )?--([a-z0-9-]+)(=)?", line)
        if m:
            options[m.group(1)] = m.group(2) is not None
    assert options, result.stdout.decode()
    return options


# manual pages

@pytest.mark.parametrize("page", _man_pages(), ids=lambda p: p.name)
def test_man_page_renders_without_warnings(page):
    result = subprocess.run(["man", "--warnings", "-l", str(page)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=MAN_ENV)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b"", result.stderr.decode()
    assert b"NAME" in result.stdout and b"SEE ALSO" in result.stdout


def test_the_config_page_is_among_the_man_pages():
    assert CONF_PAGE in _man_pages()
    assert "'cryptburn.conf.5'" in (DOC / "meson.build").read_text()


def test_config_page_names_every_key():
    text = _plain(CONF_PAGE.read_text())
    missing = [k for k in _config_keys() if not re.search(r"^\.BI? \"%s = " % re.escape(k),
                                                          CONF_PAGE.read_text().replace("\\-", "-"),
                                                          re.M)]
    assert missing == [], "keys without an entry in cryptburn.conf(5): %s" % missing
    for key in _refused_keys():
        assert key in text, "refused key %s not in cryptburn.conf(5)" % key
    for path in ("/etc/cryptburn/cryptburn.conf", "~/.config/cryptburn/cryptburn.conf",
                 "XDG_CONFIG_HOME", "CRYPTBURN_SYSTEM_CONFIG", "--config"):
        assert path in text, path


def test_config_page_names_the_commands_of_every_key(cb):
    """Each key's "Commands:" line is the commands whose --help has it."""
    takers = {}
    for command in _commands():
        for option in _help_options(cb, command):
            takers.setdefault(option, set()).add(command)
    source = CONF_PAGE.read_text().replace("\\-", "-")
    for key in _config_keys():
        m = re.search(r"^\.BI? \"%s = .*\n((?:Commands:.*\n)(?:(?!\.|Commands).*\\fR.*\n)*)"
                      % re.escape(key), source, re.M)
        assert m is not None, "no Commands: line for %s" % key
        listed = set(re.findall(r"\\fB([a-z-]+)\\fR", m.group(1)))
        assert listed == takers.get(key, set()), \
            "%s: the page says %s, --help says %s" % (key, sorted(listed),
                                                      sorted(takers.get(key, set())))


def test_config_page_names_every_daemon_key():
    source = (REPO / "daemon" / "cb-main.c").read_text()
    # the keys as cb-main.c reads them: g_key_file calls on "Daemon", and
    # cb_main_config_number(file, path, "KEY", ...)
    keys = set(re.findall(r'"Daemon", "([A-Za-z]+)"', source))
    keys |= set(re.findall(r'cb_main_config_number\(\s*file,\s*path,\s*"([A-Za-z]+)"', source))
    assert {"IdleTimeout", "AgentTimeout", "FifoMiB", "TestDrives"} <= keys
    text = _plain(CONF_PAGE.read_text())
    assert "[Daemon]" in text and "/etc/cryptburn/cryptburnd.conf" in text
    for key in keys:
        assert re.search(r"^\.BI %s=" % key, CONF_PAGE.read_text(), re.M), key


def test_the_other_pages_point_to_the_config_page():
    for page in ("cryptburn.1", "cryptburnd.8"):
        source = (DOC / page).read_text()
        see_also = source[source.index(".SH SEE ALSO"):]
        assert ".BR cryptburn.conf (5)" in see_also, page
        config = source[source.index(".SH CONFIGURATION"):]
        config = config[:config.index("\n.SH ", 1)]
        assert ".BR cryptburn.conf (5)" in config, page


# bash completion

def complete(words, env=None, cwd=None, timeout=30, line=None):
    """Runs the completion function on WORDS (the last being completed) as
    bash would, LINE being the command line they were split from (the
    words joined by spaces unless given); returns what it offers, and the
    time it took."""
    script = r"""
. "$BASH_COMPLETION" || exit 97
. "$COMPLETION" || exit 98
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=${LINE-$*}
COMP_POINT=${#COMP_LINE}
COMP_TYPE=9
COMP_KEY=9
COMPREPLY=()
_cryptburn "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""
    env = dict(env if env is not None else os.environ)
    env["BASH_COMPLETION"] = str(BASH_COMPLETION)
    env["COMPLETION"] = str(COMPLETION)
    env.setdefault("LC_ALL", "C.UTF-8")
    if line is not None:
        env["LINE"] = line
    start = time.monotonic()
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash"] + list(words),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                            stdin=subprocess.DEVNULL, timeout=timeout)
    elapsed = time.monotonic() - start
    assert result.returncode == 0, cbtest.describe(result)
    assert result.stderr == b"", result.stderr.decode()
    return [x for x in result.stdout.decode().split("\n") if x], elapsed


@pytest.fixture(scope="module")
def bash_completion():
    if not BASH_COMPLETION.exists():
        pytest.skip("bash-completion is not installed")
    return BASH_COMPLETION


def test_completion_offers_every_command(bash_completion, cb):
    offered, _ = complete([str(cb.binary), ""])
    missing = sorted(set(_commands()) - set(offered))
    assert missing == [], "commands not offered: %s (offered %s)" % (missing, offered)
    offered, _ = complete([str(cb.binary), "bu"])
    assert sorted(offered) == ["burn", "burn-image"]


@pytest.mark.parametrize("command", _commands())
def test_completion_offers_the_options_of_help(bash_completion, cb, command):
    """What --<TAB> offers is what COMMAND --help lists, "=" marking an
    option that takes a value."""
    options = _help_options(cb, command)
    offered, _ = complete([str(cb.binary), command, "--"])
    expected = sorted("--" + name + ("=" if value else "") for name, value in options.items())
    assert sorted(offered) == expected


def test_completion_of_burn_options(bash_completion, cb):
    offered, _ = complete([str(cb.binary), "burn", "--"])
    names = {o.rstrip("=") for o in offered}
    assert {"--drive", "--format", "--checksum", "--passphrase-file", "--eject",
            "--copies", "--config"} <= names
    offered, _ = complete([str(cb.binary), "burn", "--pass"])
    assert sorted(offered) == ["--passphrase-fd=", "--passphrase-file=", "--passphrase-hex"]


def _format_names():
    names = []
    for path in sorted((REPO / "common").glob("cb-format-*.c")):
        names += re.findall(r'\.name = "([a-z0-9-]+)"', path.read_text())
    return names


def test_completion_of_formats_and_checksums(bash_completion, cb):
    formats = _format_names()
    assert "luks2" in formats and "loop-aes" in formats
    for command in ("image", "encrypt-image", "burn", "burn-image"):
        offered, _ = complete([str(cb.binary), command, "--format", ""])
        assert sorted(offered) == sorted(formats), command
    offered, _ = complete([str(cb.binary), "image", "--format", "lu"])
    assert sorted(offered) == ["luks1", "luks2"]
    offered, _ = complete([str(cb.binary), "image", "--format=l"])
    assert sorted(offered) == ["loop-aes", "luks1", "luks2"]
    offered, _ = complete([str(cb.binary), "burn", "--checksum", ""])
    assert sorted(offered) == ["md5", "none", "sha256"]


def test_completion_of_files(bash_completion, cb, tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "passphrase").write_text("x")
    offered, _ = complete([str(cb.binary), "image", ""], cwd=tmp_path)
    assert {"photos", "notes.txt"} <= set(offered)
    offered, _ = complete([str(cb.binary), "image", "photos", "-o", "no"], cwd=tmp_path)
    assert offered == ["notes.txt"]
    offered, _ = complete([str(cb.binary), "burn", "--passphrase-file", "pa"], cwd=tmp_path)
    assert offered == ["passphrase"]
    offered, _ = complete([str(cb.binary), "info", "ph"], cwd=tmp_path)
    assert offered == ["photos"]
    # a number or a text is not completed
    offered, _ = complete([str(cb.binary), "burn", "--copies", ""], cwd=tmp_path)
    assert offered == []


def test_completion_of_drives_from_the_service(bash_completion, cb, cryptburnd):
    env = cryptburnd.bus.env()
    devices = sorted("stdio:%s" % f for f in cryptburnd.drive_files.values())
    for command in ("burn", "burn-image", "blank", "eject"):
        offered, _ = complete([str(cb.binary), command, "--drive", ""], env=env)
        assert sorted(offered) == devices, command
    offered, _ = complete([str(cb.binary), "burn", "--drive=st"], env=env)
    assert sorted(offered) == devices
    # as bash splits "stdio:/…" at the colon: what follows it is offered
    name = str(cryptburnd.drive_files["small"])
    words = [str(cb.binary), "burn", "--drive", "stdio", ":", name[:-3]]
    line = "%s burn --drive stdio:%s" % (cb.binary, name[:-3])
    offered, _ = complete(words, env=env, line=line)
    assert offered == [name]
    # and the formats it offers are those of the service
    reply = cryptburnd.get("/org/cryptburn/CryptBurn1/Manager", "org.cryptburn.CryptBurn1.Manager",
                           "SupportedFormats")
    for fmt in _format_names():
        assert "'%s'" % fmt in str(reply), (fmt, reply)


def test_completion_of_drives_without_the_service(bash_completion, cb, tmp_path):
    env = dict(os.environ)
    env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=%s" % (tmp_path / "no-bus")
    offered, elapsed = complete([str(cb.binary), "burn", "--drive", ""], env=env)
    assert offered == []
    assert elapsed < 5, "took %.1f s" % elapsed


def test_completion_is_installed_by_meson():
    build = (REPO / "completion" / "meson.build").read_text()
    assert "dependency('bash-completion'" in build
    assert "completionsdir" in build and "install_data('cryptburn'" in build


# the D-Bus API reference

def _generate():
    result = subprocess.run([sys.executable, str(GENERATOR), str(XML)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return result.stdout.decode()


def test_committed_api_reference_is_current():
    assert API_DOC.read_text() == _generate(), \
        "docs/dbus-api.md is stale: run docs/gen-dbus-api.py %s docs/dbus-api.md" % \
        XML.relative_to(REPO)


def test_built_api_reference_is_the_committed_one():
    from daemon_fixtures import build_dir
    built = build_dir() / "docs" / "dbus-api.md"
    if not built.exists():
        pytest.skip("%s not built" % built)
    assert built.read_text() == API_DOC.read_text()


def test_api_reference_documents_everything():
    doc = API_DOC.read_text()
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    raw = XML.read_text()
    parser.feed(raw)
    root = parser.close()
    for iface in root.findall("interface"):
        name = iface.get("name")
        assert "## %s\n" % name in doc, name
        for method in iface.findall("method"):
            assert "### %s.%s\n" % (name, method.get("name")) in doc
        for signal in iface.findall("signal"):
            assert "### %s.%s\n" % (name, signal.get("name")) in doc
        for prop in iface.findall("property"):
            assert "### %s:%s\n" % (name, prop.get("name")) in doc
            assert "%s  %s  %s" % (prop.get("name"), prop.get("type"), prop.get("access")) in doc
        for element in iface.findall("method") + iface.findall("signal"):
            section = doc[doc.index("### %s.%s\n" % (name, element.get("name"))):]
            section = section[:section.index("\n### ")] if "\n### " in section else section
            for arg in element.findall("arg"):
                assert "- `%s` (" % arg.get("name") in section, (element.get("name"),
                                                                  arg.get("name"))
                assert "`%s`)" % arg.get("type") in section
    # every error, every option of the a{sv}s, and every documented word of
    # the comments
    errors = set(re.findall(r"org\.cryptburn\.CryptBurn1\.Error\.[A-Za-z]+", raw))
    assert len(errors) >= 18
    for error in errors:
        assert error in doc, error
    options = re.findall(r"^      ([a-z][a-z-]*) \([a-z{}]+\)", raw, re.M)
    assert "format" in options and "image-size" in options
    for option in options:
        assert "%s (" % option in doc, option
    for comment in re.findall(r"<!--(.*?)-->", raw, re.S):
        comment = re.sub(r"SPDX-License-Identifier:.*|@short_description:", "", comment)
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_.-]{3,}", comment):
            assert word in doc, word


def test_api_reference_is_built_and_installed_by_meson():
    build = (REPO / "docs" / "meson.build").read_text()
    assert "gen-dbus-api.py" in build and "install: true" in build
