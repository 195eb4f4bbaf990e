// The phone side of the dashboard (issue 16): the folding menu, the service worker that makes
// it installable with an offline page, and this device's web push subscription.
(function () {
  "use strict";

  // The menu folds behind a button only when this script runs; without it every link shows.
  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.querySelector(".topbar");
    var toggle = document.getElementById("menu-toggle");
    if (!bar || !toggle) {
      return;
    }
    bar.classList.add("js-menu");
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("menu-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  });

  // A table wider than the screen scrolls inside its card; the keyboard must reach it too.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".table-wrap, main table").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
      }
    });
  });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }

  // A VAPID public key arrives base64url-encoded; pushManager wants its raw bytes.
  function keyBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes;
  }

  function say(box, text) {
    var status = document.getElementById("push-status");
    if (status) {
      status.textContent = text;
    }
    if (box) {
      box.disabled = false;
    }
  }

  // "Ativar neste aparelho": subscribe through the browser's push service and hand the
  // subscription (endpoint and keys) to the server, which sends this user's pushes to it.
  document.addEventListener("click", function (event) {
    var button = event.target;
    if (!(button instanceof HTMLButtonElement) || button.id !== "push-enable") {
      return;
    }
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
      say(button, "Este navegador não recebe notificações push.");
      return;
    }
    button.disabled = true;
    var token = button.getAttribute("data-csrf");
    navigator.serviceWorker.ready
      .then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(button.getAttribute("data-vapid-key")),
        });
      })
      .then(function (subscription) {
        return fetch("/account/push/subscribe", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
          body: JSON.stringify(subscription.toJSON()),
        });
      })
      .then(function (response) {
        say(button, response.ok ? "Notificações ativadas neste aparelho." : "Não foi possível ativar.");
      })
      .catch(function () {
        say(button, "O navegador recusou as notificações (verifique a permissão).");
      });
  });
})();
