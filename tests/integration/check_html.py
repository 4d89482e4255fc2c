"""Checks an HTML report of vmsandbox (docs/profiling.md, "The HTML report").

usage:
  check_html.py page HTML [REPORT.json]
      the page as vmsandbox wrote it: self-contained (no script, no external
      resource), each SVG well-formed XML with role, aria-label, <title> and
      tick labels, the four pictures present and drawn; with the JSON report
      it was rendered from, the exact counts (one heatmap cell per non-zero
      count, one MRC marker per policy point, table rows)
  check_html.py dom DOM.html
      the DOM headless Chromium dumped after loading the page: the four
      pictures present with content (>= 100 heatmap cells, an LRU curve of
      >= 10 points, a working-set and three fault-rate lines)
  check_html.py screenshot PNG DOM.html
      Chromium's screenshot of the page with tests/integration/svg_boxes.js
      added (which wrote each picture's box into DOM.html): each picture's
      box on the screenshot has many distinct colours, i.e. it was painted

Prints one line per failed check and exits 1 if there is one, else 0; 2 on
bad usage or an unreadable file.
"""
import html.parser
import json
import re
import sys
import xml.etree.ElementTree as ET

PLOTS = ("vms-heatmap", "vms-wss", "vms-faultrate", "vms-mrc")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
TOP_ROWS = 30
# html_plots.c draws bigger heatmaps with neighbouring columns merged.
HEAT_DRAWN_CELLS = 256 << 10


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = ""

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def iter(self, tag=None):
        for c in self.children:
            if tag is None or c.tag == tag:
                yield c
            yield from c.iter(tag)

    def all_text(self):
        return self.text + "".join(c.all_text() for c in self.children)


class Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text += data


def parse(text):
    b = Builder()
    b.feed(text)
    b.close()
    return b.root


def by_class(root, tag, cls):
    return [n for n in root.iter(tag) if cls in n.classes()]


def polyline_points(n):
    return len((n.attrs.get("points") or "").split())


class Checker:
    def __init__(self):
        self.fails = []

    def check(self, ok, msg):
        if not ok:
            self.fails.append(msg)
        return ok


def plots(c, root):
    """The four <svg>s by class, each checked for its accessibility parts."""
    found = {}
    for cls in PLOTS:
        svgs = by_class(root, "svg", cls)
        if not c.check(len(svgs) == 1, "%d <svg class=%s>, expected 1" % (len(svgs), cls)):
            continue
        s = found[cls] = svgs[0]
        c.check(s.attrs.get("role") == "img", "%s: role is %r, not img" % (cls, s.attrs.get("role")))
        c.check(len(s.attrs.get("aria-label") or "") > 10, "%s: no aria-label" % cls)
        titles = [t for t in s.children if t.tag == "title"]
        c.check(titles and titles[0].all_text().strip(), "%s: no <title>" % cls)
        ticks = [t for t in by_class(s, "text", "tick") if t.all_text().strip()]
        c.check(len(ticks) >= 3, "%s: %d tick labels" % (cls, len(ticks)))
        c.check(by_class(s, "text", "axis-title"), "%s: no axis title" % cls)
    return found


def heat_cells(svg):
    return [r for g in by_class(svg, "g", "cells") for r in g.iter("rect")]


def check_page(c, text, report):
    root = parse(text)
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        c.check(not list(root.iter(tag)), "the page has a <%s>: not self-contained" % tag)
    for n in root.iter():
        for a in ("src", "href"):
            c.check(a not in n.attrs, "<%s %s=...>: an external reference" % (n.tag, a))
    c.check(not re.search(r"url\(|@import", text), "the CSS loads something (url( or @import)")
    others = set(re.findall(r"https?://[^\s\"'<>]+", text)) - {"http://www.w3.org/2000/svg"}
    c.check(not others, "the page names URLs: %s" % sorted(others)[:3])
    for m in re.finditer(r"<svg\b.*?</svg>", text, re.S):
        try:
            ET.fromstring(m.group(0))
        except ET.ParseError as e:
            c.fails.append("an <svg> is not well-formed XML: %s" % e)
    found = plots(c, root)
    if len(found) < 4:
        return
    hm, wss, fr, mrc = (found[k] for k in PLOTS)
    cells = heat_cells(hm)
    c.check(all(re.fullmatch(r"#[0-9a-f]{6}", r.attrs.get("fill", "")) for r in cells),
            "heatmap cells without a #rrggbb fill")
    c.check(len(by_class(wss, "polyline", "wss")) == 1, "no working-set line")
    c.check(len(by_class(fr, "polyline", "series")) == 3, "not 3 fault-rate lines")
    lru = by_class(mrc, "polyline", "lru")
    c.check(len(lru) == 1, "no LRU curve")
    if report is None:
        return
    p = report["profile"]
    nonzero = sum(1 for row in p["heatmap"]["counts"] for v in row if v > 0)
    if len(p["heatmap"]["rows"]) * p["heatmap"]["columns"] <= HEAT_DRAWN_CELLS:
        c.check(len(cells) == nonzero, "%d heatmap cells, the report has %d non-zero counts"
                % (len(cells), nonzero))
    else:
        c.check(0 < len(cells) <= nonzero, "%d heatmap cells with columns merged, the report "
                "has %d non-zero counts" % (len(cells), nonzero))
    labels = by_class(hm, "text", "row-label")
    c.check(1 <= len(labels) <= len(p["heatmap"]["rows"]),
            "%d row labels for %d rows" % (len(labels), len(p["heatmap"]["rows"])))
    if lru:
        n = polyline_points(lru[0])
        c.check(10 <= n <= len(p["mrc"]["lru"]["frames"]),
                "the LRU curve has %d points (of %d)" % (n, len(p["mrc"]["lru"]["frames"])))
    markers = [m for g in by_class(mrc, "g", "points") for m in g.iter("circle")]
    want = sum(len(q["frames"]) for q in p["mrc"]["policies"])
    c.check(len(markers) == want, "%d MRC markers, the report has %d policy points"
            % (len(markers), want))
    legend = " ".join(t.all_text() for t in by_class(mrc, "text", "legend-text"))
    for q in p["mrc"]["policies"]:
        c.check(q["policy"] in legend.split(), "the MRC legend lacks %s" % q["policy"])
    if p["mrc"]["budget_frames"]:
        c.check(by_class(mrc, "line", "budget"), "no budget line on the MRC")
        c.check(by_class(wss, "line", "budget"), "no budget line on the working set")
    if p["mrc"]["knee"]:
        c.check(by_class(mrc, "g", "knee"), "no knee marker")
    wl = by_class(wss, "polyline", "wss")
    if wl:
        n = polyline_points(wl[0])
        c.check(min(10, len(p["timeline"]["wss_pages"])) <= n <= len(p["timeline"]["wss_pages"]),
                "the working-set line has %d points for %d buckets"
                % (n, len(p["timeline"]["wss_pages"])))
    for cls, key in (("vms-regions", p["regions"]), ("vms-code", p["code"]["locations"])):
        tables = by_class(root, "table", cls)
        if c.check(len(tables) == 1, "no table %s" % cls):
            rows = [r for tb in tables[0].iter("tbody") for r in tb.iter("tr")]
            c.check(len(rows) == min(TOP_ROWS, len(key)), "table %s has %d rows, expected %d"
                    % (cls, len(rows), min(TOP_ROWS, len(key))))
    with_stacks = sum(1 for loc in p["code"]["locations"][:TOP_ROWS] if loc["stacks"])
    details = list(root.iter("details"))
    c.check(len(details) == with_stacks, "%d <details>, %d locations with stacks"
            % (len(details), with_stacks))


def check_dom(c, text):
    root = parse(text)
    found = plots(c, root)
    if len(found) < 4:
        return
    hm, wss, fr, mrc = (found[k] for k in PLOTS)
    n = len(heat_cells(hm))
    c.check(n >= 100, "the heatmap has %d cells, expected >= 100" % n)
    lru = by_class(mrc, "polyline", "lru")
    c.check(lru and polyline_points(lru[0]) >= 10, "the MRC's LRU curve has < 10 points")
    wl = by_class(wss, "polyline", "wss")
    c.check(wl and polyline_points(wl[0]) >= 2, "the working-set line is empty")
    lines = by_class(fr, "polyline", "series")
    c.check(len(lines) == 3 and all(polyline_points(x) >= 2 for x in lines),
            "the fault-rate plot does not have 3 lines")


def check_screenshot(c, png, dom_text):
    from PIL import Image

    m = re.search(r'data-vms-boxes="([^"]*)"', dom_text)
    if not c.check(m, "the DOM has no data-vms-boxes (svg_boxes.js did not run)"):
        return
    boxes = json.loads(html.unescape(m.group(1)))
    im = Image.open(png).convert("RGB")
    w, h = im.size
    for cls in PLOTS:
        b = boxes.get(cls)
        if not c.check(b, "no box for %s" % cls):
            continue
        x0, y0 = max(0, int(b["x"])), max(0, int(b["y"]))
        x1, y1 = min(w, int(b["x"] + b["w"])), min(h, int(b["y"] + b["h"]))
        if not c.check(x1 - x0 > 100 and y1 - y0 > 100,
                       "%s: box %s is not on the %dx%d screenshot" % (cls, b, w, h)):
            continue
        region = im.crop((x0, y0, x1, y1))
        colours = region.getcolors(maxcolors=1 << 20) or []
        distinct = len(colours)
        # "Coloured": far from grey (text and axes are grey or black).
        vivid = sum(k for k, (r, g, bl) in colours if max(r, g, bl) - min(r, g, bl) > 60)
        c.check(distinct >= 20, "%s: only %d distinct colours in its box" % (cls, distinct))
        c.check(vivid >= 200, "%s: only %d coloured pixels in its box" % (cls, vivid))
        print("%s: %dx%d px at (%d, %d): %d colours, %d coloured pixels"
              % (cls, x1 - x0, y1 - y0, x0, y0, distinct, vivid))


def main():
    a = sys.argv[1:]
    if len(a) < 2 or a[0] not in ("page", "dom", "screenshot") or \
            (a[0] == "screenshot" and len(a) != 3):
        print(__doc__.strip())
        return 2
    c = Checker()
    try:
        if a[0] == "page":
            report = None
            if len(a) > 2:
                with open(a[2]) as f:
                    report = json.load(f)
            with open(a[1], encoding="utf-8") as f:
                check_page(c, f.read(), report)
        elif a[0] == "dom":
            with open(a[1], encoding="utf-8") as f:
                check_dom(c, f.read())
        else:
            with open(a[2], encoding="utf-8") as f:
                check_screenshot(c, a[1], f.read())
    except (OSError, ValueError) as e:
        print("check_html: %s" % e)
        return 2
    for f in c.fails:
        print("FAIL: %s" % f)
    return 1 if c.fails else 0


if __name__ == "__main__":
    sys.exit(main())
