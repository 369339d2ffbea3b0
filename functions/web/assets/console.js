// The operators' console: login (with the forced change), the queue by status with paging, a
// request with its document and audit trail, and the decisions, each confirmed. An expired session
// goes back to the login and, once logged in again, to the same screen with the text typed kept.
import { api } from './api.js';
import { h, hideAlert, showAlert } from './dom.js';
import { countryName, formatTime, hasText, languageName, statusText, t } from './i18n.js';
import { mountLogin } from './login.js';

const root = document.getElementById('console-root');
const consoleAlert = document.getElementById('console-alert');
const logoutButton = document.getElementById('logout');
const previousLogin = document.getElementById('previous-login');
const dialog = document.getElementById('confirm-dialog');
const dialogForm = document.getElementById('confirm-form');
const dialogNote = document.getElementById('confirm-note');

const SESSION_KEY = 'operator-session';
const PENDING_KEY = 'operator-pending-action';
const QUEUE_STATUSES = ['submitted', 'info_requested', 'approved', 'rejected'];
const PAGE_SIZE = 20;

/** The actions an operator may take from each status, with the text each needs. */
const ACTIONS = {
  submitted: ['approve', 'request-info', 'reject'],
  info_requested: ['reject'],
  approved: ['reissue-credentials'],
};
const ACTION_TEXT = {
  approve: { field: 'note', label: 'action.note', required: false },
  reject: { field: 'reason', label: 'action.reason', required: true },
  'request-info': { field: 'message', label: 'action.message', required: true },
  'reissue-credentials': null,
};

/** The queue's pages seen so far: the cursor of each (the first has none). */
let pages = { status: null, cursors: [null], index: 0 };
/** What the current screen shows, to draw it again in another language. */
let screen = null;

function session() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    return stored && stored.expires_at > Date.now() ? stored : null;
  } catch {
    return null;
  }
}

/** Calls the operators' API with the session; an expired or refused session goes to the login. */
async function call(method, path, body) {
  const current = session();
  if (!current) {
    expired();
    return null;
  }
  const answer = await api(method, path, { token: current.token, body });
  if (answer.status === 401) {
    expired();
    return null;
  }
  return answer;
}

function expired() {
  sessionStorage.removeItem(SESSION_KEY);
  if (dialog.open) dialog.close();
  showLogin(t('console.expired'));
}

function showLogin(notice) {
  logoutButton.hidden = true;
  previousLogin.hidden = true;
  screen = null;
  hideAlert(consoleAlert);
  mountLogin(root, loggedIn, notice);
}

function loggedIn(answer) {
  if (answer.role !== 'operator') {
    showLogin(t('console.forbidden'));
    return;
  }
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({
    token: answer.token,
    expires_at: Date.now() + answer.expires_in * 1000,
    previous_login: answer.previous_login || null,
  }));
  logoutButton.hidden = false;
  route();
}

/** The previous login's time and address, so an operator notices one that was not theirs. */
function showPreviousLogin() {
  const previous = session()?.previous_login;
  previousLogin.hidden = !previous;
  if (previous) {
    previousLogin.textContent = t('console.previous_login', { at: formatTime(previous.at), ip: previous.ip || t('console.unknown_ip') });
  }
}

/** Draws the screen the URL names: `#/requests/<id>`, else `#/queue/<status>`. */
function route() {
  if (!session()) {
    showLogin(null);
    return;
  }
  logoutButton.hidden = false;
  showPreviousLogin();
  hideAlert(consoleAlert);
  const [, kind, value] = location.hash.split('/');
  if (kind === 'requests' && value) {
    showRequest(decodeURIComponent(value));
  } else {
    const status = QUEUE_STATUSES.includes(value) ? value : 'submitted';
    if (pages.status !== status) pages = { status, cursors: [null], index: 0 };
    showQueue();
  }
}

async function showQueue() {
  const { status, cursors, index } = pages;
  const query = new URLSearchParams({ status, limit: String(PAGE_SIZE) });
  if (cursors[index]) query.set('cursor', cursors[index]);
  const answer = await call('GET', `/operator/requests?${query}`);
  if (!answer) return;
  if (answer.status !== 200) {
    showAlert(consoleAlert, answer.body.message || t('err.generic'));
    return;
  }
  screen = { kind: 'queue', page: answer.body };
  renderQueue();
}

function renderQueue() {
  const { page } = screen;
  const { status, index } = pages;
  const filter = h('select', { id: 'queue-status' }, QUEUE_STATUSES.map((s) => h('option', { value: s, selected: s === status }, statusText(s))));
  filter.addEventListener('change', () => {
    location.hash = `#/queue/${filter.value}`;
  });
  const rows = page.items.map((item) => h('tr', {},
    h('td', {}, h('a', { href: `#/requests/${encodeURIComponent(item.id)}` }, item.reference)),
    h('td', {}, `${item.name} ${item.surname}`),
    h('td', {}, countryName(item.citizenship)),
    h('td', {}, formatTime(item.submitted_at))));
  const table = page.items.length === 0 ? h('p', {}, t('queue.empty')) : h('table', { class: 'queue' },
    h('caption', {}, `${statusText(status)} — ${t('queue.page', { n: index + 1 })}`),
    h('thead', {}, h('tr', {}, ['queue.reference', 'queue.person', 'queue.citizenship', 'queue.submitted_at'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, rows));
  const previous = h('button', { type: 'button', disabled: index === 0 }, t('queue.previous'));
  previous.addEventListener('click', () => {
    pages.index -= 1;
    showQueue();
  });
  const next = h('button', { type: 'button', disabled: !page.next_cursor }, t('queue.next'));
  next.addEventListener('click', () => {
    pages.cursors[pages.index + 1] = page.next_cursor;
    pages.index += 1;
    showQueue();
  });
  root.replaceChildren(h('section', { 'aria-labelledby': 'queue-title' },
    h('h2', { id: 'queue-title' }, t('queue.title')),
    h('div', { class: 'field inline' }, h('label', { for: 'queue-status' }, t('queue.filter')), filter),
    table,
    h('nav', { class: 'pager', 'aria-label': t('queue.title') }, previous, next)));
}

async function showRequest(id) {
  const answer = await call('GET', `/operator/requests/${encodeURIComponent(id)}`);
  if (!answer) return;
  if (answer.status !== 200) {
    showAlert(consoleAlert, answer.body.message || t('err.generic'));
    return;
  }
  screen = { kind: 'request', detail: answer.body };
  renderRequest();
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || 'null');
  if (pending && pending.id === id && (ACTIONS[answer.body.status] || []).includes(pending.action)) {
    confirmAction(pending.action);
  }
}

/** The applicant's fields in the order of the form. */
function applicantRows(applicant) {
  const address = applicant.address || {};
  const rows = [
    ['name', applicant.name], ['surname', applicant.surname], ['gender', t('gender.' + applicant.gender)],
    ['birth_date', applicant.birth_date], ['birth_country', countryName(applicant.birth_country)],
    ['citizenship', countryName(applicant.citizenship)], ['identification_code', applicant.identification_code],
    ['email', applicant.email], ['pec', applicant.pec], ['phone', applicant.phone], ['other_phone', applicant.other_phone],
    ['residence_country', countryName(applicant.residence_country)], ['address.city', address.city],
    ['address.street', address.street], ['address.number', address.number],
  ];
  return rows.filter(([, value]) => value).map(([field, value]) => [t('f.' + field), value]);
}

function documentBlock(doc, index, reference) {
  if (!doc.accepted || !doc.download_url) return h('p', {}, t('detail.not_uploaded'));
  const type = doc.content_type.split('/')[1].toUpperCase();
  const name = `${reference}-${index + 1}`;
  const link = h('a', { href: doc.download_url, class: 'document-link', download: name }, t('detail.download', { type }));
  if (doc.content_type.startsWith('image/')) {
    return h('figure', { class: 'document' },
      h('img', { src: doc.download_url, alt: `${t('detail.document')} ${index + 1} — ${reference}` }),
      h('figcaption', {}, link));
  }
  return h('p', {}, link);
}

function renderRequest() {
  const { detail } = screen;
  const queueStatus = QUEUE_STATUSES.includes(detail.status) ? detail.status : 'submitted';
  const actions = (ACTIONS[detail.status] || []).map((action) => {
    const button = h('button', { type: 'button', class: action === 'approve' ? 'primary' : '', 'data-action': action }, t('action.' + action));
    button.addEventListener('click', () => confirmAction(action));
    return button;
  });
  const undeliverable = detail.undeliverable
    ? h('p', { class: 'alert warning' }, t('detail.undeliverable', { kind: detail.undeliverable.kind }))
    : '';
  const audit = h('table', { class: 'audit' },
    h('caption', {}, t('detail.audit')),
    h('thead', {}, h('tr', {}, ['audit.at', 'audit.actor', 'audit.action', 'audit.change', 'audit.note'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, detail.audit.map((line) => h('tr', {},
      h('td', {}, formatTime(line.at)), h('td', {}, line.actor), h('td', {}, actionText(line.action)),
      h('td', {}, `${line.from ? statusText(line.from) + ' → ' : ''}${statusText(line.to)}`), h('td', {}, line.note || '')))));
  const facts = [
    ...applicantRows(detail.applicant),
    [t('field.language'), languageName(detail.applicant.language)],
    [t('field.consent'), `${formatTime(detail.consent.at)} (${detail.consent.privacy_notice_version})`],
    [t('field.created_at'), formatTime(detail.created_at)],
    [t('queue.submitted_at'), formatTime(detail.submitted_at)],
  ];
  if (detail.username) facts.push([t('detail.username'), detail.username]);
  root.replaceChildren(h('article', { 'aria-labelledby': 'request-title' },
    h('p', {}, h('a', { href: `#/queue/${queueStatus}` }, t('detail.back'))),
    h('h2', { id: 'request-title' }, `${detail.reference} — `, h('span', { id: 'request-status', 'data-status': detail.status }, statusText(detail.status))),
    undeliverable,
    h('div', { class: 'actions', role: 'group', 'aria-label': t('action.confirm') }, actions),
    h('section', { 'aria-labelledby': 'applicant-title' },
      h('h3', { id: 'applicant-title' }, t('detail.applicant')),
      h('dl', { class: 'facts' }, facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]))),
    h('section', { 'aria-labelledby': 'document-title' },
      h('h3', { id: 'document-title' }, t('detail.document')),
      detail.documents.map((doc, index) => documentBlock(doc, index, detail.reference))),
    audit));
}

/** An audit action in words (its code when this page does not know it). */
function actionText(action) {
  return hasText('audit.' + action) ? t('audit.' + action) : action;
}

/** Opens the confirmation of `action`, with its text field when it takes one (draft kept). */
function confirmAction(action) {
  const { detail } = screen;
  const text = ACTION_TEXT[action];
  const draftKey = `draft:${detail.id}:${action}`;
  document.getElementById('confirm-text').textContent = t('action.confirm_' + action, { reference: detail.reference });
  document.getElementById('confirm-field').hidden = !text;
  document.getElementById('e-confirm-note').textContent = '';
  dialogNote.removeAttribute('aria-invalid');
  if (text) {
    document.getElementById('confirm-label').textContent = t(text.label);
    dialogNote.required = text.required;
    dialogNote.value = sessionStorage.getItem(draftKey) || '';
    dialogNote.oninput = () => sessionStorage.setItem(draftKey, dialogNote.value);
  }
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ id: detail.id, action }));
  dialogForm.onsubmit = async (event) => {
    event.preventDefault();
    const value = dialogNote.value.trim();
    if (text && text.required && !value) {
      dialogNote.setAttribute('aria-invalid', 'true');
      document.getElementById('e-confirm-note').textContent = t('err.required');
      dialogNote.focus();
      return;
    }
    const body = text ? (value ? { [text.field]: value } : {}) : undefined;
    const answer = await call('POST', `/operator/requests/${encodeURIComponent(detail.id)}/${action}`, body);
    if (!answer) return;
    if (answer.status === 400 && answer.body.fields) {
      dialogNote.setAttribute('aria-invalid', 'true');
      document.getElementById('e-confirm-note').textContent = Object.values(answer.body.fields).join(' ');
      return;
    }
    dialog.close();
    sessionStorage.removeItem(PENDING_KEY);
    if (answer.status === 200) {
      sessionStorage.removeItem(draftKey);
      await showRequest(detail.id);
      showAlert(consoleAlert, t('action.done', { reference: detail.reference, status: statusText(answer.body.status) }), null, 'success');
    } else {
      await showRequest(detail.id);
      const message = answer.body.error === 'invalid_transition'
        ? t('action.conflict', { status: statusText(answer.body.status) })
        : answer.body.error === 'credentials_already_used' ? t('action.used') : answer.body.message || t('err.generic');
      showAlert(consoleAlert, message);
    }
  };
  document.getElementById('confirm-no').onclick = () => {
    sessionStorage.removeItem(PENDING_KEY);
    dialog.close();
  };
  dialog.showModal();
  (text ? dialogNote : document.getElementById('confirm-yes')).focus();
}

function render() {
  if (session()) showPreviousLogin();
  if (screen?.kind === 'queue') renderQueue();
  else if (screen?.kind === 'request') renderRequest();
}

document.addEventListener('DOMContentLoaded', () => {
  logoutButton.addEventListener('click', async () => {
    const current = session();
    sessionStorage.removeItem(SESSION_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    showLogin(null);
    // Ends the session on the server too: its token stops working everywhere at once.
    if (current) await api('POST', '/auth/logout', { token: current.token });
  });
  dialog.addEventListener('cancel', () => sessionStorage.removeItem(PENDING_KEY));
  window.addEventListener('hashchange', route);
  route();
});
document.addEventListener('languagechange', render);
