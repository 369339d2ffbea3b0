// The password reset page: without a token, the request (a username or an email address); with
// the token of an emailed link (`/reset#token=…`, taken off the address bar at once), the new
// password, then the way to the login.
import { api, retryMinutes } from './api.js';
import { h, showAlert } from './dom.js';
import { t } from './i18n.js';
import { inputField, showNewPassword } from './login.js';

function showRequest(root, notice) {
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
  const form = h('form', { novalidate: true },
    inputField('reset-who', 'reset.who', { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' }),
    h('button', { type: 'submit', class: 'primary', 'data-t': 'reset.submit' }, t('reset.submit')));
  root.replaceChildren(h('section', { class: 'login', 'aria-labelledby': 'reset-title' },
    h('h2', { id: 'reset-title', 'data-t': 'reset.title' }, t('reset.title')),
    h('p', { 'data-t': 'reset.intro' }, t('reset.intro')), alert, form,
    h('p', {}, h('a', { href: '/login', 'data-t': 'reset.to_login' }, t('reset.to_login')))));
  if (notice) showAlert(alert, notice);
  const input = form.elements['reset-who'];
  input.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    input.removeAttribute('aria-invalid');
    document.getElementById('e-reset-who').textContent = '';
    const who = input.value.trim();
    if (!who) {
      input.setAttribute('aria-invalid', 'true');
      document.getElementById('e-reset-who').textContent = t('err.required');
      showAlert(alert, t('err.summary', { count: 1 }));
      return;
    }
    const button = form.querySelector('button');
    button.disabled = true;
    const body = who.includes('@') ? { email: who } : { username: who };
    const answer = await api('POST', '/auth/password-reset', { body });
    button.disabled = false;
    if (answer.status === 202) {
      const sent = h('section', { class: 'login', tabindex: '-1', id: 'reset-sent' },
        h('h2', { 'data-t': 'reset.title' }, t('reset.title')),
        h('p', { class: 'alert success', role: 'status', 'data-t': 'reset.sent' }, t('reset.sent')),
        h('p', {}, h('a', { href: '/login', 'data-t': 'reset.to_login' }, t('reset.to_login'))));
      root.replaceChildren(sent);
      sent.focus();
    } else if (answer.status === 429) {
      showAlert(alert, t('reset.limited', { minutes: retryMinutes(answer.headers) }));
    } else if (answer.status === 400 && answer.body.fields) {
      const message = Object.values(answer.body.fields)[0];
      input.setAttribute('aria-invalid', 'true');
      document.getElementById('e-reset-who').textContent = message;
      showAlert(alert, message);
    } else {
      showAlert(alert, answer.body.message || t('err.generic'));
    }
  });
}

function showDone(root) {
  const done = h('section', { class: 'login', tabindex: '-1', id: 'reset-done' },
    h('h2', { 'data-t': 'reset.title' }, t('reset.title')),
    h('p', { class: 'alert success', role: 'status', 'data-t': 'reset.done' }, t('reset.done')),
    h('p', {}, h('a', { href: '/login', 'data-t': 'reset.to_login' }, t('reset.to_login'))));
  root.replaceChildren(done);
  done.focus();
}

/** Shows what the address names: the new password for a link's token, else the request. */
function start() {
  const root = document.getElementById('reset-root');
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) {
    if (!root.hasChildNodes()) showRequest(root, null);
    return;
  }
  // The token leaves the address bar (and so the history) before anything else happens.
  history.replaceState(null, '', location.pathname + location.search);
  showNewPassword(root, {
    introKey: 'reset.choose',
    send: (password) => api('POST', '/auth/password-reset/confirm', { body: { token, new_password: password } }),
    onDone: () => showDone(root),
    invalidError: 'invalid_reset_token',
    onInvalid: () => showRequest(root, t('reset.invalid')),
  });
}

document.addEventListener('DOMContentLoaded', start);
// A link pasted into this page's own tab changes only the fragment: no new page load.
window.addEventListener('hashchange', start);
