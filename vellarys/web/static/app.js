// The dashboard's only script of its own. The Content-Security-Policy allows no inline
// script and no eval, so behaviour that htmx's hx-on would hold lives here.
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-after-send") &&
      event.detail.successful) {
    form.reset();
  }
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
