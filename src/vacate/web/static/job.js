// A job's page: a row per instance and the timeline, followed live through the job's event
// stream (GET /v1/jobs/{id}/events, authenticated by the session cookie) while it runs; an
// ended job shows its results and its event log without opening the stream.
"use strict";
(function () {
  const root = document.getElementById("job-root");
  if (!root) return;
  const id = root.dataset.job;
  const rows = document.getElementById("live-rows");
  const events = document.getElementById("events");
  const streamState = document.getElementById("stream-state");
  const timeline = document.getElementById("timeline");
  let job = JSON.parse(document.getElementById("job-data").textContent);
  let ended = root.dataset.ended === "true";
  const KINDS = ["job.queued", "job.started", "job.taken-over", "job.planned", "job.waiting",
    "job.retry", "job.cancel-requested", "job.succeeded", "job.failed", "job.cancelled",
    "service.disabled", "service.enabled", "service.note", "state.changed", "state.conflict",
    "task.started", "task.adopted", "task.retry", "task.escalated", "task.escalation-refused",
    "task.abort-resent", "task.fallback", "task.moved", "task.failed", "task.skipped",
    "task.blocked", "host.forced-down", "host.fenced", "host.fence-waiting", "host.recovered",
    "task.marked-stopped", "task.power-restored"];
  const ENDS = ["job.succeeded", "job.failed", "job.cancelled"];

  function progressCell(t) {
    const done = t.outcome === "moved";
    const fraction = done ? 1 : (t.progress || 0);
    const bar = vacate.el("progress", { max: 1, value: fraction.toFixed(3), "aria-label": t.instance_name + " progress" });
    const pct = Math.round(fraction * 100) + " %";
    const bytes = t.bytes_total ? vacate.bytes(t.bytes_sent) + " / " + vacate.bytes(t.bytes_total)
      : (t.bytes_sent ? vacate.bytes(t.bytes_sent) : "");
    return vacate.el("td", { class: "progress" }, [bar, " ", vacate.el("span", { class: "pct", text: pct }),
      vacate.el("div", { class: "help", text: bytes })]);
  }
  function renderRows() {
    rows.replaceChildren.apply(rows, job.tasks.map(function (t) {
      const state = t.outcome || t.status + (t.paused ? " (paused)" : "");
      const escalations = (t.escalations || []).map(function (s) { return s.action; }).join(" → ");
      return vacate.el("tr", { "data-instance": t.instance_name, "data-state": state, "data-progress": (t.progress || 0).toFixed(3), class: "outcome-" + (t.outcome || t.status) }, [
        vacate.el("th", { scope: "row", text: t.instance_name }),
        vacate.el("td", {}, [vacate.el("span", { class: "state", text: state })]),
        progressCell(t),
        vacate.el("td", { text: t.method || t.verdict }),
        vacate.el("td", { text: t.verdict === "skip" || t.verdict === "blocked" ? t.source + " (stays)"
          : t.source + " → " + (t.destination || t.planned_destination || "the scheduler's choice") }),
        vacate.el("td", { text: escalations || "–" }),
      ]);
    }));
    vacate.drawTimeline(timeline, job);
    const status = document.getElementById("job-status");
    status.textContent = job.status; status.className = "status status-" + job.status;
    document.getElementById("job-phase").textContent = job.phase;
    document.getElementById("job-message").textContent = job.message;
    const gate = document.getElementById("fence-gate");
    if (gate) {
      gate.hidden = job.phase !== "awaiting_fence" || ["succeeded", "failed", "cancelled"].includes(job.status);
      document.getElementById("fence-message").textContent = job.message;
    }
  }
  function addEvent(e) {
    const when = vacate.el("time", { datetime: new Date(e.at * 1000).toISOString(), text: vacate.localTime(e.at) });
    events.append(vacate.el("li", { "data-kind": e.kind }, [when, " ", vacate.el("code", { text: e.kind }), " ", e.message]));
  }
  async function refresh() {
    const answer = await fetch("/jobs/" + encodeURIComponent(id) + "/live.json", { credentials: "same-origin" });
    if (answer.ok) { job = await answer.json(); renderRows(); }
    return answer.ok;
  }
  let pending = null;
  function soon() { if (!pending) pending = window.setTimeout(function () { pending = null; refresh(); }, 150); }

  renderRows();
  // Redraw only when the timeline's own width changed: a resize that only changes the page's
  // height (a full-page screenshot, a phone's toolbar) would otherwise redraw it endlessly.
  let drawnWidth = timeline.clientWidth;
  window.addEventListener("resize", function () {
    if (timeline.clientWidth === drawnWidth) return;
    drawnWidth = timeline.clientWidth;
    vacate.drawTimeline(timeline, job);
  });
  if (ended) {
    fetch("/v1/jobs/" + encodeURIComponent(id) + "/events", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (list) { list.forEach(addEvent); streamState.textContent = "(the job has ended)"; });
    return;
  }
  // Catch up from the first event, then follow; the browser reconnects with Last-Event-ID.
  const source = new EventSource("/v1/jobs/" + encodeURIComponent(id) + "/events");
  streamState.textContent = "(live)";
  const timer = window.setInterval(refresh, 1000);  // bytes move between events
  KINDS.forEach(function (kind) {
    source.addEventListener(kind, function (message) {
      const e = JSON.parse(message.data);
      addEvent(e);
      soon();
      if (ENDS.includes(kind)) {
        source.close();
        window.clearInterval(timer);
        streamState.textContent = "(the job has ended: loading its results)";
        refresh().then(function () { window.location.reload(); });
      }
    });
  });
  source.onerror = function () { streamState.textContent = "(reconnecting…)"; };
  source.onopen = function () { streamState.textContent = "(live)"; };
})();
