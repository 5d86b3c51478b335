// The job's timeline, drawn as SVG: one bar per instance on a shared time axis, its phases
// shaded (pre-copy, post-copy, paused, cold) and its downtime marked at the end.
"use strict";
window.vacate = window.vacate || {};
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const ROW = 22, LABEL = 130, AXIS = 24, PAD = 8;

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.entries(attrs).forEach(function ([k, v]) { node.setAttribute(k, v); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // [start, end, phase] pieces of one task from its escalation steps.
  function phases(task, end) {
    if (task.method === "cold" || task.method === "evacuate") return [[task.start, end, "cold"]];
    const pieces = [];
    let from = task.start, phase = "precopy";
    (task.escalations || []).forEach(function (s) {
      const next = s.action === "post-copy" ? "postcopy" : s.action === "force-complete" ? "paused" : null;
      if (next && s.at > from) { pieces.push([from, s.at, phase]); from = s.at; phase = next; }
      else if (next) phase = next;
    });
    pieces.push([from, end, phase]);
    return pieces;
  }
  function tick(span) {
    const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    // Past two hours, whole hours: never more than eight ticks, however long the span.
    return steps.find(function (s) { return span / s <= 8; }) || Math.ceil(span / 8 / 3600) * 3600;
  }

  vacate.drawTimeline = function (container, job) {
    const tasks = job.tasks.filter(function (t) { return t.start !== null; });
    container.replaceChildren();
    if (!tasks.length) {
      container.append(vacate.el("p", { class: "help", text: "Nothing has started moving yet." }));
      return;
    }
    const now = job.now || Math.max.apply(null, tasks.map(function (t) { return t.end || t.start; }));
    const t0 = Math.min.apply(null, tasks.map(function (t) { return t.start; }));
    const t1 = Math.max(t0 + 1, Math.max.apply(null, tasks.map(function (t) { return t.end || now; })));
    const width = Math.max(320, container.clientWidth || 800);
    const height = AXIS + tasks.length * ROW + PAD;
    const label = width < 500 ? 90 : LABEL;
    const x = function (t) { return label + ((t - t0) / (t1 - t0)) * (width - label - PAD); };
    const root = svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, "data-testid": "timeline-svg" });
    const step = tick(t1 - t0);
    for (let s = 0; s <= t1 - t0 + 1e-9; s += step) {
      const px = x(t0 + s);
      root.append(svg("line", { x1: px, x2: px, y1: AXIS - 4, y2: height - PAD, class: "grid" }));
      root.append(svg("text", { x: px, y: AXIS - 8, class: "axis", "text-anchor": "middle" }, s + " s"));
    }
    tasks.forEach(function (task, i) {
      const y = AXIS + i * ROW;
      const end = task.end || now;
      const g = svg("g", { class: "bar", "data-instance": task.instance_name });
      g.append(svg("title", {}, task.instance_name + ": " + (task.outcome || task.status) + ", " +
        vacate.seconds(end - task.start) + (task.downtime_s ? ", downtime " + vacate.seconds(task.downtime_s) : "")));
      g.append(svg("text", { x: label - 6, y: y + ROW / 2 + 4, class: "label", "text-anchor": "end" }, task.instance_name));
      phases(task, end).forEach(function ([a, b, phase]) {
        g.append(svg("rect", { x: x(a), y: y + 4, width: Math.max(1, x(b) - x(a)), height: ROW - 8, class: "phase " + phase }));
      });
      if (task.downtime_s) {
        const from = Math.max(task.start, end - task.downtime_s);
        g.append(svg("rect", { x: x(from), y: y + 2, width: Math.max(2, x(end) - x(from)), height: ROW - 4, class: "downtime" }));
      }
      if (task.outcome === "failed") g.append(svg("text", { x: x(end) + 4, y: y + ROW / 2 + 4, class: "label failed" }, "✕"));
      root.append(g);
    });
    container.append(root);
  };
})();
