/*
 * The "Are you still there?" alertdialog (#session-warning): the countdown to the
 * session's end, what it says to screen readers, and a focus trap while it is open.
 *
 * The server sends relative seconds; they become a deadline on the monotonic
 * performance.now() clock, so the time of day never matters here.
 */

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

function inWords(seconds) {
  const s = Math.ceil(seconds);
  if (s >= 60) {
    const m = Math.round(s / 60);
    return m + (m === 1 ? " minute" : " minutes");
  }
  return s + (s === 1 ? " second" : " seconds");
}

/**
 * Wire the dialog in `root`. onStay runs for "Stay signed in" and Escape,
 * onSignOut for "Sign out".
 */
export function createDialog(root, { onStay, onSignOut }) {
  const countdown = root.querySelector("[data-session-countdown]");
  const countdownWords = root.querySelector("[data-session-countdown-words]");
  const announcer = root.querySelector("[data-session-announce]");
  const stayButton = root.querySelector("[data-session-stay]");
  const signoutButton = root.querySelector("[data-session-signout]");

  let deadline = null; // on the performance.now() clock, in milliseconds
  let warningLead = 120; // seconds; replaced by the server's with its first state
  let announced = {};
  let returnFocus = null;

  function secondsLeft() {
    return deadline === null ? Infinity : Math.max(0, (deadline - now()) / 1000);
  }

  function render() {
    if (root.hidden) return;
    const left = secondsLeft();
    countdown.textContent = formatClock(left);
    countdownWords.textContent = inWords(left);
    ANNOUNCE_AT.forEach(function (mark) {
      if (left <= mark && left > mark - 2 && !announced[mark]) {
        announced[mark] = true;
        announcer.textContent = "You will be signed out in " + inWords(mark) + ".";
      }
    });
  }

  function show() {
    if (!root.hidden) return;
    announced = {};
    returnFocus = document.activeElement;
    root.hidden = false;
    render();
    announcer.textContent = "You will be signed out in " + inWords(secondsLeft()) +
      ". Choose Stay signed in to continue.";
    stayButton.focus();
  }

  function hide() {
    if (root.hidden) return;
    root.hidden = true;
    announcer.textContent = "";
    // Give focus back to where the user was before the dialog took it.
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  function stay() {
    onStay();
    hide();
  }

  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      // Escape closes the dialog, so it must mean the safe choice: stay signed in.
      event.preventDefault();
      stay();
    } else if (event.key === "Tab") {
      // Keep focus inside the dialog while it is open (aria-modal).
      if (event.shiftKey && document.activeElement === stayButton) {
        event.preventDefault();
        signoutButton.focus();
      } else if (!event.shiftKey && document.activeElement === signoutButton) {
        event.preventDefault();
        stayButton.focus();
      }
    }
  });
  stayButton.addEventListener("click", stay);
  signoutButton.addEventListener("click", function () {
    onSignOut();
  });

  return {
    isOpen() {
      return !root.hidden;
    },

    /** Take the server's state: seconds to the idle and absolute ends, and the lead. */
    applyState(idleIn, absoluteIn, lead) {
      warningLead = lead;
      deadline = now() + Math.min(idleIn, absoluteIn) * 1000;
      // Time was added (elsewhere, or by this tab): the warning no longer applies.
      if (secondsLeft() > warningLead) hide();
      else show();
      render();
    },

    /** Take the server's warning: the session ends in `expiresIn` seconds. */
    warn(expiresIn) {
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
