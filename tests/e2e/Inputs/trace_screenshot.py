#!/usr/bin/python3
"""Opens a `--trace` file in Chromium's own trace viewer, headless, checks
what the viewer made of it, and writes a screenshot of its timeline.

    trace_screenshot.py TRACE.json OUT.png [--size WIDTHxHEIGHT]

The viewer is the Performance panel of the DevTools that Chromium bundles
(devtools://devtools/bundled/trace_app.html, its page for traces alone):
Debian's Chromium 156 lists chrome://tracing among its debugging pages,
but the page fails to load (ERR_FAILED) even with those pages enabled.
The file goes in through the panel's loadFromFile, the code behind its
"Load profile" button. Chromium is driven over the DevTools protocol on a
pipe (--remote-debugging-pipe: file descriptors 3 and 4, NUL-terminated
JSON), so only the standard library is needed. `chromium` must be on PATH;
it runs with --no-sandbox, which Chromium needs as root. The panel's
internals named below are those of Chromium 156's DevTools: a later
Chromium that renames them makes this fail, with the viewer's error.

Checks, after the load: the viewer reported no error and threw nothing;
each thread the file names is a track of the viewer's model, holding as
many slices as the file has complete events on it, and a group of its
timeline, which draws as many slices as the file has. Prints one line per
track, `track NAME: N slices` (the viewer's counts), then `wrote OUT.png`;
or the first problem and exits 1, writing no picture. Gives up after 120
seconds.
"""
import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

VIEWER = "devtools://devtools/bundled/trace_app.html"
TIMEOUT_S = 120


def fail(message):
    sys.exit("trace_screenshot: " + message)


class Browser:
    """A headless Chromium driven over --remote-debugging-pipe."""

    def __init__(self, width, height, deadline):
        self.deadline = deadline
        self.profile = tempfile.mkdtemp(prefix="trace-screenshot-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire_pipe():
            # Chromium reads commands on fd 3 and writes replies on fd 4;
            # dup first, as the pipe's own descriptors may be 3 or 4.
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        try:
            self.process = subprocess.Popen(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-pipe",
                 "--user-data-dir=" + self.profile, f"--window-size={width},{height}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=wire_pipe, close_fds=False)
        except OSError as error:
            shutil.rmtree(self.profile, ignore_errors=True)
            fail(f"cannot start chromium: {error.strerror}")
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.session = None
        self.errors = []  # exceptions thrown in the viewer's page

    def close(self):
        try:
            os.write(self.to_chrome, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail(f"{method}: {reply['error'].get('message')}")
                return reply["result"]
            if reply.get("method") == "Runtime.exceptionThrown":
                details = reply["params"]["exceptionDetails"]
                self.errors.append(details.get("exception", {}).get("description", details["text"]))

    def receive(self):
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                fail(f"timed out after {TIMEOUT_S} s")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                fail("chromium closed the pipe (exit status %s)" % self.process.poll())
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def evaluate(self, expression):
        """Runs JavaScript in the page, awaiting a promise; returns its value."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = details.get("exception", {}).get("description", details["text"])
            fail("the viewer threw: " + description.split("\n")[0])
        return result["result"].get("value")

    def wait_for(self, expression, what):
        """Polls `expression` until it is truthy; returns its value."""
        while time.monotonic() < self.deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        fail(f"timed out after {TIMEOUT_S} s waiting for {what}")


# The panel's modules, imported relative to the viewer's page, and the
# panel, which showing creates (as if its keyboard help had been seen once,
# so that it does not open over the timeline).
MODULES = """
  const Common = await import('./core/common/common.js');
  const UI = await import('./ui/legacy/legacy.js');
  const Timeline = await import('./panels/timeline/timeline.js');
  Common.Settings.Settings.instance()
      .createSetting('timeline.user-had-shortcuts-dialog-opened-once', false).set(true);
  await UI.ViewManager.ViewManager.instance().showView('timeline');
  const panel = Timeline.TimelinePanel.TimelinePanel.instance();
"""

# Loads the file, noting in window.traceLoad how the load ended: the panel
# says it completed (with an error or not), or went back to its landing
# page once the loader was done (nothing to show). Errors the loader
# reports go to the DevTools console, whose messages are added.
LOAD = """(async () => {%s
  window.traceLoad = null;
  const end = result => {
    if (window.traceLoad) return;
    if (result.error) {
      const errors = Common.Console.Console.instance().messages().filter(m => m.level === 'error');
      result.error = [result.error, ...errors.map(m => m.text)].join(': ');
    }
    window.traceLoad = result;
  };
  panel.addEventListener('RecordingCompleted',
      event => end(event.data.errorText ? {error: event.data.errorText} : {loaded: true}));
  panel.addEventListener('IsViewingTrace', event => {
    if (!event.data && !panel.loader) end({error: 'it shows no trace'});
  });
  const file = new File([%s], %s, {type: 'application/json'});
  try {
    await panel.loadFromFile(file);
  } catch (error) {
    return {error: String(error)};  // not JSON: thrown before the loader starts
  }
  return {};
})()"""

# The viewer's model and its timeline's groups.
MODEL = """(async () => {%s
  const parsed = panel.getParsedTraceForLayoutTests();
  const threads = [];
  for (const [pid, process] of parsed.Renderer.processes)
    for (const [tid, thread] of process.threads)
      threads.push({pid, tid, name: thread.name, slices: thread.entries.length});
  const chart = panel.getFlameChart().getMainFlameChart();
  const data = chart.timelineData();
  return {threads, groups: data.groups.map(g => g.name), entries: data.entryStartTimes.length};
})()"""

# Ready for the picture: the dialogs closed, the sidebar hidden, every
# group expanded, and the longest kernel slice selected, so that the
# details pane shows its arguments. The window stays on the whole trace:
# the panel zooms to no less than 1 ms, longer than a short trace.
TIDY = """(async () => {%s
  while (UI.Dialog.Dialog.hasInstance()) UI.Dialog.Dialog.getInstance().hide();
  panel.splitWidget().hideSidebar();
  const chart = panel.getFlameChart().getMainFlameChart();
  chart.timelineData().groups.forEach((g, i) => { if (!g.expanded) chart.toggleGroupExpand(i); });
  let longest = null;
  for (const process of panel.getParsedTraceForLayoutTests().Renderer.processes.values())
    for (const thread of process.threads.values())
      for (const event of thread.entries)
        if (event.cat === 'kernel' && (!longest || event.dur > longest.dur)) longest = event;
  if (longest) panel.select(Timeline.TimelineSelection.selectionFromEvent(longest));
  return true;
})()"""


# Two frames: the flame chart redraws on the next one.
REDRAWN = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def expected_tracks(trace):
    """Thread name -> number of complete events, from the file itself (the
    object form or the array form of the format)."""
    events = trace.get("traceEvents") if isinstance(trace, dict) else trace
    names, slices = {}, {}
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        key = (event.get("pid"), event.get("tid"))
        if event.get("ph") == "M" and event.get("name") == "thread_name":
            names[key] = str(event.get("args", {}).get("name"))
        elif event.get("ph") == "X":
            slices[key] = slices.get(key, 0) + 1
    return {names.get(key, f"pid {key[0]} tid {key[1]}"): count for key, count in slices.items()}


def main():
    parser = argparse.ArgumentParser(description="Screenshots a trace in Chromium's trace viewer.")
    parser.add_argument("trace", help="a Chrome trace-event JSON file")
    parser.add_argument("png", help="the screenshot to write")
    parser.add_argument("--size", default="1400x700", help="the page's WIDTHxHEIGHT in pixels")
    args = parser.parse_args()
    trace_path, png_path = args.trace, args.png
    width, height = map(int, args.size.split("x"))
    with open(trace_path) as f:
        text = f.read()
    try:
        expected = expected_tracks(json.loads(text))
    except ValueError:
        expected = None  # the viewer must then report the error itself

    browser = Browser(width, height, time.monotonic() + TIMEOUT_S)
    try:
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        browser.session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        browser.call("Runtime.enable")
        browser.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                     deviceScaleFactor=1, mobile=False)
        browser.call("Page.navigate", url=VIEWER)
        browser.wait_for("document.readyState === 'complete' && "
                         "!!document.querySelector('.main-tabbed-pane')", "the viewer to start")
        state = browser.evaluate(LOAD % (MODULES, json.dumps(text), json.dumps(os.path.basename(trace_path))))
        if "error" not in state:
            state = browser.wait_for("window.traceLoad", "the trace to load")
        if "error" in state:
            fail("the viewer could not load the trace: " + state["error"])
        if expected is None:
            fail("the viewer loaded a file that is not JSON")
        if not expected:
            fail("the file has no complete events to show")
        model = browser.evaluate(MODEL % MODULES)
        shown = {t["name"]: t["slices"] for t in model["threads"]}
        for name, count in sorted(expected.items()):
            if shown.get(name) != count:
                fail(f"the file has {count} slices on {name!r}, the viewer's model "
                     f"{shown.get(name, 'no such track')}")
            if not any(g == name or g.startswith(name + " (") for g in model["groups"]):
                fail(f"no group {name!r} in the timeline: {model['groups']}")
        if model["entries"] != sum(expected.values()):
            fail(f"the timeline draws {model['entries']} slices, the file has {sum(expected.values())}")
        browser.evaluate(TIDY % MODULES)
        browser.evaluate(REDRAWN)
        if browser.errors:
            fail("the viewer threw: " + browser.errors[0].split("\n")[0])
        png = base64.b64decode(browser.call("Page.captureScreenshot", format="png")["data"])
    finally:
        browser.close()
    with open(png_path, "wb") as f:
        f.write(png)
    for name in sorted(expected):
        print(f"track {name}: {shown[name]} slices")
    print("wrote " + png_path)


if __name__ == "__main__":
    main()
