# SPDX-License-Identifier: GPL-3.0-or-later
"""Configuration files, as enciso had them: the system file, the user's
file, --config FILE and the command line, each overriding the one before
(cryptburn(1), CONFIGURATION).

Every run gets its own HOME, XDG_CONFIG_HOME and CRYPTBURN_SYSTEM_CONFIG,
so the configuration of the machine and of the user running the tests
never reaches cryptburn.
"""

import json
import os
import re
from pathlib import Path

import pytest

import cbtest

CONFIG_SOURCE = Path(__file__).resolve().parents[2] / "client" / "cb-config.c"


class Config:
    """The files one run of cryptburn reads, and the environment it runs in."""

    def __init__(self, root):
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True)
        self.xdg = root / "xdg"
        self.system = root / "etc" / "cryptburn.conf"
        self.system.parent.mkdir()
        self.user = self.xdg / "cryptburn" / "cryptburn.conf"
        self.user.parent.mkdir(parents=True)
        self.extra = root / "extra.conf"
        self.env = dict(
            os.environ,
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.xdg),
            CRYPTBURN_SYSTEM_CONFIG=str(self.system),
        )

    @staticmethod
    def write(path, *lines):
        Path(path).write_text("".join(line + "\n" for line in lines))
        return path


@pytest.fixture
def conf(tmp_path):
    return Config(tmp_path / "config")


@pytest.fixture
def source(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    (src / "hello.txt").write_text("hello\n")
    return src


def plain_image(cb, conf, source, *args, json_flag=True, expect=0):
    """cryptburn image in the plain format (no key stretching, so fast);
    returns the process and, with --json, its report."""
    cmd = ["image", source, "-o", cb.path("image.plain"), "--format", "plain"]
    cmd += ["--passphrase-file", cb.passfile, "--allow-weak-passphrase", "--quiet"]
    cmd += ["--json"] if json_flag else []
    proc = cb.run(*cmd, *args, env=conf.env)
    assert proc.returncode == expect, cbtest.describe(proc)
    report = json.loads(proc.stdout) if expect == 0 and proc.stdout.strip() else None
    return proc, report


def volume_id(cb, conf, source, *args):
    return plain_image(cb, conf, source, *args)[1]["volume_id"]


def test_each_file_overrides_the_one_before(cb, conf, source):
    conf.write(conf.system, "volume-id = SYSTEM_A")
    assert volume_id(cb, conf, source) == "SYSTEM_A"
    conf.write(conf.user, "volume-id = USER_B")
    assert volume_id(cb, conf, source) == "USER_B"
    conf.write(conf.extra, "volume-id = EXTRA_C")
    assert volume_id(cb, conf, source, "--config", conf.extra) == "EXTRA_C"
    assert volume_id(cb, conf, source, "--config=%s" % conf.extra) == "EXTRA_C"
    assert volume_id(cb, conf, source, "--config", conf.extra, "--volume-id", "CLI_D") == "CLI_D"
    # the command line wins wherever it stands
    assert volume_id(cb, conf, source, "--volume-id=CLI_E", "--config", conf.extra) == "CLI_E"


def test_user_file_defaults_to_home_config(cb, conf, source):
    del conf.env["XDG_CONFIG_HOME"]
    in_home = conf.home / ".config" / "cryptburn" / "cryptburn.conf"
    in_home.parent.mkdir(parents=True)
    conf.write(in_home, "volume-id = IN_HOME")
    assert volume_id(cb, conf, source) == "IN_HOME"


def test_last_occurrence_in_a_file_wins(cb, conf, source):
    conf.write(conf.user, "volume-id = FIRST", "volume-id = SECOND")
    assert volume_id(cb, conf, source) == "SECOND"


def test_comments_blank_lines_and_whitespace(cb, conf, source):
    conf.write(
        conf.user,
        "# volume-id = HASHED",
        "   % volume-id = PERCENT",
        "",
        "   \t",
        "  volume-id \t=   SPACED  ",
        "\t# a comment after the setting changes nothing",
    )
    assert volume_id(cb, conf, source) == "SPACED"


def test_a_later_file_turns_a_flag_off(cb, conf, source):
    conf.write(conf.system, "json = yes")
    proc, report = plain_image(cb, conf, source, json_flag=False)
    assert report is not None and report["format"] == "plain"
    conf.write(conf.user, "json = no")
    proc, report = plain_image(cb, conf, source, json_flag=False)
    assert proc.stdout == b"" and report is None
    conf.write(conf.extra, "json = On")
    proc, report = plain_image(cb, conf, source, "--config", conf.extra, json_flag=False)
    assert report is not None


@pytest.mark.parametrize(
    "word,on",
    [("yes", True), ("true", True), ("on", True), ("1", True), ("YES", True),
     ("no", False), ("false", False), ("off", False), ("0", False)],
)
def test_flag_words(cb, conf, source, word, on):
    conf.write(conf.user, "json = %s" % word)
    proc, report = plain_image(cb, conf, source, json_flag=False)
    assert (report is not None) == on, cbtest.describe(proc)


def test_info_takes_its_flag_from_a_file(cb, conf, source):
    image, _ = cb.image(source, env=conf.env)
    conf.write(conf.user, "json = yes")
    proc = cb.run("info", image, env=conf.env)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert json.loads(proc.stdout)["format"] == "luks2"
    conf.write(conf.extra, "json = no")
    proc = cb.run("info", image, "--config", conf.extra, env=conf.env)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert proc.stdout.startswith(b"Image:"), cbtest.describe(proc)


def _tree(cb, conf, source, *extra):
    image, _ = cb.image(source, extra=extra, env=conf.env)
    out = cb.extract(cb.decrypt(image))
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_array_lines_gather_and_the_command_line_replaces_them(cb, conf, source, tmp_path):
    for name in ("one", "two", "three", "old"):
        (tmp_path / name).write_text(name + "\n")
    conf.write(conf.system, "graft = old/old=%s" % (tmp_path / "old"))
    conf.write(conf.user, "graft = a/one=%s" % (tmp_path / "one"),
               "graft = b/two=%s" % (tmp_path / "two"))
    # one file's lines add up; the system file's list is replaced
    assert _tree(cb, conf, source) == ["a/one", "b/two", "hello.txt"]
    # the command line's list replaces the files' lists
    assert _tree(cb, conf, source, "--graft", "c/three=%s" % (tmp_path / "three")) == [
        "c/three",
        "hello.txt",
    ]


def test_options_of_other_commands_are_skipped(cb, conf, source):
    conf.write(
        conf.user,
        "drive = /dev/sr0",
        "eject = yes",
        "speed = 4",
        "simulate = yes",
        "volume-id = SHARED",
    )
    assert volume_id(cb, conf, source) == "SHARED"


def test_tilde_is_the_home_directory(cb, conf, source):
    cbtest.write_passphrase_file(conf.home / "secret")
    conf.write(conf.user, "passphrase-file = ~/secret", "volume-id = FROM_HOME")
    proc = cb.run(
        "image", source, "-o", cb.path("image.plain"), "--format", "plain",
        "--allow-weak-passphrase", "--quiet", "--json", env=conf.env,
    )
    assert proc.returncode == 0, cbtest.describe(proc)
    assert json.loads(proc.stdout)["volume_id"] == "FROM_HOME"


BAD_LINES = [
    ("forrmat = luks2", "unknown option “forrmat”"),
    ("format luks2", "expected “option = value”"),
    ("= luks2", "no option name before “=”"),
    ("json = maybe", "“json” takes yes or no, not “maybe”"),
    ("iter-time = fast", "“iter-time” takes a whole number, not “fast”"),
    ("passphrase-fd = 3", "“passphrase-fd” cannot be set in a configuration file"),
    ("config = other.conf", "“config” cannot be set in a configuration file"),
    ("help = yes", "“help” cannot be set in a configuration file"),
    ("version = yes", "“version” cannot be set in a configuration file"),
    ("--format = luks2", "unknown option “--format”"),
]


@pytest.mark.parametrize("line,message", BAD_LINES, ids=[b[0] for b in BAD_LINES])
@pytest.mark.parametrize("where", ["system", "user", "extra"])
def test_bad_line_names_file_and_line(cb, conf, source, line, message, where):
    path = getattr(conf, where)
    conf.write(path, "# settings", "", line, "volume-id = NEVER")
    args = ["--config", conf.extra] if where == "extra" else []
    proc, _ = plain_image(cb, conf, source, *args, expect=2)
    err = proc.stderr.decode()
    assert "cryptburn: %s:3: %s" % (path, message) in err, err
    assert proc.stdout == b""


def test_missing_config_file_is_an_error(cb, conf, source):
    missing = conf.root / "nonexistent.conf"
    proc, _ = plain_image(cb, conf, source, "--config", missing, expect=2)
    assert str(missing) in proc.stderr.decode()


def test_missing_system_and_user_files_are_fine(cb, conf, source):
    assert not conf.system.exists() and not conf.user.exists()
    assert volume_id(cb, conf, source, "--volume-id", "NO_FILES") == "NO_FILES"


def test_unreadable_file_is_an_error(cb, conf, source):
    conf.user.mkdir()  # a directory where the file should be
    proc, _ = plain_image(cb, conf, source, expect=2)
    assert str(conf.user) in proc.stderr.decode()


def test_help_works_with_a_broken_file(cb, conf):
    conf.write(conf.user, "nonsense")
    proc = cb.run("image", "--help", env=conf.env)
    assert proc.returncode == 0, cbtest.describe(proc)
    assert b"--config=FILE" in proc.stdout


def _commands(cb, conf):
    """The commands that "cryptburn --help" lists."""
    proc = cb.run("--help", env=conf.env)
    assert proc.returncode == 0, cbtest.describe(proc)
    text = proc.stdout.decode()
    block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    commands = [line.split()[0] for line in block.splitlines() if line.strip()]
    assert {"image", "info", "burn", "burn-image", "drives", "jobs"} <= set(commands), text
    return commands


def _help_options(cb, conf, command):
    proc = cb.run(command, "--help", env=conf.env)
    assert proc.returncode == 0, cbtest.describe(proc)
    return set(re.findall(r"^\s+(?:-\S, )?--([a-z0-9-]+)", proc.stdout.decode(), re.M))


def test_every_command_reads_the_files(cb, conf):
    conf.write(conf.user, "", "forrmat = luks2")
    for command in _commands(cb, conf):
        assert "config" in _help_options(cb, conf, command), command
        # a broken file stops every command before it does anything
        proc = cb.run(command, env=conf.env)
        assert proc.returncode == 2, "%s: %s" % (command, cbtest.describe(proc))
        assert "%s:2: unknown option “forrmat”" % conf.user in proc.stderr.decode(), command


def test_option_list_matches_the_commands(cb, conf):
    """cb-config.c's list of every command's options, which tells another
    command's option (skipped) from a mistake (an error), cannot drift."""
    source = CONFIG_SOURCE.read_text()
    m = re.search(r"cb_config_all_options\[\] = \{(.*?)\};", source, re.S)
    assert m is not None, "no cb_config_all_options in %s" % CONFIG_SOURCE
    listed = set(re.findall(r'"([^"]+)"', m.group(1)))
    offered = set()
    for command in _commands(cb, conf):
        offered |= _help_options(cb, conf, command)
    offered -= {"help", "help-all", "config"}
    assert sorted(offered - listed) == [], "options missing from cb_config_all_options"
    assert sorted(listed - offered) == [], \
        "cb_config_all_options names options no command has"
