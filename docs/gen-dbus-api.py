#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the D-Bus API reference, in Markdown, from the introspection XML
and the doc comments in it (gtk-doc style, as gdbus-codegen reads them):

    gen-dbus-api.py dbus/org.cryptburn.CryptBurn1.xml [OUTPUT]

A comment before <node> describes the API; one before an <interface>
starts with "NAME:" and "@short_description:"; one before a method or a
signal starts with "NAME:", then "@arg: text" lines (continued by lines
indented further), then the description; one before a property is
"NAME: text". In the text, blocks indented further than the comment's
first line (tables of options or errors) are kept as they are.

The output depends on the XML only, so that the committed docs/dbus-api.md
can be checked against it (tests/integration/test_manuals.py).
"""

import re
import sys
import textwrap
import xml.etree.ElementTree as ET

DIRECTIONS = {"in": "IN", "out": "OUT"}


def parse(path):
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    with open(path, "rb") as f:
        data = f.read()
    # the comment before the root element is not part of the tree
    head = data[: data.index(b"<node")].decode("utf-8")
    preamble = re.findall(r"<!--(.*?)-->", head, re.S)
    parser.feed(data)
    return preamble, parser.close()


def lines_of(comment):
    text = textwrap.dedent(comment.strip("\n")).rstrip()
    return text.split("\n")


def blocks(lines):
    """Markdown for comment text: paragraphs joined, indented blocks fenced."""
    out = []
    paragraph = []
    code = []

    def flush():
        if paragraph:
            out.append(" ".join(x.strip() for x in paragraph))
            paragraph.clear()
        if code:
            out.append("```\n" + textwrap.dedent("\n".join(code)).strip("\n") + "\n```")
            code.clear()

    for line in lines:
        if not line.strip():
            if code:
                code.append("")
            else:
                flush()
        elif line[0].isspace():
            if paragraph:
                flush()
            code.append(line.rstrip())
        else:
            if code:
                flush()
            paragraph.append(line)
    flush()
    return "\n\n".join(out)


def split_doc(comment, name):
    """(summary, {param: text}, body lines) of a member's or interface's comment."""
    lines = lines_of(comment) if comment is not None else []
    summary = ""
    params = {}
    if lines and lines[0].startswith(name + ":"):
        summary = lines[0][len(name) + 1:].strip()
        lines = lines[1:]
    current = None
    rest = []
    for i, line in enumerate(lines):
        m = re.match(r"@([A-Za-z_]+):\s*(.*)", line)
        if m:
            current = m.group(1)
            params[current] = m.group(2).strip()
        elif current is not None and line.startswith((" ", "\t")) and line.strip():
            params[current] += " " + line.strip()
        else:
            rest = lines[i:]
            break
    while rest and not rest[0].strip():
        rest = rest[1:]
    return summary, params, rest


def anchor(*parts):
    return "-".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") for p in parts)


def signature(name, args, with_direction):
    width_dir = 4 if with_direction else 0
    width_type = max([len(a.get("type")) for a in args] + [1])
    parts = []
    for a in args:
        d = DIRECTIONS[a.get("direction", "in")] if with_direction else ""
        parts.append("%s%s %s" % (d.ljust(width_dir), a.get("type").ljust(width_type), a.get("name")))
    pad = " " * (len(name) + 2)
    return "%s (%s)" % (name, (",\n" + pad).join(parts))


def annotations(element):
    return ["`%s` = `%s`" % (a.get("name"), a.get("value"))
            for a in element.findall("annotation")]


def member(out, iface, element, comment, kind):
    name = element.get("name")
    summary, params, rest = split_doc(comment, name)
    out.append('<a id="%s"></a>\n' % anchor(iface, kind, name))
    out.append("### %s.%s\n" % (iface, name) if kind != "property" else "### %s:%s\n" % (iface, name))
    if kind == "property":
        out.append("```\n%s  %s  %s\n```\n" % (name, element.get("type"), element.get("access")))
    else:
        args = element.findall("arg")
        out.append("```\n%s\n```\n" % signature(name, args, kind == "method"))
    if summary:
        out.append(summary + "\n")
    text = blocks(rest)
    if text:
        out.append(text + "\n")
    if kind != "property":
        args = element.findall("arg")
        if args:
            out.append("Arguments:\n")
            for a in args:
                direction = "" if kind == "signal" else a.get("direction", "in") + ", "
                line = "- `%s` (%s`%s`)" % (a.get("name"), direction, a.get("type"))
                if params.get(a.get("name")):
                    line += ": " + params[a.get("name")]
                out.append(line)
                for note in annotations(a):
                    out.append("  - annotation %s" % note)
            out.append("")
    for note in annotations(element):
        out.append("Annotation: %s\n" % note)


def interface(out, element, comment):
    name = element.get("name")
    summary, params, rest = split_doc(comment, name)
    out.append('<a id="%s"></a>\n' % anchor(name))
    out.append("## %s\n" % name)
    if params.get("short_description"):
        out.append("*%s*\n" % params["short_description"])
    if summary:
        out.append(summary + "\n")
    text = blocks(rest)
    if text:
        out.append(text + "\n")

    members = {"method": [], "property": [], "signal": []}
    last = None
    for child in element:
        if child.tag is ET.Comment:
            last = child.text
            continue
        if child.tag in members:
            members[child.tag].append((child, last))
        last = None
    for kind, title in (("method", "Methods"), ("property", "Properties"), ("signal", "Signals")):
        if not members[kind]:
            continue
        out.append("**%s:** %s\n" % (title, ", ".join(
            "[%s](#%s)" % (c.get("name"), anchor(name, kind, c.get("name")))
            for c, _ in members[kind])))
    for kind in ("method", "signal", "property"):
        for child, doc in members[kind]:
            member(out, name, child, doc, kind)


def generate(path, source_name):
    preamble, root = parse(path)
    out = ["# The cryptburn D-Bus API\n",
           "<!-- Generated by docs/gen-dbus-api.py from %s: do not edit. -->\n" % source_name]
    for comment in preamble:
        lines = [x for x in lines_of(comment) if not x.startswith("SPDX-License-Identifier")]
        text = blocks(lines)
        if text:
            out.append(text + "\n")
    interfaces = []
    last = None
    for child in root:
        if child.tag is ET.Comment:
            last = child.text
            continue
        if child.tag == "interface":
            interfaces.append((child, last))
        last = None
    out.append("Interfaces:\n")
    for child, _ in interfaces:
        out.append("- [%s](#%s)" % (child.get("name"), anchor(child.get("name"))))
    out.append("")
    for child, doc in interfaces:
        interface(out, child, doc)
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: %s INTERFACE.xml [OUTPUT]\n" % argv[0])
        return 2
    source = argv[1]
    text = generate(source, "dbus/" + source.rsplit("/", 1)[-1])
    if len(argv) == 3:
        with open(argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
