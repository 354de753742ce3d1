/*
 * The websocket each tab keeps open: connect, reconnect with backoff and jitter,
 * and act on the server's close codes (sessions_core/consumers.py):
 *
 *   4000  the session ended; the {"type": "expired"} frame before it already
 *         sent the page away
 *   4001  the session moved to a new key (say, a password change in another tab);
 *         reconnect at once, the browser already has the new cookie
 *   4013  the session store is down; an outage, not an end: say "Reconnecting…"
 *         and reconnect with backoff, never leave the page
 *
 * body[data-session-connection] is "open" once the server has sent the session's
 * state and "closed" when the socket closes; #session-connection is the notice.
 */

const BACKOFF_START_MS = 1000;
const BACKOFF_CAP_MS = 30000;
const CLOSE_RECONNECT = 4001;
const CLOSE_TRY_AGAIN_LATER = 4013;

/**
 * Make the socket; call connect() to open it. `path` is the server's socket path,
 * `notice` the "Reconnecting…" element; `isLeaving` says the page is going away;
 * `checkStatus` asks the status endpoint (resolves to its answer, or null);
 * `onMessage` gets every frame the server sends, parsed.
 */
export function createSocket({ path, notice, isLeaving, checkStatus, onMessage }) {
  let socket = null;
  let backoff = BACKOFF_START_MS;
  let reconnectTimer = null;
  // Set after a 4001 reconnect until the server sends state again: should it keep
  // closing with 4001, the page falls back to the backoff instead of a tight loop.
  let reconnectedAtOnce = false;

  function setConnection(value) {
    // Lets tests and stylesheets see the connection; no behaviour hangs on it.
    document.body.setAttribute("data-session-connection", value);
  }

  /** Send a message if the socket is open; false if it is not. */
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function onFrame(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (message.type === "state") {
      // The server sends state once it listens for this session's news: the
      // connection really works. The backoff starts afresh here, not on "open",
      // because a server whose store is down accepts and then closes with 4013.
      setConnection("open");
      backoff = BACKOFF_START_MS;
      reconnectedAtOnce = false;
    }
    onMessage(message);
  }

  function onClose(event, opened) {
    socket = null;
    setConnection("closed");
    if (isLeaving()) return;
    if (event.code === CLOSE_RECONNECT && !reconnectedAtOnce) {
      reconnectedAtOnce = true;
      connect();
      return;
    }
    if (event.code === CLOSE_TRY_AGAIN_LATER) {
      // No status check: nothing said during an outage may send the page away.
      notice.hidden = false;
      scheduleReconnect();
      return;
    }
    // Refused or dropped: did the session end meanwhile? Then leave with the reason.
    checkStatus().then(function (data) {
      if (isLeaving()) return;
      if (opened || data === null) notice.hidden = false;
      scheduleReconnect();
    });
  }

  function connect() {
    if (isLeaving()) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let opened = false;
    socket = new WebSocket(scheme + location.host + path);
    socket.addEventListener("open", function () {
      opened = true;
      notice.hidden = true;
    });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", function (event) {
      onClose(event, opened);
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null || isLeaving()) return;
    let delay = Math.min(backoff, BACKOFF_CAP_MS);
    delay = delay / 2 + Math.random() * delay / 2; // jitter: no thundering herd
    backoff = Math.min(backoff * 2, BACKOFF_CAP_MS);
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  window.addEventListener("offline", function () {
    // A socket can look open for minutes after the network is gone: drop it now,
    // say so, and come back as soon as the browser is online again.
    notice.hidden = false;
    if (socket) socket.close();
  });

  window.addEventListener("online", function () {
    if (reconnectTimer !== null) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
    }
    backoff = BACKOFF_START_MS;
    if (!socket) connect();
  });

  return { connect, send };
}
