// The web terminal page: xterm.js on the websocket of apps/terminal/consumers.py.
// Output is acknowledged once xterm.js has drawn it (the server stops reading the
// container past a window of unacknowledged bytes); keystrokes go as binary frames;
// resizes and acks as small JSON text frames. A connection lost without the server's
// "closed" message is reopened with backoff; a refused one asks the page why.
(function () {
  "use strict";
  const el = document.getElementById("k2-terminal");
  if (!el || !window.Terminal) return;
  const t = el.dataset;
  const statusEl = document.getElementById("k2-term-status");
  const dot = document.getElementById("k2-term-dot");
  const encoder = new TextEncoder();
  const ACK_EVERY = 64 * 1024;

  const term = new window.Terminal({
    cursorBlink: true, scrollback: 5000, fontSize: 14,
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(el);
  fit.fit();
  term.focus();

  let ws = null;
  let connected = false; // the server said "connected" on this socket
  let closedByServer = false; // the server said why it closed
  let waitingForEnter = false;
  let attempts = 0;
  let drawn = 0; // output drawn but not yet acknowledged

  function setStatus(state, text) {
    statusEl.textContent = text;
    el.dataset.state = state;
    dot.className = "status-dot " + ({ connected: "bg-green", closed: "bg-secondary", refused: "bg-red" }[state]
      || "status-dot-animated bg-yellow");
  }

  function send(data) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(data);
  }

  function ack() {
    if (drawn > 0) { send(JSON.stringify({ type: "ack", bytes: drawn })); drawn = 0; }
  }
  setInterval(ack, 250);

  function url() {
    const params = new URLSearchParams({
      cluster: t.cluster, pod: t.pod, container: t.container, shell: t.shell,
      cols: term.cols, rows: term.rows,
    });
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + t.wsPath + "?" + params;
  }

  function connect() {
    connected = false; closedByServer = false; waitingForEnter = false;
    setStatus("connecting", attempts ? t.tReconnecting : t.tConnecting);
    ws = new WebSocket(url());
    ws.binaryType = "arraybuffer";
    ws.onmessage = function (event) {
      if (typeof event.data !== "string") {
        const bytes = new Uint8Array(event.data);
        term.write(bytes, function () {
          drawn += bytes.length;
          if (drawn >= ACK_EVERY) ack();
        });
        return;
      }
      const msg = JSON.parse(event.data);
      if (msg.type === "status" && msg.state === "connected") {
        connected = true; attempts = 0;
        el.dataset.session = msg.session;
        setStatus("connected", t.tConnected);
      } else if (msg.type === "notice") {
        term.write("\r\n\x1b[33m" + msg.message + "\x1b[0m\r\n");
      } else if (msg.type === "closed") {
        closedByServer = true;
        setStatus("closed", t.tClosed + ": " + msg.message);
        term.write("\r\n\x1b[90m" + msg.message + " " + t.tReopen + "\x1b[0m\r\n");
      }
    };
    ws.onclose = function () {
      ack();
      if (closedByServer) { waitingForEnter = true; return; }
      if (!connected) { explainRefusal(); return; }
      reconnect();
    };
  }

  function reconnect() {
    attempts += 1;
    setStatus("reconnecting", t.tReconnecting);
    setTimeout(connect, Math.min(10000, 500 * 2 ** attempts));
  }

  function explainRefusal() {
    fetch(t.checkUrl + "?" + new URLSearchParams({ cluster: t.cluster, pod: t.pod, container: t.container, shell: t.shell }),
      { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { allowed: false, reason: r.statusText }; })
      .then(function (answer) {
        if (answer.allowed && attempts < 5) { reconnect(); return; }
        setStatus("refused", t.tRefused + ": " + (answer.reason || ""));
        term.write("\r\n\x1b[31m" + (answer.reason || t.tRefused) + "\x1b[0m\r\n");
        waitingForEnter = true;
      })
      .catch(function () { reconnect(); });
  }

  term.onData(function (data) {
    if (waitingForEnter) {
      if (data === "\r") { term.reset(); attempts = 0; connect(); }
      return;
    }
    send(encoder.encode(data));
  });
  term.onBinary(function (data) {
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) bytes[i] = data.charCodeAt(i) & 255;
    send(bytes);
  });
  term.onResize(function (size) { send(JSON.stringify({ type: "resize", cols: size.cols, rows: size.rows })); });
  window.addEventListener("resize", function () { fit.fit(); });
  // Ctrl+Shift+C copies the selection (Ctrl+C stays the shell's interrupt).
  term.attachCustomKeyEventHandler(function (event) {
    if (event.type === "keydown" && event.ctrlKey && event.shiftKey && event.code === "KeyC") {
      const text = term.getSelection();
      if (text && navigator.clipboard) navigator.clipboard.writeText(text);
      return false;
    }
    return true;
  });
  window.k2Terminal = { term: term, element: el };
  connect();
})();
