/*
 * The session warning (#session-warning, an alertdialog) in its two kinds:
 *
 *   idle      "Are you still there?", a countdown, "Stay signed in" and "Sign out".
 *   absolute  "For your security, this session ends at 14:05 (in 2 minutes)",
 *             "Sign in again now" and "OK". Nothing extends the absolute limit,
 *             so there is no "Stay"; once dismissed with OK it stays closed until
 *             the end.
 *
 * While open, focus is inside it and stays there (Tab wraps, a click on the
 * backdrop gives it back), Escape is the safe choice (Stay, or OK), and focus
 * returns where it was when it closes. Screen readers hear the time left
 * politely at a few marks, never every second.
 *
 * The server sends relative seconds; they become a deadline on the monotonic
 * performance.now() clock. Only the clock time shown ("ends at 14:05") uses the
 * browser's wall clock and time zone.
 */

import { gettext, interpolate, ngettext } from "./words.js";

// Screen readers hear the time left at these marks (seconds), once each.
const ANNOUNCE_AT = [60, 30, 10];

function now() {
  return performance.now();
}

function formatClock(seconds) {
  const s = Math.ceil(seconds);
  const m = Math.floor(s / 60);
  const r = s % 60;
  return m + ":" + (r < 10 ? "0" : "") + r;
}

function minutesWords(n) {
  return interpolate(ngettext("%(n)s minute", "%(n)s minutes", n), { n: n });
}

function secondsWords(n) {
  return interpolate(ngettext("%(n)s second", "%(n)s seconds", n), { n: n });
}

/** "1 minute 10 seconds", "2 minutes", "45 seconds": exact, never rounded up. */
export function inWords(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  const m = Math.floor(s / 60);
  const r = s % 60;
  if (m === 0) return secondsWords(r);
  if (r === 0) return minutesWords(m);
  return minutesWords(m) + " " + secondsWords(r);
}

/** The wall-clock time `seconds` from now, in the browser's own zone. */
function clockTimeIn(seconds) {
  const at = new Date(Date.now() + seconds * 1000);
  return at.toLocaleTimeString(document.documentElement.lang || [], { hour: "2-digit", minute: "2-digit" });
}

/**
 * Wire the dialog in `root`. onStay runs for "Stay signed in" (and Escape on the
 * idle warning), onSignOut for "Sign out", onRestart for "Sign in again now".
 */
export function createDialog(root, { onStay, onSignOut, onRestart }) {
  const parts = {
    idle: root.querySelector('[data-session-for="idle"]'),
    absolute: root.querySelector('[data-session-for="absolute"]'),
  };
  const countdown = root.querySelector("[data-session-countdown]");
  const countdownWords = root.querySelector("[data-session-countdown-words]");
  const endsAt = root.querySelector("[data-session-ends-at]");
  const endsIn = root.querySelector("[data-session-ends-in]");
  const announcer = root.querySelector("[data-session-announce]");

  let deadline = null; // on the performance.now() clock, in milliseconds
  let kind = "idle";
  let warningLead = 120; // seconds; replaced by the server's with its first state
  let absoluteDismissed = false;
  let announced = {};
  let returnFocus = null;

  function secondsLeft() {
    return deadline === null ? Infinity : Math.max(0, (deadline - now()) / 1000);
  }

  function buttons() {
    return Array.prototype.slice.call(parts[kind].querySelectorAll("button"));
  }

  /** Where focus goes first: the safe choice, so Enter never signs anyone out. */
  function safeButton() {
    return parts[kind].querySelector(kind === "idle" ? "[data-session-stay]" : "[data-session-ok]");
  }

  function announce(text) {
    announcer.textContent = text;
  }

  function render() {
    if (root.hidden) return;
    const left = secondsLeft();
    if (kind === "idle") {
      countdown.textContent = formatClock(left);
      countdownWords.textContent = inWords(left);
    } else {
      endsAt.textContent = clockTimeIn(left);
      endsIn.textContent = inWords(left);
    }
    ANNOUNCE_AT.forEach(function (mark) {
      if (left <= mark && left > mark - 2 && !announced[mark]) {
        announced[mark] = true;
        announce(interpolate(gettext("You will be signed out in %(time)s."), { time: inWords(mark) }));
      }
    });
  }

  function setKind(next) {
    if (next === kind) return;
    kind = next;
    root.setAttribute("data-session-kind", kind);
    root.setAttribute("aria-labelledby", kind === "idle" ? "session-warning-title" : "session-absolute-title");
    root.setAttribute("aria-describedby", kind === "idle" ? "session-warning-text" : "session-absolute-text");
    parts.idle.hidden = kind !== "idle";
    parts.absolute.hidden = kind !== "absolute";
    if (!root.hidden) safeButton().focus();
  }

  function show() {
    if (kind === "absolute" && absoluteDismissed) return;
    if (!root.hidden) return;
    announced = {};
    returnFocus = document.activeElement;
    root.hidden = false;
    render();
    const time = { time: inWords(secondsLeft()) };
    announce(kind === "idle"
      ? interpolate(gettext("You will be signed out in %(time)s. Choose Stay signed in to continue."), time)
      : interpolate(gettext("This session ends in %(time)s."), time));
    safeButton().focus();
  }

  function hide() {
    if (root.hidden) return;
    root.hidden = true;
    announce("");
    // Give focus back to where the person was before the dialog took it.
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  function stay() {
    onStay();
    hide();
  }

  function dismiss() {
    absoluteDismissed = true;
    hide();
  }

  // On the document, not the dialog: after a click on the backdrop the focus is
  // on <body>, and Escape must still work.
  document.addEventListener("keydown", function (event) {
    if (root.hidden) return;
    if (event.key === "Escape") {
      // Escape closes the dialog, so it means the safe choice.
      event.preventDefault();
      if (kind === "idle") stay();
      else dismiss();
    } else if (event.key === "Tab") {
      const list = buttons();
      const first = list[0];
      const last = list[list.length - 1];
      const inside = root.contains(document.activeElement);
      if (event.shiftKey && (document.activeElement === first || !inside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  root.addEventListener("mousedown", function (event) {
    // The backdrop is not a way out, and must not take the focus away.
    if (event.target === root) {
      event.preventDefault();
      safeButton().focus();
    }
  });
  root.querySelector("[data-session-stay]").addEventListener("click", stay);
  root.querySelector("[data-session-signout]").addEventListener("click", onSignOut);
  root.querySelector("[data-session-ok]").addEventListener("click", dismiss);
  root.querySelector("[data-session-restart]").addEventListener("click", onRestart);

  function take(idleIn, absoluteIn) {
    setKind(idleIn <= absoluteIn ? "idle" : "absolute");
    deadline = now() + Math.min(idleIn, absoluteIn) * 1000;
  }

  return {
    isOpen() {
      return !root.hidden;
    },

    /** Take the server's state: seconds to the idle and absolute ends, and the lead. */
    applyState(idleIn, absoluteIn, lead) {
      warningLead = lead;
      take(idleIn, absoluteIn);
      // Time was added (elsewhere, or by this tab): the warning no longer applies.
      if (secondsLeft() > warningLead) hide();
      else show();
      render();
    },

    /** Take the server's warning: the `warningKind` limit is `expiresIn` away. */
    warn(expiresIn, warningKind) {
      setKind(warningKind === "absolute" ? "absolute" : "idle");
      deadline = now() + expiresIn * 1000;
      show();
      render();
    },

    /** Count down one tick; true once the deadline has passed. */
    tick() {
      if (deadline === null) return false;
      const left = secondsLeft();
      // The page's own clock opens the dialog too, should the server's warning be lost.
      if (left <= warningLead) show();
      render();
      return left <= 0;
    },
  };
}
