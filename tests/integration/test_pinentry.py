# SPDX-License-Identifier: GPL-3.0-or-later
"""Passphrases through pinentry when cryptburn has no terminal.

cryptburn runs in a new session (no controlling terminal) with its
standard streams on /dev/null and pipes; CRYPTBURN_PINENTRY names a fake
pinentry written here, which speaks Assuan, logs the commands it got
(never the PIN) and answers as told. cryptsetup is the oracle for what
was set. One test drives the real pinentry-curses on a pseudo-terminal."""

import json
import os
import shutil
import subprocess
import time

import pytest

import cbtest
from test_client_daemon import KDF, assert_disc_holds, make_tree

FAKE = r'''#!/usr/bin/python3
import json, os, signal, sys

CONFIG = json.loads(%(config)r)
log = open(CONFIG["log"], "a", encoding="utf-8")

def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

def escape(text):
    out = ""
    for ch in text:
        if ch in "%%\r\n":
            out += "%%%%%%02X" %% ord(ch)
        else:
            out += ch
    return out

say("OK Pleased to meet you")
answers = list(CONFIG["answers"])
repeat = False
for line in sys.stdin:
    line = line.rstrip("\n")
    log.write(line + "\n")
    log.flush()
    cmd = line.split(" ", 1)[0]
    if cmd in ("SETREPEAT", "SETREPEATERROR") and not CONFIG.get("setrepeat", True):
        say("ERR 536871187 Unknown IPC command <User defined source 1>")
        continue
    if cmd == "SETREPEAT":
        repeat = True
    if cmd == "GETPIN":
        answer = answers.pop(0)
        if answer == "cancel":
            say("ERR 83886179 Operation cancelled <Pinentry>")
            continue
        if answer == "exit":
            sys.exit(3)
        if answer == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if repeat and CONFIG.get("repeated", True):
            say("S PIN_REPEATED")
        data = escape(answer)
        # Assuan splits long data over several D lines
        for i in range(0, len(data), 20):
            say("D " + data[i:i + 20])
    say("OK")
    if cmd == "BYE":
        break
'''

def unescape(text):
    out = bytearray()
    i = 0
    raw = text.encode()
    while i < len(raw):
        if raw[i:i + 1] == b"%" and i + 2 < len(raw):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode()


class Fake:
    """A fake pinentry program and what it was told."""

    def __init__(self, tmp_path, answers, **options):
        self.dir = tmp_path / "pinentry"
        self.dir.mkdir(exist_ok=True)
        self.log = self.dir / "log"
        self.path = self.dir / "fake-pinentry"
        config = dict(options, answers=answers, log=str(self.log))
        self.path.write_text(FAKE % {"config": json.dumps(config)})
        self.path.chmod(0o755)

    def commands(self):
        if not self.log.exists():
            return []
        return self.log.read_text(encoding="utf-8").splitlines()

    def names(self):
        return [c.split(" ", 1)[0] for c in self.commands()]

    def argument(self, name):
        """The unescaped arguments of every `name` command."""
        return [unescape(c.split(" ", 1)[1]) for c in self.commands()
                if c.split(" ", 1)[0] == name]


def no_terminal(cmd, env=None, **kwargs):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                          start_new_session=True, env=env, timeout=cbtest.TIMEOUT, **kwargs)


def env_with(fake=None, **extra):
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "CRYPTBURN_PINENTRY"):
        env.pop(name, None)
    if fake is not None:
        env["CRYPTBURN_PINENTRY"] = str(fake.path)
    env.update(extra)
    return env


@pytest.fixture
def src(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "file.txt").write_text("asked in a window\n")
    return d


def image(cb, src, out, *extra, env):
    return no_terminal(cb.cmd("image", *cbtest.FORMATS["luks2"]["fast"], *extra, src,
                              "-o", out), env=env)


def assert_secret_kept(proc, fake, secret):
    secret = secret.encode()
    assert secret not in proc.stdout and secret not in proc.stderr
    assert secret not in fake.log.read_bytes()


def test_new_image_confirmed_by_setrepeat(cb, tmp_path, src):
    fake = Fake(tmp_path, [cbtest.PASSPHRASE])
    out = tmp_path / "new image.luks"
    proc = image(cb, src, out, env=env_with(fake))
    assert proc.returncode == 0, cbtest.describe(proc)
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert cbtest.unlocks(out, cb.wrongfile) != 0
    names = fake.names()
    # pinentry compared the two entries itself: one GETPIN
    assert names.count("GETPIN") == 1 and names[-1] == "BYE", names
    assert "SETREPEAT" in names and "SETREPEATERROR" in names, names
    assert "SETTITLE" in names and "SETPROMPT" in names
    # no terminal: no terminal options
    assert not any(n == "OPTION" for n in names), names
    desc = fake.argument("SETDESC")[0]
    assert "new encrypted image" in desc and str(out) in desc, desc
    assert_secret_kept(proc, fake, cbtest.PASSPHRASE)
    extracted = cb.extract(cb.decrypt(out))
    assert (extracted / "file.txt").read_text() == "asked in a window\n"


@pytest.mark.parametrize("options", [{"setrepeat": False}, {"repeated": False}],
                         ids=["no-setrepeat", "no-pin-repeated"])
def test_asks_twice_without_pinentry_repeat(cb, tmp_path, src, options):
    fake = Fake(tmp_path, [cbtest.PASSPHRASE, cbtest.PASSPHRASE], **options)
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(fake))
    assert proc.returncode == 0, cbtest.describe(proc)
    assert fake.names().count("GETPIN") == 2, fake.names()
    assert fake.argument("SETPROMPT")[-1] == "Repeat:"
    assert cbtest.unlocks(out, cb.passfile) == 0
    assert_secret_kept(proc, fake, cbtest.PASSPHRASE)


def test_two_different_answers_fail(cb, tmp_path, src):
    fake = Fake(tmp_path, [cbtest.PASSPHRASE, cbtest.OTHER_PASSPHRASE], setrepeat=False)
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(fake))
    assert proc.returncode == 6, cbtest.describe(proc)
    assert "differ" in proc.stderr.decode()
    assert not os.path.lexists(out)


def test_percent_escaping_round_trip(cb, tmp_path, src):
    secret = "100% sure: %25 naïve Ünïcødé ∑ %0A end"
    fake = Fake(tmp_path, [secret])
    # the description is escaped too: a % and a space in the output's name
    out = tmp_path / "50% off.luks"
    proc = image(cb, src, out, "--allow-weak-passphrase", env=env_with(fake))
    assert proc.returncode == 0, cbtest.describe(proc)
    assert str(out) in fake.argument("SETDESC")[0]
    keyfile = cbtest.write_passphrase_file(tmp_path / "key", secret.encode())
    assert cbtest.unlocks(out, keyfile) == 0
    assert cbtest.unlocks(out, cb.passfile) != 0
    assert_secret_kept(proc, fake, secret)


def test_cancel(cb, tmp_path, src):
    fake = Fake(tmp_path, ["cancel"])
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(fake))
    assert proc.returncode == 130, cbtest.describe(proc)
    assert not os.path.lexists(out)


@pytest.mark.parametrize("how,words", [("kill", "killed by signal 9"),
                                       ("exit", "exit status 3")])
def test_pinentry_that_dies(cb, tmp_path, src, how, words):
    fake = Fake(tmp_path, [how])
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(fake))
    assert proc.returncode == 6, cbtest.describe(proc)
    stderr = proc.stderr.decode()
    assert "ended without an answer" in stderr and words in stderr, stderr
    assert str(fake.path) in stderr
    assert not os.path.lexists(out)


def test_cryptburn_pinentry_not_a_program(cb, tmp_path, src):
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(CRYPTBURN_PINENTRY=str(tmp_path / "none")))
    assert proc.returncode == 6, cbtest.describe(proc)
    assert "CRYPTBURN_PINENTRY" in proc.stderr.decode()


def test_no_pinentry_installed(cb, tmp_path, src):
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(PATH=str(empty)))
    assert proc.returncode == 6, cbtest.describe(proc)
    stderr = proc.stderr.decode()
    assert ("no terminal and no pinentry program to ask for the passphrase: install "
            "pinentry-gnome3 (or pinentry-qt), or give --passphrase-file") in stderr, stderr
    assert not os.path.lexists(out)


def test_only_a_terminal_pinentry_and_no_display(cb, tmp_path, src):
    curses = shutil.which("pinentry-curses")
    if curses is None:
        pytest.skip("pinentry-curses is not installed")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "pinentry-curses").symlink_to(curses)
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(PATH=str(bindir)))
    assert proc.returncode == 6, cbtest.describe(proc)
    stderr = proc.stderr.decode()
    assert "no graphical display" in stderr and "pinentry-curses" in stderr, stderr
    assert "--passphrase-file" in stderr


def test_graphical_pinentry_with_a_display(cb, tmp_path, src):
    """A pinentry found in PATH, here named like the GNOME one, is used
    when there is a display to show it on."""
    fake = Fake(tmp_path, [cbtest.PASSPHRASE])
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "pinentry-gnome3").symlink_to(fake.path)
    out = tmp_path / "out.luks"
    proc = image(cb, src, out, env=env_with(PATH=str(bindir), WAYLAND_DISPLAY="wayland-9"))
    assert proc.returncode == 0, cbtest.describe(proc)
    assert "GETPIN" in fake.names()
    assert cbtest.unlocks(out, cb.passfile) == 0


def test_the_terminal_stays_the_default(cb, tmp_path, src):
    """On a terminal without CRYPTBURN_PINENTRY, the prompt is the terminal's."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = Fake(tmp_path, [cbtest.PASSPHRASE])
    (bindir / "pinentry").symlink_to(fake.path)
    out = tmp_path / "out.luks"
    term = cbtest.spawn_on_pty(cb.cmd("image", *cbtest.FORMATS["luks2"]["fast"], src, "-o", out),
                               env=env_with(PATH=str(bindir) + ":" + os.environ["PATH"],
                                            DISPLAY=":9"))
    for prompt in ("Passphrase for the new image: ", "Repeat the passphrase: "):
        term.expect(prompt)
        term.wait_echo_off()
        term.type(cbtest.PASSPHRASE + "\n")
    assert term.finish() == 0, term.output
    assert fake.commands() == []
    assert cbtest.unlocks(out, cb.passfile) == 0


def test_daemon_job_asks_through_pinentry(cryptburnd, cb, tmp_path):
    fake = Fake(tmp_path, [cbtest.PASSPHRASE, cbtest.PASSPHRASE])
    tree = make_tree(tmp_path / "tree")
    env = env_with(fake)
    env.update(cryptburnd.bus.env())
    proc = no_terminal(cb.cmd("burn", "--drive", "test1", *KDF, tree), env=env)
    assert proc.returncode == 0, cbtest.describe(proc)
    # the service compares the two answers: one plain GETPIN a request
    names = fake.names()
    assert names.count("GETPIN") == 2 and "SETREPEAT" not in names, names
    descs = fake.argument("SETDESC")
    assert "Passphrase for the new encrypted disc" in descs[0], descs
    assert str(cryptburnd.drive_files["disc1"]) in descs[0], descs
    assert "Repeat the passphrase" in descs[-1], descs
    assert fake.argument("SETPROMPT")[-1] == "Repeat:"
    assert_secret_kept(proc, fake, cbtest.PASSPHRASE)
    assert_disc_holds(cb, cryptburnd.drive_files["disc1"], tree, cb.passfile)


def test_daemon_job_cancelled_in_pinentry(cryptburnd, cb, tmp_path):
    fake = Fake(tmp_path, ["cancel"])
    tree = make_tree(tmp_path / "tree")
    env = env_with(fake)
    env.update(cryptburnd.bus.env())
    proc = no_terminal(cb.cmd("burn", "--drive", "test1", *KDF, tree), env=env)
    assert proc.returncode != 0, cbtest.describe(proc)
    assert fake.names().count("GETPIN") == 1


def test_real_pinentry_curses_on_a_terminal(cb, tmp_path, src):
    """CRYPTBURN_PINENTRY chooses pinentry even on a terminal; the real
    pinentry-curses draws on the terminal named by OPTION ttyname."""
    curses = shutil.which("pinentry-curses")
    if curses is None:
        pytest.skip("pinentry-curses is not installed")
    out = tmp_path / "out.luks"
    env = env_with(CRYPTBURN_PINENTRY=curses, TERM="xterm", LC_ALL="C.UTF-8")
    term = cbtest.spawn_on_pty(cb.cmd("image", *cbtest.FORMATS["luks2"]["fast"], src, "-o", out),
                               env=env)
    term.expect("new encrypted image")
    # pinentry-curses reads keys in raw mode; it asks a second time,
    # in its repeat field or in a second dialog
    time.sleep(0.5)
    term.type(cbtest.PASSPHRASE + "\r")
    time.sleep(0.5)
    term.type(cbtest.PASSPHRASE + "\r")
    rc = term.finish(timeout=120)
    assert rc == 0, term.output
    assert cbtest.PASSPHRASE.encode() not in term.output
    assert cbtest.unlocks(out, cb.passfile) == 0
