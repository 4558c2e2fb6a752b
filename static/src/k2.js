// The portal's small behaviours, kept out of the templates so the Content-Security-Policy
// allows no inline script or style:
// - <form data-confirm="question">: asks before submitting;
// - <select data-autosubmit>: submits its form when changed;
// - <input data-output="id">: shows its value in the element with that id;
// - <el data-width="42">: a bar drawn 42% wide (styles set from script are allowed).
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);

  document.addEventListener("change", function (event) {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  document.addEventListener("input", function (event) {
    const input = event.target.closest("input[data-output]");
    const output = input && document.getElementById(input.dataset.output);
    if (output) output.value = input.value;
  });

  function widths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      const value = Math.max(0, Math.min(100, parseFloat(el.dataset.width) || 0));
      el.style.width = value + "%";
    });
  }
  if (window.htmx) {
    window.htmx.onLoad(widths); // the page, then every swapped-in fragment
  } else {
    document.addEventListener("DOMContentLoaded", function () { widths(document); });
  }
})();
