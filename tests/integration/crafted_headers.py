# SPDX-License-Identifier: GPL-3.0-or-later
"""Images whose header says what an attacker wants: the cryptburn token
of a LUKS2 header rewritten with cryptsetup, the armor comments of a
loop-aes key block edited in place. Neither needs the passphrase, as
neither is protected by it."""

import json
import subprocess
import tempfile

LOOP_AES_KEY_AREA = 16 * 1024


def luks2_token(image):
    """The cryptburn token of a LUKS2 image, as a dict."""
    proc = subprocess.run(["cryptsetup", "token", "export", "--token-id", "0", str(image)],
                          stdout=subprocess.PIPE, check=True)
    token = json.loads(proc.stdout)
    assert token["type"] == "cryptburn", token
    return token


def set_luks2_token(image, **members):
    """Replaces members of the token (any JSON value, escapes included)."""
    token = luks2_token(image)
    token.update(members)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(token, f)
        f.flush()
        subprocess.run(["cryptsetup", "token", "import", "--token-id", "0", "--token-replace",
                        "--json-file", f.name, str(image)], check=True)


def set_loop_aes_comment(image, key, value):
    """Sets the armor comment "KEY=VALUE" (bytes) of a loop-aes image's key
    block, which fills its first 16 KiB followed by zeros."""
    with open(image, "r+b") as f:
        area = f.read(LOOP_AES_KEY_AREA)
        block = area.rstrip(b"\0")
        lines = block.split(b"\n")
        prefix = b"Comment: " + key.encode() + b"="
        line = prefix + value
        for i, old in enumerate(lines):
            if old.startswith(prefix):
                lines[i] = line
                break
        else:
            lines.insert(1, line)
        block = b"\n".join(lines)
        assert len(block) < LOOP_AES_KEY_AREA, "the key block outgrew its area"
        f.seek(0)
        f.write(block + b"\0" * (LOOP_AES_KEY_AREA - len(block)))
