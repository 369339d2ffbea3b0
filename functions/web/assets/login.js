// Login with the forced password change of a first access (temporary password, legacy password
// or activation link) and the way to a forgotten password, shared by the login page and the
// operators' console; the new-password form is the reset page's too.
import { api, retryMinutes } from './api.js';
import { h, showAlert } from './dom.js';
import { isLanguage, setLanguage, t } from './i18n.js';
import { Settings } from './settings.js';

/** A labelled input with its error slot; the label follows the language switch. */
export function inputField(id, labelKey, attributes) {
  return h('div', { class: 'field' },
    h('label', { for: id, 'data-t': labelKey }, t(labelKey)),
    h('input', { id, name: id, required: true, 'aria-required': 'true', 'aria-describedby': `e-${id}`, ...attributes }),
    h('p', { class: 'error', id: `e-${id}` }));
}

/**
 * Shows the login form in `root`; calls `onAuthenticated(session, username, changed)` once a
 * session is granted (`changed` after the forced change). `notice` is shown above the form.
 */
export function mountLogin(root, onAuthenticated, notice = null) {
  const activation = new URLSearchParams(location.hash.slice(1)).get('activation');
  if (activation) {
    history.replaceState(null, '', location.pathname + location.search);
    showChange(root, activation, '', onAuthenticated, 'change.activation');
    return;
  }
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
  const form = h('form', { novalidate: true },
    inputField('login-username', 'login.username', { autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false' }),
    inputField('login-password', 'login.password', { type: 'password', autocomplete: 'current-password' }),
    h('button', { type: 'submit', class: 'primary', 'data-t': 'login.submit' }, t('login.submit')));
  const forgotten = h('p', { class: 'forgotten' }, h('a', { href: '/reset', 'data-t': 'login.forgotten' }, t('login.forgotten')));
  root.replaceChildren(h('section', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h2', { id: 'login-title', 'data-t': 'login.title' }, t('login.title')), alert, form, forgotten));
  if (notice) showAlert(alert, notice, null, 'info');
  form.elements['login-username'].focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = form.elements['login-username'].value.trim();
    const password = form.elements['login-password'].value;
    const missing = {};
    if (!username) missing.username = t('err.required');
    if (!password) missing.password = t('err.required');
    if (Object.keys(missing).length > 0) {
      showLoginErrors(form, alert, missing);
      return;
    }
    const button = form.querySelector('button');
    button.disabled = true;
    const answer = await api('POST', '/auth/login', { body: { username, password } });
    button.disabled = false;
    if (answer.status === 200 && answer.body.status === 'password_change_required') {
      showChange(root, answer.body.change_token, username, onAuthenticated, 'change.intro');
    } else if (answer.status === 200) {
      proceed(root, answer.body, username, onAuthenticated, false);
    } else {
      form.elements['login-password'].value = '';
      const message = {
        invalid_credentials: t('login.invalid'),
        temporary_password_expired: t('login.expired'),
        account_locked: t('login.locked', { minutes: retryMinutes(answer.headers) }),
      }[answer.body.error] || answer.body.message || t('err.generic');
      showAlert(alert, message);
    }
  });
}

function showLoginErrors(form, alert, errors) {
  for (const [name, message] of Object.entries(errors)) {
    const control = form.elements['login-' + name];
    control.setAttribute('aria-invalid', 'true');
    document.getElementById('e-login-' + name).textContent = message;
  }
  showAlert(alert, t('err.summary', { count: Object.keys(errors).length }));
}

/** What follows a correct password (or a first change): the session, or the second factor. */
function proceed(root, answer, username, onAuthenticated, changed) {
  if (answer.status === 'second_factor_required') showCode(root, answer.mfa_token, username, onAuthenticated, changed);
  else if (answer.status === 'mfa_enrolment_required') showEnrolment(root, answer, username, onAuthenticated, changed);
  else onAuthenticated(answer, username, changed);
}

/** The code form of a second factor; `intro` (nodes) above it. Calls `onAccepted(body)` on 200. */
function codeForm(root, mfaToken, onAuthenticated, onAccepted, titleKey, intro) {
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
  const form = h('form', { novalidate: true },
    h('p', { class: 'hint', id: 'mfa-hint', 'data-t': 'mfa.hint' }, t('mfa.hint')),
    inputField('mfa-code', 'mfa.code', { autocomplete: 'one-time-code', autocapitalize: 'none', spellcheck: 'false', 'aria-describedby': 'mfa-hint e-mfa-code' }),
    h('button', { type: 'submit', class: 'primary', 'data-t': 'mfa.submit' }, t('mfa.submit')));
  root.replaceChildren(h('section', { class: 'login', 'aria-labelledby': 'mfa-title' },
    h('h2', { id: 'mfa-title', 'data-t': titleKey }, t(titleKey)), ...intro, alert, form));
  form.elements['mfa-code'].focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const code = form.elements['mfa-code'].value.trim();
    if (!code) {
      form.elements['mfa-code'].setAttribute('aria-invalid', 'true');
      document.getElementById('e-mfa-code').textContent = t('err.required');
      showAlert(alert, t('err.summary', { count: 1 }));
      return;
    }
    const button = form.querySelector('button');
    button.disabled = true;
    const answer = await api('POST', '/auth/mfa', { body: { mfa_token: mfaToken, code } });
    button.disabled = false;
    form.elements['mfa-code'].value = '';
    if (answer.status === 200) {
      onAccepted(answer.body);
    } else if (answer.body.error === 'invalid_mfa_token') {
      mountLogin(root, onAuthenticated, t('mfa.expired'));
    } else if (answer.body.error === 'account_locked') {
      mountLogin(root, onAuthenticated, t('login.locked', { minutes: retryMinutes(answer.headers) }));
    } else {
      form.elements['mfa-code'].setAttribute('aria-invalid', 'true');
      showAlert(alert, answer.body.error === 'invalid_code' ? t('mfa.invalid') : (answer.body.message || t('err.generic')));
    }
  });
}

/** Every login of an account with a second factor: its code or a recovery code. */
function showCode(root, mfaToken, username, onAuthenticated, changed) {
  codeForm(root, mfaToken, onAuthenticated, (body) => onAuthenticated(body, username, changed), 'mfa.title', []);
}

/**
 * An operator's enrolment: the QR code and the key for the authenticator app, its first code,
 * then the recovery codes, shown this once.
 */
function showEnrolment(root, answer, username, onAuthenticated, changed, introKey = 'mfa.enrol_intro') {
  const qr = 'data:image/svg+xml;base64,' + btoa(answer.qr_svg);
  const intro = [
    h('p', { 'data-t': introKey }, t(introKey)),
    h('img', { class: 'qr', src: qr, width: 200, height: 200, alt: t('mfa.qr_alt') }),
    h('p', {}, h('span', { 'data-t': 'mfa.key' }, t('mfa.key')), ' ', h('code', { id: 'mfa-secret' }, answer.secret)),
  ];
  codeForm(root, answer.mfa_token, onAuthenticated, (body) => showRecoveryCodes(root, body, username, onAuthenticated, changed), 'mfa.enrol_title', intro);
}

function showRecoveryCodes(root, body, username, onAuthenticated, changed) {
  const next = h('button', { type: 'button', class: 'primary', 'data-t': 'mfa.saved' }, t('mfa.saved'));
  const section = h('section', { class: 'login', tabindex: '-1', 'aria-labelledby': 'codes-title' },
    h('h2', { id: 'codes-title', 'data-t': 'mfa.codes_title' }, t('mfa.codes_title')),
    h('p', { 'data-t': 'mfa.codes_intro' }, t('mfa.codes_intro')),
    h('ol', { class: 'recovery-codes', id: 'recovery-codes' }, (body.recovery_codes || []).map((code) => h('li', {}, h('code', {}, code)))),
    next);
  root.replaceChildren(section);
  section.focus();
  next.addEventListener('click', () => onAuthenticated(body, username, changed));
}

/** The forced change: a new password twice, checked by the server's policy. */
function showChange(root, changeToken, username, onAuthenticated, introKey) {
  showNewPassword(root, {
    introKey,
    send: (password) => api('POST', '/auth/password', { body: { change_token: changeToken, new_password: password } }),
    onDone: (answer) => proceed(root, answer, username, onAuthenticated, true),
    invalidError: 'invalid_change_token',
    onInvalid: () => mountLogin(root, onAuthenticated, t('change.token')),
  });
}

/**
 * A new password twice, checked here for length and sameness and by the server's policy:
 * `send(password)` answers the API's reply, `onDone(body)` follows a 200, `onInvalid()` a refusal
 * of the token (`invalidError`).
 */
export function showNewPassword(root, { introKey, send, onDone, invalidError, onInvalid }) {
  const limits = Settings.limits;
  const alert = h('div', { class: 'alert', role: 'alert', hidden: true });
  const form = h('form', { novalidate: true },
    h('p', { class: 'hint', id: 'change-hint' }, t('change.hint', { min: limits.password_min, max: limits.password_max })),
    inputField('new-password', 'change.new', { type: 'password', autocomplete: 'new-password', maxlength: limits.password_max, 'aria-describedby': 'change-hint e-new-password' }),
    inputField('confirm-password', 'change.confirm', { type: 'password', autocomplete: 'new-password', maxlength: limits.password_max }),
    h('button', { type: 'submit', class: 'primary', 'data-t': 'change.submit' }, t('change.submit')));
  root.replaceChildren(h('section', { class: 'login', 'aria-labelledby': 'change-title' },
    h('h2', { id: 'change-title', 'data-t': 'change.title' }, t('change.title')),
    h('p', { 'data-t': introKey }, t(introKey)), alert, form));
  form.elements['new-password'].focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.error')) el.textContent = '';
    const password = form.elements['new-password'].value;
    const confirmation = form.elements['confirm-password'].value;
    let problem = null;
    if ([...password].length < limits.password_min) problem = ['new-password', t('change.weak', { reasons: t('change.too_short') })];
    else if (password !== confirmation) problem = ['confirm-password', t('change.mismatch')];
    if (problem) {
      form.elements[problem[0]].setAttribute('aria-invalid', 'true');
      document.getElementById('e-' + problem[0]).textContent = problem[1];
      showAlert(alert, problem[1]);
      return;
    }
    const button = form.querySelector('button');
    button.disabled = true;
    const answer = await send(password);
    button.disabled = false;
    if (answer.status === 200) {
      onDone(answer.body);
    } else if (answer.body.error === 'weak_password') {
      const reasons = (answer.body.reasons || []).map((reason) => t('change.' + reason)).join(', ');
      form.elements['new-password'].setAttribute('aria-invalid', 'true');
      document.getElementById('e-new-password').textContent = t('change.weak', { reasons });
      showAlert(alert, t('change.weak', { reasons }));
    } else if (answer.body.error === invalidError) {
      onInvalid();
    } else {
      showAlert(alert, answer.body.message || t('err.generic'));
    }
  });
}

/**
 * The sign-in of a site (an OpenID Connect relying party): the same login, then its session is
 * handed to the provider, which sends the browser back to the site with a code.
 */
function mountSignIn(root, authorization) {
  const query = new URLSearchParams(location.search);
  if (isLanguage(query.get('lang'))) setLanguage(query.get('lang'));
  const intro = h('p', { class: 'alert info', id: 'sign-in-intro', 'data-t': 'oidc.intro' }, t('oidc.intro'));
  mountLogin(root, async (answer) => {
    const handed = await api('POST', '/oidc/login', { body: { authorization }, token: answer.token, credentials: 'same-origin' });
    if (handed.status === 200 && handed.body.redirect_to) {
      location.assign(handed.body.redirect_to);
      return;
    }
    const message = handed.body.error === 'login_expired' ? t('oidc.expired') : (handed.body.message || t('err.generic'));
    root.replaceChildren(h('section', { class: 'login', tabindex: '-1', id: 'sign-in-failed' },
      h('h2', { 'data-t': 'login.title' }, t('login.title')), h('p', { class: 'alert', role: 'alert' }, message)));
  });
  root.prepend(intro);
}

// The login page: a site's sign-in (`?authorization=`), or the service's own login: operators go
// on to their console; applicants are told their account is ready.
document.addEventListener('DOMContentLoaded', () => {
  const root = document.getElementById('login-root');
  if (!root) return;
  const authorization = new URLSearchParams(location.search).get('authorization');
  if (authorization) {
    mountSignIn(root, authorization);
    return;
  }
  mountLogin(root, (answer, username, changed) => {
    if (answer.role === 'operator') {
      sessionStorage.setItem('operator-session', JSON.stringify({ token: answer.token, expires_at: Date.now() + answer.expires_in * 1000 }));
      location.assign('/console');
      return;
    }
    // Applicants may turn on the second factor for themselves.
    const enable = h('button', { type: 'button', id: 'mfa-enable', 'data-t': 'mfa.enable' }, t('mfa.enable'));
    const note = h('p', { class: 'hint', role: 'status' });
    const done = h('section', { class: 'login', tabindex: '-1', id: 'login-done' },
      h('h2', { 'data-t': 'login.title' }, t('login.title')),
      h('p', { class: 'alert success', role: 'status' }, changed ? t('login.done') : t('login.welcome', { username })),
      username ? h('p', {}, `${t('login.username')}: `, h('strong', {}, username)) : '',
      enable, note);
    root.replaceChildren(done);
    done.focus();
    enable.addEventListener('click', async () => {
      const started = await api('POST', '/auth/mfa/enrol', { token: answer.token });
      if (started.status === 200) {
        showEnrolment(root, started.body, username, () => {
          root.replaceChildren(h('section', { class: 'login', tabindex: '-1', id: 'mfa-enabled' },
            h('h2', { 'data-t': 'login.title' }, t('login.title')),
            h('p', { class: 'alert success', role: 'status', 'data-t': 'mfa.enabled' }, t('mfa.enabled'))));
        }, false, 'mfa.enrol_intro_applicant');
      } else {
        note.textContent = started.body.error === 'already_enrolled' ? t('mfa.already') : (started.body.message || t('err.generic'));
      }
    });
  });
});
