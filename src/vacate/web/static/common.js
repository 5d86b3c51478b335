// Dates in the browser's time zone: every <time datetime="…UTC…"> shows local time.
"use strict";
window.vacate = window.vacate || {};
vacate.localTime = function (epochOrIso) {
  const d = typeof epochOrIso === "number" ? new Date(epochOrIso * 1000) : new Date(epochOrIso);
  return isNaN(d) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
};
vacate.localizeTimes = function (root) {
  (root || document).querySelectorAll("time[datetime]").forEach(function (t) {
    const text = vacate.localTime(t.getAttribute("datetime"));
    if (text) { t.textContent = text; t.title = t.getAttribute("datetime"); }
  });
};
vacate.el = function (tag, attrs, children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(function ([k, v]) {
    if (v === null || v === undefined || v === false) return;
    if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : v);
  });
  (children || []).forEach(function (c) { node.append(c); });
  return node;
};
vacate.bytes = function (n) {
  if (n === null || n === undefined) return "–";
  if (n >= 1024 ** 3) return (n / 1024 ** 3).toFixed(2) + " GiB";
  return (n / 1024 ** 2).toFixed(0) + " MiB";
};
vacate.seconds = function (s) {
  if (s === null || s === undefined) return "–";
  return s >= 120 ? (s / 60).toFixed(1) + " min" : s.toFixed(1) + " s";
};
document.addEventListener("DOMContentLoaded", function () { vacate.localizeTimes(); });
