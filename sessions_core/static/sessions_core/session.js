/*
 * Live session warnings for every private page: native ES modules, no build step,
 * no dependencies. Loaded by sessions_core/session_dialog.html as
 * <script type="module">, so it runs once the page is parsed.
 *
 * This entry module reads the page's #session-config and wires the parts:
 *   session/socket.js    the websocket, its reconnects and close codes
 *   session/dialog.js    the warning alertdialog: idle ("Are you still there?") and
 *                        absolute ("this session ends at 14:05")
 *   session/activity.js  input, sleep and visibility re-checks, the status endpoint
 *   session/drafts.js    drafts of form[data-keep-draft] forms
 *   session/local_time.js  clock times in the person's own time zone
 *
 * The server sends relative seconds; the page's clock only counts down from them.
 * When the session ends the page leaves for the sign-in page with
 * location.replace(), keeping drafts and the way back (?next=).
 */
import { watchActivity } from "./session/activity.js";
import { createDialog } from "./session/dialog.js";
import { keepDrafts, saveDrafts } from "./session/drafts.js";
import { showLocalTimes } from "./session/local_time.js";
import { createSocket } from "./session/socket.js";

const TICK_MS = 1000;

function start(config) {
  const signoutForm = document.getElementById("session-signout-form");
  let leaving = false;

  function isLeaving() {
    return leaving;
  }

  function csrfToken() {
    const input = signoutForm && signoutForm.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function signInAgainUrl() {
    return config.login + "?next=" + encodeURIComponent(location.pathname + location.search);
  }

  // A form being sent (or a link followed) is already on its way to the server,
  // which answers an ended session with the sign-in page and its reason: going
  // there from here as well would cancel that answer (the rotating admin's own
  // "Rotate" would never show its result).
  // Should that navigation fail (offline, a download), the page leaves after all.
  let navigating = false;
  function navigate() {
    navigating = true;
    setTimeout(function () { navigating = false; }, 10000);
  }
  window.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) navigate();
  });
  window.addEventListener("beforeunload", navigate);

  function leave() {
    if (leaving || navigating) return;
    leaving = true;
    saveDrafts();
    // replace(): a GET, so nothing is re-posted, and Back does not return here.
    location.replace(signInAgainUrl());
  }

  // The parts call each other only through these callbacks. Some name `activity`
  // or `socket`, made further down: they run only after start() has returned.
  const dialog = createDialog(document.getElementById("session-warning"), {
    onStay: function () { activity.extend(); },
    onSignOut: function () {
      leaving = true;
      signoutForm.submit();
    },
    onRestart: function () {
      // Sign out now (recorded as "you signed out") and come back here after
      // signing in again, with what was typed.
      leaving = true;
      saveDrafts();
      signoutForm.elements.next.value = signInAgainUrl();
      signoutForm.submit();
    },
  });

  const activity = watchActivity({
    statusUrl: config.status,
    extendUrl: config.extend,
    csrfToken: csrfToken,
    send: function (message) { return socket.send(message); },
    isPaused: dialog.isOpen,
    onLive: function (data) {
      activity.setReportInterval(data.activity_every);
      dialog.applyState(data.idle_expires_in, data.absolute_expires_in, data.warning_lead);
    },
    onEnded: leave,
  });

  const socket = createSocket({
    path: config.socket,
    notice: document.getElementById("session-connection"),
    isLeaving: isLeaving,
    // Not while navigating: an old page's poll must not race the new page.
    checkStatus: function () {
      return navigating ? Promise.resolve(null) : activity.checkStatus();
    },
    onMessage: function (message) {
      if (message.type === "state") {
        activity.setReportInterval(message.activity_every);
        dialog.applyState(message.idle_expires_in, message.absolute_expires_in, message.warning_lead);
      } else if (message.type === "warning") {
        dialog.warn(message.expires_in, message.kind);
      } else if (message.type === "expired") {
        leave();
      }
    },
  });

  setInterval(function () {
    activity.noticeSleep();
    if (leaving) return;
    // Past the deadline: the server closes the socket when it ends the session,
    // but confirm with it in case that close was lost.
    if (dialog.tick() && !navigating) activity.checkStatus();
  }, TICK_MS);

  keepDrafts();
  socket.connect();
}

showLocalTimes(document);
const configNode = document.getElementById("session-config");
if (configNode && "WebSocket" in window) {
  start(JSON.parse(configNode.textContent));
}
