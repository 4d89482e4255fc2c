// Test only (test_html.sh): added to a copy of an HTML report, it writes
// where each picture was laid out into the <html> element, so that
// Chromium's --dump-dom tells the test which part of its screenshot to look
// at.  The report itself has no script.
(function () {
  var boxes = {};
  ["vms-heatmap", "vms-wss", "vms-faultrate", "vms-mrc"].forEach(function (cls) {
    var e = document.querySelector("svg." + cls);
    if (!e)
      return;
    var r = e.getBoundingClientRect();
    boxes[cls] = { x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height };
  });
  document.documentElement.setAttribute("data-vms-boxes", JSON.stringify(boxes));
})();
