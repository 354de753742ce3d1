/*
 * Activity and re-checks: real input extends the session (at most once per 30 s),
 * and the status endpoint is asked again after the machine slept and whenever the
 * tab becomes visible, since timers cannot be trusted across either.
 *
 * A status answer of 500 or more is an outage (the server or its session store is
 * down), never an end: the page stays and asks again later.
 */

const ACTIVITY_EVERY_MS = 30000;
// Far longer than the one-second tick that calls noticeSleep(): only a suspended
// machine (or a frozen tab) leaves such a gap.
const SLEEP_GAP_MS = 5000;

function now() {
  return performance.now();
}

/**
 * Start watching. `send` tries the websocket first (true if it went); `isPaused`
 * says the dialog is open; `onLive` gets a live status; `onEnded` runs when the
 * server says the session is over.
 */
export function watchActivity({ statusUrl, extendUrl, csrfToken, send, isPaused, onLive, onEnded }) {
  let lastActivitySent = now();
  let lastTickWall = Date.now();

  function handleStatusResponse(response) {
    // A server or store outage (503) is not an end: keep the page, try again later.
    if (response.status >= 500) return null;
    return response.json().then(function (data) {
      if (!data.authenticated) onEnded();
      else onLive(data);
      return data;
    });
  }

  /** Ask the server how the session stands; resolves to its answer, or null. */
  function checkStatus() {
    return fetch(statusUrl, {
      credentials: "same-origin",
      cache: "no-store",
      // Background: asking must not count as activity.
      headers: { "X-Session-Background": "1", "Accept": "application/json" },
    }).then(handleStatusResponse).catch(function () { return null; });
  }

  /** Extend the session: over the websocket if it is open, else over HTTP. */
  function extend() {
    lastActivitySent = now();
    if (send({ type: "extend" })) return;
    fetch(extendUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    }).then(handleStatusResponse).catch(function () { /* offline: resync later */ });
  }

  function onInput() {
    if (isPaused()) return; // inside the dialog, only its buttons decide
    if (now() - lastActivitySent >= ACTIVITY_EVERY_MS) extend();
  }

  ["keydown", "pointerdown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, onInput, { passive: true, capture: true });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") checkStatus();
  });

  /** Call once a tick: a long gap between ticks means the machine slept. */
  function noticeSleep() {
    const wall = Date.now();
    // Ask before trusting timers that may have stood still.
    if (wall - lastTickWall > SLEEP_GAP_MS) checkStatus();
    lastTickWall = wall;
  }

  return { checkStatus, extend, noticeSleep };
}
