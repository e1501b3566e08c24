// fourk dashboard: small progressive enhancements (everything works without this file).
(function () {
  "use strict";

  function copyText(text, button) {
    var done = function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || "✓";
      button.classList.add("copied");
      setTimeout(function () { button.textContent = label; button.classList.remove("copied"); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  function selectTab(tab) {
    var list = tab.closest("[role=tablist]");
    var dialog = tab.closest("dialog") || document;
    list.querySelectorAll("[role=tab]").forEach(function (other) {
      var on = other === tab;
      other.setAttribute("aria-selected", on ? "true" : "false");
      other.tabIndex = on ? 0 : -1;
      var panel = dialog.querySelector("#" + other.getAttribute("aria-controls"));
      if (panel) { panel.hidden = !on; }
    });
    dialog.querySelectorAll(".system-field").forEach(function (f) { f.value = tab.dataset.system; });
    try { localStorage.setItem("fourk.system", tab.dataset.system); } catch (e) { /* private mode */ }
    tab.focus();
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("button.copy");
    if (copy) {
      event.preventDefault();
      var source = document.querySelector(copy.dataset.copy);
      if (source) { copyText(source.textContent, copy); }
      return;
    }
    var tab = event.target.closest("[role=tab][data-system]");
    if (tab) {
      event.preventDefault();
      selectTab(tab);
    }
  });

  document.addEventListener("keydown", function (event) {
    var tab = event.target.closest && event.target.closest("[role=tab]");
    if (!tab || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) { return; }
    var tabs = Array.prototype.slice.call(tab.closest("[role=tablist]").querySelectorAll("[role=tab]"));
    var next = tabs.indexOf(tab) + (event.key === "ArrowRight" ? 1 : -1);
    selectTab(tabs[(next + tabs.length) % tabs.length]);
    event.preventDefault();
  });

  function openDialogs(root) {
    root.querySelectorAll("dialog[data-open]").forEach(function (dialog) {
      if (!dialog.open && dialog.showModal) { dialog.showModal(); }
      var saved = null;
      try { saved = localStorage.getItem("fourk.system"); } catch (e) { /* private mode */ }
      var wanted = dialog.querySelector("[role=tab][data-system='" + saved + "']");
      var current = dialog.querySelector("[role=tab][aria-selected=true]");
      if (wanted && current && current.dataset.system === "unix" && saved !== "unix" && !dialog.dataset.chosen) {
        selectTab(wanted);
      }
      dialog.dataset.chosen = "1";
      dialog.addEventListener("close", function () { dialog.remove(); });
    });
  }

  document.addEventListener("htmx:afterSwap", function (event) { openDialogs(event.target); });
  document.addEventListener("DOMContentLoaded", function () {
    // a page that opens the dialog of a just-created key: /keys?use=ID
    var wanted = new URLSearchParams(location.search).get("use");
    if (wanted && window.htmx) {
      var link = document.querySelector("tr[data-key-id='" + wanted + "'] a[hx-get]");
      if (link) { link.click(); }
    }
  });
})();
