// The operation detail opens next to the Gantt bar the planner clicked (below it, or above it
// near the bottom of the window), inside the board, so it is on screen where the eye already
// is. Without this script the detail still follows the chart.
(function () {
  var clicked = null;
  document.addEventListener("click", function (event) {
    var bar = event.target instanceof Element ? event.target.closest("svg.gantt .op") : null;
    if (bar) clicked = bar;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var detail = event.target;
    if (!(detail instanceof HTMLElement) || detail.id !== "op-detail" || !clicked) return;
    var board = detail.parentElement.getBoundingClientRect();
    var bar = clicked.getBoundingClientRect();
    detail.classList.add("beside");
    var left = Math.min(bar.left - board.left, Math.max(0, board.width - detail.offsetWidth));
    var below = bar.bottom - board.top + 4;
    var fitsBelow = bar.bottom + detail.offsetHeight + 8 <= window.innerHeight;
    detail.style.left = Math.max(0, left) + "px";
    detail.style.top = (fitsBelow ? below : bar.top - board.top - detail.offsetHeight - 4) + "px";
    detail.scrollIntoView({ block: "nearest" });
  });
})();
