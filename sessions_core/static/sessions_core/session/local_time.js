/*
 * Clock times in the person's own time zone. The server writes each as
 * <time datetime="ISO 8601" data-local-time="time|datetime">…UTC</time>; here it
 * is shown again in the browser's zone and language, with the zone's name, so a
 * person in Berlin reads 15:05 CET, not 14:05 UTC.
 */

const FORMATS = {
  time: { hour: "2-digit", minute: "2-digit", timeZoneName: "short" },
  datetime: {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    second: "2-digit", timeZoneName: "short",
  },
};

/** Rewrite every time[data-local-time] under `root` in the browser's zone. */
export function showLocalTimes(root) {
  root.querySelectorAll("time[data-local-time]").forEach(function (node) {
    const moment = new Date(node.getAttribute("datetime"));
    const format = FORMATS[node.getAttribute("data-local-time")] || FORMATS.datetime;
    if (isNaN(moment.getTime())) return;
    node.textContent = moment.toLocaleString(document.documentElement.lang || [], format);
  });
}
