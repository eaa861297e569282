"""Checks an `nnc train --report` page: well-formed HTML with no script and
no address outside it, one point per logged step in the loss-by-step chart,
the graph, a profile table whose source lines are lines of the model, and
the settings; with --lr-changes S,S..., the loss-by-step chart marks a
learning-rate change at exactly those steps, and without it at none.
Usage: check_report.py PAGE.html MODEL.nn STEPS... [--no-dot] [--lr-changes S,...]
"""
import html.parser
import re
import sys

VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base",
        "embed", "source", "track", "wbr"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.tags = []
        self.figures = []  # per <svg>: its title and circles' cx
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and re.match(r"(https?:)?//", value) and not name.startswith("xmlns"):
                self.errors.append(f"<{tag} {name}={value!r}> leaves the page")
        if tag == "svg" and any(s == "figure" for s in self.stack):
            self.figures.append({"title": "", "cx": [], "markers": []})
        if tag == "circle" and self.figures and "figure" in self.stack:
            self.figures[-1]["cx"].append(float(attrs["cx"]))
        if tag == "line" and attrs.get("class") == "marker" and self.figures:
            self.figures[-1]["markers"].append(float(attrs["data-x"]))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if (self.figures and self.stack and self.stack[-1] == "text"
                and "figure" in self.stack and not self.figures[-1]["title"]):
            self.figures[-1]["title"] = data


def main():
    path, model = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    dot = "--no-dot" not in args
    lr_changes = []
    if "--lr-changes" in args:
        at = args.index("--lr-changes")
        lr_changes = [float(s) for s in args[at + 1].split(",")]
        del args[at:at + 2]
    steps = [int(s) for s in args if s != "--no-dot"]
    source = open(path, encoding="utf-8").read()
    page = Page()
    page.feed(source)
    page.close()
    problems = list(page.errors)
    if page.stack:
        problems.append(f"unclosed tags {page.stack}")
    if "script" in page.tags:
        problems.append("the page has a script")
    by_step = [f for f in page.figures if f["title"] == "loss by step"]
    if len(by_step) != 1:
        problems.append(f"{len(by_step)} loss-by-step charts")
    else:
        cx = by_step[0]["cx"]
        # train and eval: one marker each per logged step, ordered by step.
        per_series = len(cx) // 2
        if len(cx) != 2 * len(steps) or cx[:per_series] != sorted(cx[:per_series]):
            problems.append(f"{len(cx)} markers for steps {steps}")
        if by_step[0]["markers"] != lr_changes:
            problems.append(f"learning-rate changes marked at {by_step[0]['markers']}, not {lr_changes}")
    text = "".join(page.text)
    for needed in ["Kernel profile of the training step", "machine", "parameters",
                   "of the fp32 FMA peak measured now", "% of peak"]:
        if needed not in text:
            problems.append(f"no '{needed}'")
    if dot and "class=\"graph\"><svg" not in source.replace("<div class=\"graph\">", "class=\"graph\">"):
        problems.append("no graph drawn by dot")
    if not dot and "<pre class=\"graph\">" not in source:
        problems.append("no graph listing")
    lines = open(model, encoding="utf-8").read().split("\n")
    name = model.rsplit("/", 1)[-1]
    rows = re.findall(re.escape(name) + r":(\d+)", source)
    if not rows:
        problems.append("the profile names no source line")
    for line in rows:
        if not 1 <= int(line) <= len(lines) or not lines[int(line) - 1].strip():
            problems.append(f"{name}:{line} is not a line of the model")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"report ok: {len(steps)} steps, {len(rows)} profile rows")


main()
