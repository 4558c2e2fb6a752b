// The Logs page of an app: lines from the websocket of apps/podlogs/consumers.py, each
// prefixed with its pod (one colour per pod), at most data-max-lines kept in the page,
// acknowledged once drawn (the server sends no more than its window ahead), pause and
// resume, highlight of a search within the loaded lines, download of what is loaded.
(function () {
  "use strict";
  const view = document.getElementById("k2-logs");
  if (!view) return;
  const t = (key) => view.dataset["t" + key.charAt(0).toUpperCase() + key.slice(1)] || key;
  const maxLines = parseInt(view.dataset.maxLines, 10) || 5000;
  const dot = document.getElementById("k2-logs-dot");
  const status = document.getElementById("k2-logs-status");
  const count = document.getElementById("k2-logs-count");
  const search = document.getElementById("k2-logs-search");
  const matches = document.getElementById("k2-logs-matches");
  const pauseButton = document.getElementById("k2-logs-pause");
  const download = document.getElementById("k2-logs-download");
  const sources = new Map();
  let paused = false;
  let ended = false;
  let opened = false;
  let trimmed = 0;
  let pending = 0;
  let needle = "";

  function setStatus(colour, text) {
    dot.className = "status-dot bg-" + colour + (colour === "green" ? " status-dot-animated" : "");
    status.textContent = text;
  }

  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + view.dataset.wsPath);
  setStatus("yellow", t("connecting"));

  function send(message) {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function fill(el, text) {
    // The line's text with the search term marked (text nodes only: never HTML).
    el.textContent = "";
    if (!needle) {
      el.textContent = text;
      return 0;
    }
    const lower = text.toLowerCase();
    let at = 0;
    let found = 0;
    for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, at)) {
      el.append(text.slice(at, i));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(i, i + needle.length);
      el.append(mark);
      at = i + needle.length;
      found += 1;
    }
    el.append(text.slice(at));
    return found;
  }

  function lineElement(sourceId, text, kind) {
    const row = document.createElement("div");
    row.className = "k2-log-line" + (kind ? " k2-log-" + kind : "");
    const source = sources.get(sourceId);
    if (source) {
      const prefix = document.createElement("span");
      prefix.className = "k2-log-prefix k2-log-c" + (source.colour % 8);
      prefix.textContent = source.label;
      row.append(prefix);
    }
    const body = document.createElement("span");
    body.className = "k2-log-text";
    body.dataset.text = text;
    fill(body, text);
    row.append(body);
    return row;
  }

  function stuckToBottom() {
    return view.scrollHeight - view.scrollTop - view.clientHeight < 40;
  }

  function append(rows) {
    const follow = stuckToBottom();
    const fragment = document.createDocumentFragment();
    rows.forEach((row) => fragment.append(row));
    view.append(fragment);
    let excess = view.childElementCount - maxLines;
    while (excess-- > 0) {
      view.firstElementChild.remove();
      trimmed += 1;
    }
    if (follow) view.scrollTop = view.scrollHeight;
    updateCount();
  }

  function updateCount() {
    count.textContent = view.childElementCount + " " + t("lines") +
      (trimmed ? " (" + trimmed + " " + t("trimmed") + ")" : "");
  }

  function notice(text, kind) {
    append([lineElement(null, "— " + text + " —", kind || "notice")]);
  }

  function highlight() {
    needle = search.value.trim().toLowerCase();
    let found = 0;
    view.querySelectorAll(".k2-log-text").forEach((el) => {
      found += fill(el, el.dataset.text);
    });
    matches.textContent = needle ? found + " " + t("matches") : "";
    const first = view.querySelector("mark");
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  ws.addEventListener("open", () => {
    opened = true;
    setStatus("green", t("following"));
  });
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "lines") {
      append(message.lines.map(([id, text]) => lineElement(id, text)));
      pending += message.lines.length;
      // Acknowledge once the browser has drawn them: the server's window moves on.
      requestAnimationFrame(() => {
        send({ type: "ack", lines: pending });
        pending = 0;
      });
    } else if (message.type === "source") {
      const label = message.pod + "/" + message.container;
      sources.set(message.id, { label: label, colour: sources.size });
    } else if (message.type === "dropped") {
      notice(message.message, "dropped");
    } else if (message.type === "notice") {
      notice(message.message);
    } else if (message.type === "closed") {
      ended = true;
      notice(message.message, message.reason === "done" ? "notice" : "ended");
      setStatus(message.reason === "done" ? "secondary" : "red",
        message.reason === "done" ? t("loaded") : message.message);
      view.dataset.state = message.reason;
      pauseButton.disabled = true;
    }
  });
  ws.addEventListener("close", () => {
    if (ended) return;
    ended = true;
    pauseButton.disabled = true;
    setStatus("red", opened ? t("lost") : t("refused"));
    view.dataset.state = opened ? "lost" : "refused";
  });

  pauseButton.addEventListener("click", () => {
    paused = !paused;
    send({ type: paused ? "pause" : "resume" });
    pauseButton.querySelector("span").textContent = paused ? t("resume") : t("pause");
    pauseButton.querySelector("i").className = "ti me-1 " + (paused ? "ti-player-play" : "ti-player-pause");
    pauseButton.dataset.paused = paused ? "true" : "false";
    setStatus(paused ? "yellow" : "green", paused ? t("paused") : t("following"));
  });

  search.addEventListener("input", highlight);

  download.addEventListener("click", () => {
    const text = Array.from(view.children, (row) => {
      const prefix = row.querySelector(".k2-log-prefix");
      const body = row.querySelector(".k2-log-text");
      return (prefix ? "[" + prefix.textContent + "] " : "") + (body ? body.dataset.text : "");
    }).join("\n") + "\n";
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    link.download = view.dataset.file || "logs.log";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });
})();
