// Shared by every page: the deployment's settings, the two languages, the API client, field
// errors and the direct upload to S3. Classic script: its names are globals of the pages.
'use strict';

const Settings = JSON.parse(document.getElementById('settings').textContent);

const TEXT = { it: TEXT_IT, en: TEXT_EN };

/** The page's language: the one chosen before, else the browser's if Italian, else English. */
function currentLanguage() {
  const chosen = localStorage.getItem('language');
  if (chosen === 'it' || chosen === 'en') return chosen;
  return (navigator.language || '').toLowerCase().startsWith('it') ? 'it' : 'en';
}

/** The other language, shown beside labels (the official form is bilingual). */
function otherLanguage() {
  return currentLanguage() === 'it' ? 'en' : 'it';
}

/** A text of the current language (or `language`), with `{name}` placeholders filled. */
function t(key, vars = {}, language = currentLanguage()) {
  const text = TEXT[language][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Switches the page's language; every `[data-t]` text follows, pages re-render on the event. */
function setLanguage(language) {
  localStorage.setItem('language', language);
  applyLanguage();
  document.dispatchEvent(new CustomEvent('languagechange'));
}

function applyLanguage() {
  const language = currentLanguage();
  document.documentElement.lang = language;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-alt]')) el.textContent = ' / ' + t(el.dataset.tAlt, {}, otherLanguage());
  for (const el of document.querySelectorAll('[data-t-title]')) el.title = t(el.dataset.tTitle);
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === language));
  }
}

/** A localized date and time. */
function formatTime(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(currentLanguage() === 'it' ? 'it-IT' : 'en-GB');
}

/** A status in words. */
function statusText(status) {
  return t('status.' + status);
}

/** A country's name in the current language. */
function countryName(code) {
  try {
    return new Intl.DisplayNames([currentLanguage()], { type: 'region' }).of(code) || code;
  } catch {
    return code;
  }
}

/** Fills a <select> with every country the server accepts, by name, keeping its value. */
function fillCountries(select) {
  const value = select.value;
  const collator = new Intl.Collator(currentLanguage());
  const countries = Settings.countries.map((code) => [code, countryName(code)]).sort((a, b) => collator.compare(a[1], b[1]));
  select.replaceChildren(new Option(t('choose'), ''), ...countries.map(([code, name]) => new Option(name, code)));
  select.value = value;
}

/**
 * Calls the API. Answers `{status, body, headers}`; a network failure is status 0 with a
 * `network` error, so callers handle every outcome the same way and keep what was typed.
 */
async function api(method, path, { body, token, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'omit' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.authorization = 'Bearer ' + token;
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { status: 0, body: { error: 'network', message: t('err.network') }, headers: new Headers() };
  }
  let parsed = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = { error: 'unexpected', message: t('err.generic') };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Creates an element with attributes and children (text or nodes). */
function h(tag, attributes = {}, ...children) {
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
function controlId(field) {
  return 'f-' + field.replace(/\./g, '-');
}

/**
 * Marks fields invalid: each message next to its field (bound by aria-describedby), a summary in
 * `alert` (role=alert, announced) linking to each field, focus on the summary.
 */
function showFieldErrors(form, alert, errors) {
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
    const label = TEXT.en['f.' + field] ? t('f.' + field) : field;
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

function clearFieldErrors(form, alert) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  hideAlert(alert);
}

/** Shows a message (and optional details) in an alert region and moves focus there. */
function showAlert(alert, message, details, kind = 'error') {
  alert.replaceChildren(h('p', {}, message), details || '');
  alert.className = 'alert ' + kind;
  alert.hidden = false;
  alert.tabIndex = -1;
  alert.focus();
}

function hideAlert(alert) {
  alert.hidden = true;
  alert.replaceChildren();
}

/** True when `file` is a PDF, JPEG or PNG of at most 3 MiB; otherwise the error text. */
function documentProblem(file) {
  if (!file) return t('err.required');
  if (!Settings.document_types.includes(file.type)) return t('err.file_type');
  if (file.size === 0) return t('err.file_empty');
  if (file.size > Settings.limits.document_bytes) return t('err.file_size');
  return null;
}

/**
 * Uploads `file` straight to S3 with the signed POST form `upload` (every signed field, the file
 * last), reporting progress to `progress` (a <progress>). Resolves to true on success.
 */
function uploadDocument(upload, file, progress) {
  return new Promise((resolve) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) data.append(name, value);
    data.append('file', file);
    const request = new XMLHttpRequest();
    request.open(upload.method || 'POST', upload.url);
    progress.value = 0;
    progress.max = file.size;
    progress.hidden = false;
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) {
        progress.max = event.total;
        progress.value = event.loaded;
      }
    });
    request.addEventListener('load', () => {
      const ok = request.status >= 200 && request.status < 300;
      if (ok) progress.value = progress.max;
      resolve(ok);
    });
    request.addEventListener('error', () => resolve(false));
    request.addEventListener('abort', () => resolve(false));
    request.send(data);
  });
}

/**
 * After the upload, asks for the acceptance check (S3's trigger does it too; it is idempotent).
 * Answers `{ok, view}` or `{ok: false, message}`.
 */
async function confirmDocument(id, token) {
  const answer = await api('POST', `/requests/${encodeURIComponent(id)}/document`, { token });
  if (answer.status === 200) return { ok: true, view: answer.body };
  if (answer.body.error === 'document_refused') {
    return { ok: false, message: t('upload.refused', { reason: t('refused.' + answer.body.reason) }) };
  }
  return { ok: false, message: answer.body.message || t('err.generic') };
}

document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  }
  applyLanguage();
});
