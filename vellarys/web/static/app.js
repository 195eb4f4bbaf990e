// The dashboard's only script of its own. The Content-Security-Policy allows no inline
// script and no eval, so behaviour that htmx's hx-on would hold lives here.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-after-send") &&
      event.detail.successful) {
    form.reset();
  }
});

// The inbox's live feed: one EventSource (server-sent events) for the page; each event makes
// the parts marked data-live-target refresh themselves (htmx "live" trigger). Their polling
// stays as the fallback when the feed is down. data-live says which one is working.
document.addEventListener("DOMContentLoaded", function () {
  var root = document.querySelector("[data-live-url]");
  scrollChat();
  if (!root || !window.EventSource) {
    return;
  }
  var source = new EventSource(root.getAttribute("data-live-url"));
  source.addEventListener("open", function () { root.setAttribute("data-live", "on"); });
  source.addEventListener("error", function () { root.setAttribute("data-live", "off"); });
  source.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    root.setAttribute("data-last-event", data.message_id);
    document.querySelectorAll("[data-live-target]").forEach(function (element) {
      var lead = element.getAttribute("data-lead-id");
      if (!lead || lead === data.lead_id) {
        window.htmx.trigger(element, "live", data);
      }
    });
    var typing = document.getElementById("typing");
    var open = document.getElementById("inbox-conversation");
    if (typing && open && open.getAttribute("data-lead-id") === data.lead_id) {
      typing.hidden = !data.typing;
    }
  });
});

// The conversation shows its newest message after every refresh.
function scrollChat() {
  var chat = document.getElementById("inbox-conversation");
  if (chat) {
    chat.scrollTop = chat.scrollHeight;
  }
}
document.addEventListener("htmx:afterSwap", scrollChat);

// Quick replies: choosing one in the picker, or typing its "/atalho" alone in the reply box,
// puts its text (already filled for this lead) in the box.
document.addEventListener("change", function (event) {
  var picker = event.target;
  if (picker instanceof HTMLSelectElement && picker.hasAttribute("data-quick-replies-for")) {
    var box = document.getElementById(picker.getAttribute("data-quick-replies-for"));
    if (box && picker.value) {
      box.value = picker.value;
      box.focus();
    }
  }
});
document.addEventListener("input", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLTextAreaElement) || box.value.charAt(0) !== "/") {
    return;
  }
  var picker = document.querySelector("[data-quick-replies-for='" + box.id + "']");
  if (!picker) {
    return;
  }
  var typed = box.value.trim();
  Array.prototype.forEach.call(picker.options, function (option) {
    if (option.getAttribute("data-shortcut") === typed) {
      box.value = option.value;
    }
  });
});

// The pipeline board: cards are dragged between columns with Sortable; a drop fills the
// card's own form (the keyboard way to move it) and submits it through htmx. A drop on
// "lost" waits for the loss reason to be chosen in that form.
function vellarysBoard(root) {
  if (!window.Sortable || !root) { return; }
  root.querySelectorAll(".board-cards").forEach(function (list) {
    window.Sortable.create(list, {
      group: "board",
      animation: 120,
      ghostClass: "board-ghost",
      forceFallback: true,
      filter: "select, button, option, a",
      preventOnFilter: false,
      onAdd: function (event) {
        var card = event.item;
        var form = card.querySelector("form.board-move");
        var stage = event.to.getAttribute("data-stage");
        form.querySelector("select[name=stage]").value = stage;
        var reason = form.querySelector("select[name=loss_reason]");
        if (stage === "lost" && !reason.value) {
          card.classList.add("needs-reason");
          reason.focus();
          return;
        }
        form.requestSubmit();
      }
    });
  });
}
document.addEventListener("DOMContentLoaded", function () {
  vellarysBoard(document.getElementById("board"));
});
document.addEventListener("htmx:afterSwap", function () {
  vellarysBoard(document.getElementById("board"));
});
// A refused move (422) still redraws the board, with the reason shown.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422 && event.detail.target.id === "board") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// Choosing the loss reason of a card dropped on "lost" completes the move.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.name === "loss_reason" && select.closest(".board-card.needs-reason") && select.value) {
    select.form.requestSubmit();
  }
});
