#!/usr/bin/python3
"""Writes the bundled corpus of examples/tiny_gpt.nn: examples/data/jargon.txt
for training and examples/data/jargon_valid.txt for validation.

It takes the Jargon File (public domain) as Debian's `jargon-text` package
ships it (/usr/share/doc/jargon-text/jargon.txt.gz), keeps the glossary's
entries and nothing of its front matter, per-letter indexes or appendices,
removes the three-space indent, and spells typographic punctuation in ASCII
so that the byte-level model sees plain text. Every twentieth entry goes to
the validation text, the rest to the training text.

    apt-get download jargon-text && dpkg-deb -x jargon-text_*.deb pkg
    scripts/make-text-corpus.py pkg/usr/share/doc/jargon-text/jargon.txt.gz \
        examples/data
"""
import gzip
import re
import sys

ASCII = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u00b4": "'", "\u00b7": "", "\u2014": " -- ", "\u2013": "-",
    "\u2122": "(TM)", "\u2026": "...", "\u00a0": " ", "\u00e9": "e",
    "\u00e8": "e", "\u00e4": "a", "\u00f6": "o", "\u00fc": "u",
}


def paragraphs(lines):
    block = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def ascii_text(blocks):
    out = "\n\n".join(blocks) + "\n"
    out = "".join(ASCII.get(c, c) for c in out)
    return out.encode("ascii", "ignore").decode("ascii")


def main(source, folder):
    with gzip.open(source, "rt", encoding="utf-8") as f:
        text = f.read()
    start = text.index("\nGlossary\n")
    end = re.search(r"\nAppendix\s+A\.\s+Hacker Folklore", text[start:]).start() + start
    entries = []
    in_entries = False
    for block in paragraphs(text[start:end].split("\n")):
        first = block[0].strip()
        if len(block) == 1 and re.fullmatch(r"[A-Z]|Table\s+of\s+Contents|Part\s+III\.\s+Appendices", first):
            in_entries = False  # A letter's index, or the back matter.
        elif first.startswith(":"):
            in_entries = True
            entries.append([])
        if in_entries:
            entries[-1].append("\n".join(
                line[3:] if line.startswith("   ") else line.lstrip()
                for line in block))
    splits = {"jargon.txt": [], "jargon_valid.txt": []}
    for i, entry in enumerate(entries):
        name = "jargon_valid.txt" if i % 20 == 19 else "jargon.txt"
        splits[name].extend(entry)
    for name, blocks in splits.items():
        text = ascii_text(blocks)
        with open(f"{folder}/{name}", "w", encoding="ascii") as f:
            f.write(text)
        print(f"{folder}/{name}: {len(text)} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make-text-corpus.py JARGON_TXT_GZ FOLDER")
    main(sys.argv[1], sys.argv[2])
