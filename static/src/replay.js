// Replays a terminal session's recording (asciicast v2) with asciinema-player.
(function () {
  "use strict";
  const el = document.getElementById("k2-replay");
  if (!el || !window.AsciinemaPlayer) return;
  window.k2Player = window.AsciinemaPlayer.create(el.dataset.castUrl, el, {
    fit: "width", idleTimeLimit: 2, theme: "asciinema", terminalFontSize: "14px",
  });
})();
