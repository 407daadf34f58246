// Keyboard access for elements that act as buttons without being <button>s (the Gantt bars):
// Enter or Space clicks them, and htmx answers the click. Kept here rather than in an htmx
// trigger filter (keyup[key=='Enter']) because those run through Function(), which the
// Content-Security-Policy (no 'unsafe-eval') forbids. Delegated from the document so bars
// swapped in later work too.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if (!(target instanceof Element) || target.getAttribute("role") !== "button") return;
  if (target.tagName === "BUTTON" || (event.key !== "Enter" && event.key !== " ")) return;
  event.preventDefault(); // Space would scroll the page
  target.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
});
