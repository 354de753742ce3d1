/*
 * Activity and re-checks. The person's real input (keys, clicks, touch and the
 * mouse wheel; event.isTrusted only) is reported to the server as
 * {"type": "activity", "ago": s} at most once per `activity_every` seconds, the
 * interval the server's policy sends in every state frame; `ago` says how long
 * before the report the person last acted, so the idle limit counts from the
 * input, not from the report. Input inside a throttle interval is reported when
 * it ends, so the server learns of the last keystroke too. Not "scroll": a
 * script's scrollTo() and scroll anchoring fire trusted scroll events, and a
 * person scrolls with the wheel, keys or touch anyway. While the warning is open
 * only its own buttons (and Escape) decide: input elsewhere is not "Stay signed in".
 *
 * The status endpoint is asked again after the machine slept and whenever the tab
 * becomes visible, since timers cannot be trusted across either. A status answer
 * of 500 or more is an outage, never an end: the page stays and asks again later.
 */

// Until the first state frame says otherwise: the policy's default (600 s idle,
// 120 s lead) gives 60 s; shorter here, so a page never waits too long.
const DEFAULT_ACTIVITY_EVERY_S = 15;
// Far longer than the one-second tick that calls noticeSleep(): only a suspended
// machine (or a frozen tab) leaves such a gap.
const SLEEP_GAP_MS = 5000;
const INPUT_EVENTS = ["keydown", "pointerdown", "touchstart", "wheel"];

function now() {
  return performance.now();
}

/**
 * Start watching. `send` tries the websocket first (true if it went); `isPaused`
 * says the dialog is open; `onLive` gets a live status; `onEnded` runs when the
 * server says the session is over.
 */
export function watchActivity({ statusUrl, extendUrl, csrfToken, send, isPaused, onLive, onEnded }) {
  // The page's own request counted as activity: the first report can wait.
  let lastReport = now();
  let everyMs = DEFAULT_ACTIVITY_EVERY_S * 1000;
  let pending = null; // the timer of a report held back by the interval
  let lastInput = now(); // when the person last acted (performance.now())
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

  function post(fields) {
    const body = new URLSearchParams(fields);
    fetch(extendUrl, {
      method: "POST",
      credentials: "same-origin",
      body: body,
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    }).then(handleStatusResponse).catch(function () { /* offline: resync later */ });
  }

  /** "Stay signed in": over the websocket if it is open, else over HTTP. */
  function extend() {
    lastReport = now();
    if (send({ type: "extend" })) return;
    post({});
  }

  function report() {
    pending = null;
    lastReport = now();
    const ago = Math.max(0, (lastReport - lastInput) / 1000);
    if (send({ type: "activity", ago: ago })) return;
    post({ activity: "1", ago: String(ago) });
  }

  function onInput(event) {
    if (!event.isTrusted || isPaused()) return;
    lastInput = now();
    if (pending !== null) return; // a report is already on its way
    const wait = lastReport + everyMs - now();
    if (wait <= 0) report();
    else pending = setTimeout(report, wait);
  }

  INPUT_EVENTS.forEach(function (name) {
    document.addEventListener(name, onInput, { passive: true, capture: true });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") checkStatus();
  });

  /** Take the server's interval between reports (seconds, from a state frame). */
  function setReportInterval(seconds) {
    if (typeof seconds === "number" && seconds > 0) everyMs = seconds * 1000;
  }

  /** Call once a tick: a long gap between ticks means the machine slept. */
  function noticeSleep() {
    const wall = Date.now();
    // Ask before trusting timers that may have stood still.
    if (wall - lastTickWall > SLEEP_GAP_MS) checkStatus();
    lastTickWall = wall;
  }

  return { checkStatus, extend, noticeSleep, setReportInterval };
}
