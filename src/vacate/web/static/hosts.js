// The hosts table: sort by any column, filter by state, AZ and text, refreshed from /v1/hosts.
"use strict";
(function () {
  const REFRESH_MS = 3000;
  const table = document.getElementById("hosts-table");
  if (!table) return;
  const body = table.tBodies[0];
  const text = document.getElementById("filter-text");
  const state = document.getElementById("filter-state");
  const az = document.getElementById("filter-az");
  const count = document.getElementById("host-count");
  const updated = document.getElementById("hosts-updated");
  let hosts = null;
  let sortKey = "name";
  let ascending = true;

  function value(h, key) {
    if (key === "vcpu") return h.vcpus_capacity ? h.vcpus_used / h.vcpus_capacity : 0;
    if (key === "ram") return h.ram_mb_capacity ? h.ram_mb_used / h.ram_mb_capacity : 0;
    return h[key];
  }
  function matches(h) {
    const s = state.value;
    if (s === "up" || s === "down") { if (h.state !== s) return false; }
    else if (s === "disabled") { if (h.service_status !== "disabled") return false; }
    else if (s && h.maintenance_state !== s) return false;
    if (az.value && h.az !== az.value) return false;
    const q = text.value.trim().toLowerCase();
    if (!q) return true;
    return [h.name, h.az, h.disabled_reason || "", h.maintenance_reason || "", h.maintenance_state]
      .some(function (v) { return String(v).toLowerCase().includes(q); });
  }
  function meter(used, cap, label, shown) {
    return [vacate.el("meter", { min: 0, max: cap, value: used, "aria-label": label }),
            " ", vacate.el("span", { class: "usage", text: shown })];
  }
  function row(h) {
    const link = vacate.el("a", { href: "/hosts/" + encodeURIComponent(h.name), text: h.name });
    const service = vacate.el("td", { text: h.service_status });
    if (h.disabled_reason) service.append(vacate.el("div", { class: "reason", text: h.disabled_reason }));
    const gib = function (mb) { return Math.round(mb / 1024); };
    return vacate.el("tr", { "data-name": h.name }, [
      vacate.el("th", { scope: "row" }, [link]),
      vacate.el("td", { text: h.az }),
      vacate.el("td", {}, [vacate.el("span", { class: "pill pill-" + h.state, text: h.state })]),
      service,
      vacate.el("td", {}, [vacate.el("span", { class: "badge badge-" + h.maintenance_state, text: h.maintenance_state })]),
      vacate.el("td", { class: "num", text: String(h.instance_count) }),
      vacate.el("td", {}, meter(h.vcpus_used, h.vcpus_capacity, "vCPU used", h.vcpus_used + "/" + h.vcpus_capacity)),
      vacate.el("td", {}, meter(h.ram_mb_used, h.ram_mb_capacity, "RAM used", gib(h.ram_mb_used) + "/" + gib(h.ram_mb_capacity) + " GiB")),
    ]);
  }
  function render() {
    if (!hosts) {  // before the first answer: filter the rows the server rendered
      let shown = 0;
      Array.from(body.rows).forEach(function (r) {
        const q = text.value.trim().toLowerCase();
        const hide = q && !r.textContent.toLowerCase().includes(q);
        r.hidden = Boolean(hide); if (!hide) shown++;
      });
      count.textContent = String(shown);
      return;
    }
    const rows = hosts.filter(matches).sort(function (a, b) {
      const x = value(a, sortKey), y = value(b, sortKey);
      const c = typeof x === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return ascending ? c : -c;
    });
    body.replaceChildren.apply(body, rows.map(row));
    count.textContent = String(rows.length);
  }
  table.querySelectorAll("th[data-key] button").forEach(function (button) {
    button.addEventListener("click", function () {
      const th = button.parentElement;
      const key = th.dataset.key;
      ascending = key === sortKey ? !ascending : true;
      sortKey = key;
      table.querySelectorAll("th[data-key]").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      render();
    });
  });
  [text, state, az].forEach(function (c) { c.addEventListener("input", render); });
  document.getElementById("host-filters").addEventListener("submit", function (e) { e.preventDefault(); });
  async function refresh() {
    try {
      const answer = await fetch(table.dataset.source, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (answer.status === 401) { window.location.assign("/signin"); return; }
      if (answer.ok) {
        hosts = await answer.json();
        updated.textContent = new Date().toLocaleTimeString();
        updated.setAttribute("datetime", new Date().toISOString());
        render();
      }
    } catch (e) { /* the next refresh tries again */ }
    window.setTimeout(refresh, REFRESH_MS);
  }
  refresh();
})();
