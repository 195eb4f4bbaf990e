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
