/*
 * The page's words in its language, from Django's JavaScriptCatalog
 * (sessions_core:jsi18n, loaded before these modules). Without the catalog the
 * English words stand.
 */

export function gettext(text) {
  return typeof window.gettext === "function" ? window.gettext(text) : text;
}

export function ngettext(one, many, count) {
  if (typeof window.ngettext === "function") return window.ngettext(one, many, count);
  return count === 1 ? one : many;
}

/** Put values into "%(name)s" placeholders. */
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, function (match, name) {
    return name in values ? String(values[name]) : match;
  });
}
