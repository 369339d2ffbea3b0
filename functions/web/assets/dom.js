// Building elements, and telling errors: next to their fields and in an alert that takes the focus.
import { hasText, t } from './i18n.js';

/** Creates an element with attributes and children (text or nodes). */
export function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, value);
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** The id of a field's control (`address.city` → `f-address-city`). */
export function controlId(field) {
  return 'f-' + field.replace(/\./g, '-');
}

/**
 * Marks fields invalid: each message next to its field (bound by aria-describedby), a summary in
 * `alert` (role=alert, announced) linking to each field, focus on the summary.
 */
export function showFieldErrors(form, alert, errors) {
  clearFieldErrors(form, alert);
  const entries = Object.entries(errors);
  for (const [field, message] of entries) {
    const control = document.getElementById(controlId(field));
    const slot = document.getElementById('e-' + field.replace(/\./g, '-'));
    if (slot) slot.textContent = message;
    if (control) control.setAttribute('aria-invalid', 'true');
  }
  if (entries.length === 0) return;
  const list = h('ul', {}, entries.map(([field, message]) => {
    const label = hasText('f.' + field) ? t('f.' + field) : field;
    const focus = (event) => {
      const control = document.getElementById(controlId(field));
      if (!control) return;
      event.preventDefault();
      control.focus();
    };
    return h('li', {}, h('a', { href: '#' + controlId(field), onclick: focus }, label + ': ' + message));
  }));
  showAlert(alert, t('err.summary', { count: entries.length }), list);
}

/** Removes every field error and the alert. */
export function clearFieldErrors(form, alert) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  hideAlert(alert);
}

/** Shows a message (and optional details) in an alert region and moves focus there. */
export function showAlert(alert, message, details, kind = 'error') {
  alert.replaceChildren(h('p', {}, message), details || '');
  alert.className = 'alert ' + kind;
  alert.hidden = false;
  alert.tabIndex = -1;
  alert.focus();
}

/** Hides the alert. */
export function hideAlert(alert) {
  alert.hidden = true;
  alert.replaceChildren();
}

