/*
 * Drafts: nothing typed into a form[data-keep-draft] is lost when the session ends.
 *
 * Each form's fields are kept in sessionStorage (per form and page; never
 * passwords, hidden fields or files), put back when the page is shown again after
 * signing in, and dropped when the form is sent.
 */

const FORMS = "form[data-keep-draft]";

function draftKey(form) {
  return "session-draft:" + form.getAttribute("data-keep-draft") + ":" + location.pathname;
}

function draftFields(form) {
  return Array.prototype.filter.call(form.elements, function (el) {
    return el.name && el.type !== "password" && el.type !== "hidden" &&
      el.type !== "submit" && el.type !== "button" && el.type !== "file";
  });
}

function isToggle(el) {
  return el.type === "checkbox" || el.type === "radio";
}

function saveDraft(form) {
  const values = {};
  draftFields(form).forEach(function (el) {
    values[el.name] = isToggle(el) ? el.checked : el.value;
  });
  try {
    sessionStorage.setItem(draftKey(form), JSON.stringify(values));
  } catch (e) {
    // Storage full or refused: the draft is a convenience, the form still works.
  }
}

function restoreDraft(form) {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(draftKey(form)) || "null");
  } catch (e) {
    saved = null;
  }
  if (!saved) return;
  draftFields(form).forEach(function (el) {
    if (!(el.name in saved)) return;
    if (isToggle(el)) el.checked = saved[el.name];
    else el.value = saved[el.name];
  });
}

/** Save every draft now (just before the page leaves for sign-in). */
export function saveDrafts() {
  document.querySelectorAll(FORMS).forEach(saveDraft);
}

/** Put saved drafts back, and keep them as the user types. */
export function keepDrafts() {
  document.querySelectorAll(FORMS).forEach(function (form) {
    restoreDraft(form);
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
    form.addEventListener("submit", function () {
      sessionStorage.removeItem(draftKey(form));
    });
  });
}
