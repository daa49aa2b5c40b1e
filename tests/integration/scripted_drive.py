# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted drive of cryptburnd-scripted (tests/backend/), seen from a test.

The drive is a directory, the DIR of --test-drive DIR (the device
"stdio:DIR"); a test plays media events by changing its files while the
daemon runs, and reads what the daemon did from them:

  drive.ini       [drive] vendor, model, kinds (cd;dvd;bd); optional
  tray.ini        [disc] the disc in the drive; absent: the tray is empty
  disc.img        the disc's bytes, as far as written
  queue/NAME.ini  discs waiting to go in, taken in name order when the
                  daemon ejects (NAME.img beside one: its bytes)
  out/NNN.ini     discs the daemon ejected, from 001, with NNN.img when
                  they held bytes
  events.log      one line per backend operation: open, close, close eject,
                  write SIZE, write simulate SIZE, blank fast|full|format,
                  read-start, corrupt OFFSET

[disc] keys (tests/backend/cb-scripted-disc.h has the defaults): media,
status, capacity, used, erasable, overwritable, unformatted, speeds,
simulate, write-fail-at, write-rate, blank-ms, write-mode. Python keyword
arguments name them with "_" for "-" (write_fail_at=...).
"""

import configparser
import os
import shutil
import tempfile
from pathlib import Path

MIB = 1024 * 1024
CD_BYTES = 360000 * 2048
DVD_BYTES = 2295104 * 2048
BD_BYTES = 12219392 * 2048
BD_RE_BYTES = 11826176 * 2048
# small enough to fill quickly, large enough for a LUKS2 header and a tree
TINY_BYTES = 64 * MIB


def disc(media, status="blank", capacity=None, **keys):
    """A [disc] as a dict: media and the keys that differ from its defaults."""
    spec = {"media": media, "status": status}
    if capacity is not None:
        spec["capacity"] = capacity
    spec.update(keys)
    return spec


# the discs tests use; full-size ones cost nothing, as only written bytes
# are stored
CD_R = disc("cd_r", capacity=CD_BYTES)
CD_RW = disc("cd_rw", capacity=CD_BYTES)
DVD_PLUS_R = disc("dvd_plus_r", capacity=DVD_BYTES)
DVD_PLUS_RW = disc("dvd_plus_rw", capacity=DVD_BYTES)
DVD_RW = disc("dvd_rw", capacity=DVD_BYTES)
BD_R = disc("bd_r", capacity=BD_BYTES)
BD_RE_UNFORMATTED = disc("bd_re", capacity=BD_RE_BYTES, unformatted=True)
# quick ones
TINY_CD_R = disc("cd_r", capacity=TINY_BYTES)
TINY_CD_RW = disc("cd_rw", capacity=TINY_BYTES)
TINY_DVD_PLUS_R = disc("dvd_plus_r", capacity=TINY_BYTES)
TINY_DVD_PLUS_RW = disc("dvd_plus_rw", capacity=TINY_BYTES)
TINY_DVD_RW = disc("dvd_rw", capacity=TINY_BYTES)
TINY_BD_RE_UNFORMATTED = disc("bd_re", capacity=TINY_BYTES, unformatted=True)
# holds no encrypted image: less than a LUKS2 header
TOO_SMALL_DVD_PLUS_R = disc("dvd_plus_r", capacity=1 * MIB)
# used discs
FULL_CD_R = disc("cd_r", status="full", capacity=TINY_BYTES, used=TINY_BYTES // 2)
FULL_CD_RW = disc("cd_rw", status="full", capacity=TINY_BYTES, used=TINY_BYTES // 2)
FULL_DVD_PLUS_R = disc("dvd_plus_r", status="full", capacity=TINY_BYTES, used=TINY_BYTES)
APPENDABLE_DVD_PLUS_R = disc("dvd_plus_r", status="appendable", capacity=TINY_BYTES,
                             used=TINY_BYTES // 4)
USED_DVD_PLUS_RW = disc("dvd_plus_rw", status="full", capacity=TINY_BYTES,
                        used=TINY_BYTES // 2)


def _value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def _ini(group, keys):
    lines = ["[%s]" % group]
    lines += ["%s=%s" % (k.replace("_", "-"), _value(v)) for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def _read_ini(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return dict(parser["disc"]) if parser.has_section("disc") else {}


class ScriptedDrive:
    """One scripted drive's directory."""

    def __init__(self, path):
        self.dir = Path(path)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tray_ini = self.dir / "tray.ini"
        self.image = self.dir / "disc.img"
        self.queue_dir = self.dir / "queue"
        self.out_dir = self.dir / "out"
        self.log = self.dir / "events.log"

    @property
    def device(self):
        return "stdio:%s" % self.dir

    def _replace(self, path, text):
        """Writes path atomically: a temporary file in the same directory
        renamed over it, so that the daemon never reads half of it."""
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    def configure(self, vendor=None, model=None, kinds=None):
        """drive.ini: what the drive is and which kinds of disc it writes."""
        keys = {k: v for k, v in (("vendor", vendor), ("model", model), ("kinds", kinds))
                if v is not None}
        self._replace(self.dir / "drive.ini", _ini("drive", keys))

    def insert(self, media="dvd_plus_r", status=None, capacity=None, image=None, **keys):
        """Puts a disc in: tray.ini written atomically. media is a media
        name or a preset (a dict, as disc() makes), the other arguments
        change it; image: a file whose bytes the disc holds."""
        spec = dict(media) if isinstance(media, dict) else {"media": media}
        spec.setdefault("status", "blank")
        if status is not None:
            spec["status"] = status
        if capacity is not None:
            spec["capacity"] = capacity
        spec.update(keys)
        # its bytes first: the daemon may look as soon as tray.ini is there
        if image is not None:
            shutil.copyfile(image, self.image)
        elif self.image.exists():
            self.image.unlink()
        self._replace(self.tray_ini, _ini("disc", spec))

    def queue(self, *discs):
        """Stacks discs (dicts, as disc() makes) to go in one after another."""
        self.queue_dir.mkdir(exist_ok=True)
        taken = sorted(self.queue_dir.glob("*.ini"))
        first = int(taken[-1].stem) + 1 if taken else 1
        for i, spec in enumerate(discs):
            self._replace(self.queue_dir / ("%03d.ini" % (first + i)), _ini("disc", spec))

    def queued(self):
        return sorted(self.queue_dir.glob("*.ini")) if self.queue_dir.exists() else []

    def remove(self, image_to=None):
        """Takes the disc out; its bytes go to image_to or away. Returns
        the tray's keys, or None when it was empty."""
        tray = self.tray()
        if self.image.exists():
            if image_to is not None:
                shutil.move(self.image, image_to)
            else:
                self.image.unlink()
        if self.tray_ini.exists():
            self.tray_ini.unlink()
        return tray

    def tray(self):
        """The [disc] keys of the disc in the tray (strings), or None."""
        return _read_ini(self.tray_ini) if self.tray_ini.exists() else None

    def out(self):
        """The ejected discs in order: [(keys, image path or None)]."""
        if not self.out_dir.exists():
            return []
        result = []
        for ini in sorted(self.out_dir.glob("*.ini")):
            img = ini.with_suffix(".img")
            result.append((_read_ini(ini), img if img.exists() else None))
        return result

    def events(self):
        """events.log's lines."""
        return self.log.read_text().splitlines() if self.log.exists() else []

    def operations(self):
        """events.log without the opens and closes of media queries."""
        return [e for e in self.events() if e not in ("open", "close")]

    def disc_image(self):
        """disc.img, or None when the disc in the tray holds no bytes."""
        return self.image if self.image.exists() else None
