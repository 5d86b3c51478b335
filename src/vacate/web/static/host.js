// The Migrate-instances modal: a <dialog>, opened and closed by keyboard or mouse.
"use strict";
(function () {
  const dialog = document.getElementById("migrate-dialog");
  const open = document.getElementById("open-migrate");
  if (!dialog || !open) return;
  open.addEventListener("click", function () { dialog.showModal(); });
  document.getElementById("close-migrate").addEventListener("click", function () {
    dialog.close(); open.focus();
  });
  const preview = document.getElementById("preview");
  if (preview) preview.scrollIntoView();
})();
