# SPDX-License-Identifier: GPL-3.0-or-later
"""The read-back of a burn is decrypted and the libisofs MD5 tags of the
ISO inside are checked (cryptburnd-scripted, scripted_fixtures):
Job.TagsVerified counts them (superblock, tree, session), 0 when nothing
was checked (no-md5, verify off, a plain image that is not ISO 9660)."""

import os

import cbtest
import pytest
from daemon_fixtures import FAST_KDF
from scripted_drive import TINY_DVD_PLUS_R
from scripted_jobs import make_tree, passfile  # noqa: F401 (fixture)


def burn(daemon, name, method, fds, passfile, sources=(), **options):
    drive = daemon.drives[name]
    drive.insert(TINY_DVD_PLUS_R)
    daemon.wait_drive(name, MediaStatus="blank")
    spec = {"drive": daemon.drive_paths[name], "sources": [str(s) for s in sources],
            "options": dict(FAST_KDF, **options),
            "fds": dict(fds, **{"passphrase-fd": str(passfile)})}
    job, done = daemon.submit(method, spec)
    assert done["completed"] == [True, "", ""], (done, daemon.log())
    return daemon.job_props(job["job"]), drive


@pytest.mark.parametrize("options,tags,read_back", [
    ({}, 3, True),
    ({"no-md5": ["b", True]}, 0, True),
    ({"verify": ["b", False]}, 0, False),
    ({"compress": ["b", True]}, 3, True),
], ids=["default", "no-md5", "no-verify", "compress"])
def test_tags_verified_of_burn_files(scripted_daemon, cb, passfile, tmp_path, options, tags,
                                     read_back):
    tree = make_tree(tmp_path / "tree")
    props, drive = burn(scripted_daemon, "drive0", "BurnFiles", {}, passfile, [tree],
                        **options)
    assert props["TagsVerified"] == tags, props
    assert ("read-start" in drive.events()) == read_back, drive.events()
    # the disc's ISO holds tags exactly when they were counted (xorriso)
    iso = cb.decrypt(drive.disc_image())
    if "no-md5" in options:
        assert "md5_match" not in cbtest.check_media(iso)
    else:
        cbtest.assert_md5_match(iso)


def test_tags_verified_of_a_plain_image(scripted_daemon, passfile, tmp_path):
    image = tmp_path / "plain.img"
    image.write_bytes(os.urandom(256 * 1024))
    props, drive = burn(scripted_daemon, "drive1", "BurnImage", {"image_stream": str(image)},
                        passfile)
    # read back and compared, but no ISO inside to hold tags
    assert "read-start" in drive.events()
    assert props["TagsVerified"] == 0, props


def test_tags_verified_of_an_iso_image_with_tags(scripted_daemon, passfile, tmp_path):
    """BurnImage of an ISO image another program made with MD5 tags
    (xorriso -md5 on): the tags it holds are checked too."""
    tree = make_tree(tmp_path / "tree")
    iso = tmp_path / "plain.iso"
    made = cbtest.run(["xorriso", "-md5", "on", "-outdev", str(iso), "-map", str(tree), "/",
                       "-commit"])
    assert made.returncode == 0, cbtest.describe(made)
    props, drive = burn(scripted_daemon, "drive1", "BurnImage", {"image_stream": str(iso)},
                        passfile)
    # superblock, tree and session tag; xorriso's image of a session at
    # block 32 has a relocated superblock tag at block 18 besides
    assert props["TagsVerified"] >= 3, props
    assert "read-start" in drive.events()
