/*
 * Live session warnings for every private page (no build step, no dependencies).
 *
 * The server sends relative seconds; this script turns them into deadlines on the
 * monotonic performance.now() clock and never reads the time of day. It shows the
 * "Are you still there?" alertdialog at the warning, sends "extend" for "Stay
 * signed in" and for real input (at most once per 30 s), leaves for /login/ with
 * location.replace() when the session ends, reconnects with backoff and jitter,
 * and re-checks /session/status/ after sleep or when the tab becomes visible.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("session-config");
  if (!configNode || !("WebSocket" in window)) return;
  var config = JSON.parse(configNode.textContent);

  var ACTIVITY_EVERY_MS = 30000;
  var BACKOFF_START_MS = 1000;
  var BACKOFF_CAP_MS = 30000;
  var TICK_MS = 1000;
  var ANNOUNCE_AT = [60, 30, 10];

  var dialog = document.getElementById("session-warning");
  var countdown = dialog.querySelector("[data-session-countdown]");
  var countdownWords = dialog.querySelector("[data-session-countdown-words]");
  var announcer = dialog.querySelector("[data-session-announce]");
  var stayButton = dialog.querySelector("[data-session-stay]");
  var signoutButton = dialog.querySelector("[data-session-signout]");
  var connectionNotice = document.getElementById("session-connection");
  var signoutForm = document.getElementById("session-signout-form");

  var socket = null;
  var leaving = false;
  var backoff = BACKOFF_START_MS;
  var reconnectTimer = null;
  // Deadlines on the performance.now() clock (milliseconds).
  var deadline = null;
  var warningLead = 120;
  var lastActivitySent = performance.now();
  var lastTickWall = Date.now();
  var announced = {};
  var returnFocus = null;

  function now() { return performance.now(); }

  function csrfToken() {
    var input = signoutForm && signoutForm.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- Deadlines ------------------------------------------------------------------

  function applyState(idleIn, absoluteIn, lead) {
    warningLead = lead;
    var next = now() + Math.min(idleIn, absoluteIn) * 1000;
    var moved = deadline === null || next > deadline + 1000;
    deadline = next;
    if (secondsLeft() > warningLead) {
      hideDialog();
    } else if (moved || dialog.hidden) {
      showDialog();
    }
    render();
  }

  function secondsLeft() {
    return deadline === null ? Infinity : Math.max(0, (deadline - now()) / 1000);
  }

  // --- The dialog -----------------------------------------------------------------

  function formatClock(seconds) {
    var s = Math.ceil(seconds);
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function inWords(seconds) {
    var s = Math.ceil(seconds);
    if (s >= 60) {
      var m = Math.round(s / 60);
      return m + (m === 1 ? " minute" : " minutes");
    }
    return s + (s === 1 ? " second" : " seconds");
  }

  function render() {
    if (dialog.hidden) return;
    var left = secondsLeft();
    countdown.textContent = formatClock(left);
    countdownWords.textContent = inWords(left);
    ANNOUNCE_AT.forEach(function (mark) {
      if (left <= mark && left > mark - 2 && !announced[mark]) {
        announced[mark] = true;
        announcer.textContent = "You will be signed out in " + inWords(mark) + ".";
      }
    });
  }

  function showDialog() {
    if (!dialog.hidden) return;
    announced = {};
    returnFocus = document.activeElement;
    dialog.hidden = false;
    render();
    announcer.textContent = "You will be signed out in " + inWords(secondsLeft()) +
      ". Choose Stay signed in to continue.";
    stayButton.focus();
  }

  function hideDialog() {
    if (dialog.hidden) return;
    dialog.hidden = true;
    announcer.textContent = "";
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      stay();
    } else if (event.key === "Tab") {
      // Keep focus inside the dialog while it is open.
      var first = stayButton, last = signoutButton;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  stayButton.addEventListener("click", stay);
  signoutButton.addEventListener("click", function () {
    leaving = true;
    signoutForm.submit();
  });

  function stay() {
    extend();
    hideDialog();
  }

  // --- Talking to the server --------------------------------------------------------

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function extend() {
    lastActivitySent = now();
    if (send({ type: "extend" })) return;
    fetch(config.extend, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
    }).then(handleStatusResponse).catch(function () { /* offline: resync later */ });
  }

  function checkStatus() {
    return fetch(config.status, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Session-Background": "1", "Accept": "application/json" },
    }).then(handleStatusResponse).catch(function () { return null; });
  }

  function handleStatusResponse(response) {
    // A server or store outage (503) is not an end: keep the page, try again later.
    if (response.status >= 500) return null;
    return response.json().then(function (data) {
      if (!data.authenticated) {
        leave();
      } else {
        applyState(data.idle_expires_in, data.absolute_expires_in, data.warning_lead);
      }
      return data;
    });
  }

  function leave() {
    if (leaving) return;
    leaving = true;
    saveDrafts();
    var here = location.pathname + location.search;
    // replace(): a GET, so nothing is re-posted, and Back does not return here.
    location.replace(config.login + "?next=" + encodeURIComponent(here));
  }

  function onMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === "state") {
      // The server sends state once it listens for this session's news. Lets
      // tests and stylesheets see the connection; no behaviour hangs on it.
      document.body.setAttribute("data-session-connection", "open");
      applyState(message.idle_expires_in, message.absolute_expires_in, message.warning_lead);
    } else if (message.type === "warning") {
      deadline = now() + message.expires_in * 1000;
      showDialog();
      render();
    } else if (message.type === "expired") {
      leave();
    }
  }

  function connect() {
    if (leaving) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var opened = false;
    socket = new WebSocket(scheme + location.host + config.socket);
    socket.addEventListener("open", function () {
      opened = true;
      backoff = BACKOFF_START_MS;
      connectionNotice.hidden = true;
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function () {
      socket = null;
      document.body.setAttribute("data-session-connection", "closed");
      if (leaving) return;
      // Refused or dropped: did the session end meanwhile? Then leave with the reason.
      checkStatus().then(function (data) {
        if (leaving) return;
        if (opened || data === null) connectionNotice.hidden = false;
        scheduleReconnect();
      });
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer !== null || leaving) return;
    var delay = Math.min(backoff, BACKOFF_CAP_MS);
    delay = delay / 2 + Math.random() * delay / 2;  // jitter: no thundering herd
    backoff = Math.min(backoff * 2, BACKOFF_CAP_MS);
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  window.addEventListener("offline", function () {
    // A socket can look open for minutes after the network is gone: drop it now,
    // say so, and come back as soon as the browser is online again.
    connectionNotice.hidden = false;
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

  // --- Activity, sleep and visibility -----------------------------------------------

  function onInput() {
    if (!dialog.hidden) return;  // inside the dialog, only its buttons decide
    if (now() - lastActivitySent >= ACTIVITY_EVERY_MS) extend();
  }
  ["keydown", "pointerdown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, onInput, { passive: true, capture: true });
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") checkStatus();
  });

  setInterval(function () {
    var wall = Date.now();
    // A long gap between ticks means the machine slept: ask before trusting timers.
    if (wall - lastTickWall > TICK_MS * 5) checkStatus();
    lastTickWall = wall;
    if (deadline === null || leaving) return;
    var left = secondsLeft();
    if (left <= warningLead && dialog.hidden) showDialog();
    if (left <= 0) {
      // The server closes the socket when it ends the session; confirm with it.
      checkStatus();
    }
    render();
  }, TICK_MS);

  // --- Drafts: nothing typed is lost -------------------------------------------------

  function draftKey(form) {
    return "session-draft:" + form.getAttribute("data-keep-draft") + ":" + location.pathname;
  }

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "password" && el.type !== "hidden" &&
        el.type !== "submit" && el.type !== "button" && el.type !== "file";
    });
  }

  function saveDraft(form) {
    var values = {};
    draftFields(form).forEach(function (el) {
      values[el.name] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
    });
    try { sessionStorage.setItem(draftKey(form), JSON.stringify(values)); } catch (e) { /* full */ }
  }

  function saveDrafts() {
    document.querySelectorAll("form[data-keep-draft]").forEach(saveDraft);
  }

  document.querySelectorAll("form[data-keep-draft]").forEach(function (form) {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(draftKey(form)) || "null"); } catch (e) { saved = null; }
    if (saved) {
      draftFields(form).forEach(function (el) {
        if (!(el.name in saved)) return;
        if (el.type === "checkbox" || el.type === "radio") el.checked = saved[el.name];
        else el.value = saved[el.name];
      });
    }
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
    form.addEventListener("submit", function () {
      sessionStorage.removeItem(draftKey(form));
    });
  });

  connect();
})();
