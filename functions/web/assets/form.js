// The applicant's form: checks mirroring the server's, the request, the direct upload with its
// progress, the acceptance check, and the reference with the private status link.
import { api } from './api.js';
import { clearFieldErrors, h, showAlert, showFieldErrors } from './dom.js';
import { currentLanguage, fillCountries, t } from './i18n.js';
import { Settings } from './settings.js';
import { confirmDocument, documentProblem, uploadDocument } from './upload.js';

const form = document.getElementById('request-form');
const alertBox = document.getElementById('form-alert');
const submitButton = document.getElementById('submit');
const progressPanel = document.getElementById('progress-panel');
const progress = document.getElementById('upload-progress');
const progressText = document.getElementById('progress-text');
const retryButton = document.getElementById('retry-upload');

/** The request created by this page, once the server accepted the form. */
let created = null;

// The server's own rules (Settings.rules, rendered from the parsers' definitions): names, phones,
// identification codes, the codice fiscale's shape, the earliest date of birth. The email check is
// only a first look: the server parses addresses with the email_address crate.
const RULES = Settings.rules;
const NAME = new RegExp(RULES.name, 'u');
const PHONE = new RegExp(RULES.phone, 'u');
const PHONE_SEPARATORS = new RegExp('[' + RULES.phone_separators.replace(/[\]\\^-]/g, '\\$&') + ']', 'gu');
const ID_CODE = new RegExp(RULES.identification_code, 'u');
const FISCAL_CODE = new RegExp(RULES.fiscal_code, 'u');
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/u;
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

const value = (name) => form.elements[name].value;

/** The phone as the server reads it: `+`, then digits with the separators dropped. */
function phoneProblem(text) {
  const compact = text.startsWith('+') ? '+' + text.slice(1).replace(PHONE_SEPARATORS, '') : text;
  return PHONE.test(compact) ? null : t('err.phone');
}

/** Too long for the server's limit `limit`, counted as the server does (names in graphemes). */
function lengthProblem(text, limit) {
  const length = limit === 'name' ? [...GRAPHEMES.segment(text.trim())].length : [...text.trim()].length;
  return length > Settings.limits[limit] ? t('err.too_long', { max: Settings.limits[limit] }) : null;
}

/** A name as the server reads it: NFC-normalised, inner whitespace collapsed. */
function nameProblem(text) {
  const name = text.normalize('NFC').replace(/\s+/gu, ' ');
  return lengthProblem(name, 'name') || (NAME.test(name) ? null : t('err.name'));
}

/** Every problem of the form, by the server's field names (the same keys its errors use). */
function check() {
  const errors = {};
  const required = (name, problem) => {
    const text = value(name).trim();
    const found = text === '' ? t('err.required') : problem(text);
    if (found) errors[name] = found;
  };
  const optional = (name, problem) => {
    const text = value(name).trim();
    const found = text === '' ? null : problem(text);
    if (found) errors[name] = found;
  };
  const email = (text) => lengthProblem(text, 'email') || (EMAIL.test(text) ? null : t('err.email'));
  required('name', nameProblem);
  required('surname', nameProblem);
  required('gender', () => null);
  required('birth_date', (text) => {
    const date = new Date(text + 'T00:00:00Z');
    const ok = /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(date.getTime()) && text >= RULES.earliest_birth_date && date < new Date();
    return ok ? null : t('err.date');
  });
  required('birth_country', () => null);
  required('citizenship', (code) => (Settings.eidas_countries.includes(code) ? t('err.eidas') : null));
  required('identification_code', (text) => {
    const code = text.replace(/[\s-]/g, '').toUpperCase();
    if ([...code].length > Settings.limits.identification_code) return t('err.too_long', { max: Settings.limits.identification_code });
    if (!ID_CODE.test(code)) return t('err.id_code');
    return FISCAL_CODE.test(code) ? t('err.fiscal_code') : null;
  });
  required('email', email);
  optional('pec', email);
  required('phone', phoneProblem);
  optional('other_phone', phoneProblem);
  required('residence_country', () => null);
  required('address.city', (text) => lengthProblem(text, 'city'));
  required('address.street', (text) => lengthProblem(text, 'street'));
  required('address.number', (text) => lengthProblem(text, 'number'));
  const documentError = documentProblem(form.elements.document.files[0]);
  if (documentError) errors.document = documentError;
  if (!form.elements.privacy_consent.checked) errors.privacy_consent = t('err.consent');
  return errors;
}

/** The request body, exactly the fields the server reads. */
function body(captchaToken) {
  const file = form.elements.document.files[0];
  const optional = (name) => (value(name).trim() === '' ? null : value(name).trim());
  return {
    name: value('name').trim(),
    surname: value('surname').trim(),
    email: value('email').trim(),
    phone: value('phone').trim(),
    pec: optional('pec'),
    other_phone: optional('other_phone'),
    birth_country: value('birth_country'),
    birth_date: value('birth_date'),
    identification_code: value('identification_code').trim(),
    gender: value('gender'),
    citizenship: value('citizenship'),
    residence_country: value('residence_country'),
    address: { city: value('address.city').trim(), street: value('address.street').trim(), number: value('address.number').trim() },
    privacy_consent: form.elements.privacy_consent.checked,
    language: currentLanguage(),
    captcha_token: captchaToken,
    document: { content_type: file.type, size: file.size },
  };
}

/** A CAPTCHA answer: reCAPTCHA v3's token, or the development stand-in's fixed one. */
async function captchaToken() {
  if (Settings.captcha.mode === 'off') return 'development';
  if (!window.grecaptcha) return null;
  return new Promise((resolve) => {
    window.grecaptcha.ready(() => {
      window.grecaptcha.execute(Settings.captcha.site_key, { action: Settings.captcha.action }).then(resolve, () => resolve(null));
    });
  });
}

/** Server errors other than field errors, in words. */
function serverMessage(answer) {
  if (answer.body.error === 'duplicate_request' && answer.body.reference) {
    return `${answer.body.message} (${answer.body.reference})`;
  }
  return answer.body.message || t('err.generic');
}

async function submit(event) {
  event.preventDefault();
  if (created) return;
  const errors = check();
  if (Object.keys(errors).length > 0) {
    showFieldErrors(form, alertBox, errors);
    return;
  }
  clearFieldErrors(form, alertBox);
  submitButton.disabled = true;
  submitButton.textContent = t('form.sending');
  try {
    const token = await captchaToken();
    if (!token) {
      showAlert(alertBox, t('captcha.failed'));
      return;
    }
    const idempotencyKey = crypto.randomUUID();
    let answer = await api('POST', '/requests', { body: body(token), headers: { 'idempotency-key': idempotencyKey } });
    if (answer.status === 0) {
      // One retry with the same key: a request the server made but could not answer is not made twice.
      answer = await api('POST', '/requests', { body: body(token), headers: { 'idempotency-key': idempotencyKey } });
    }
    if (answer.status === 201) {
      created = answer.body;
      form.inert = true;
      await upload();
    } else if (answer.body.fields) {
      showFieldErrors(form, alertBox, answer.body.fields);
    } else {
      showAlert(alertBox, serverMessage(answer));
    }
  } finally {
    if (!created) {
      submitButton.disabled = false;
      submitButton.textContent = t('form.submit');
    }
  }
}

/** The file to upload: the form's, or the replacement chosen after a refusal. */
function chosenFile() {
  return replacement.files[0] || form.elements.document.files[0];
}

const replacement = document.getElementById('replacement');
const replacementField = document.getElementById('replacement-field');

/** Uploads the chosen document for the created request, then asks for its acceptance. */
async function upload() {
  progressPanel.hidden = false;
  retryButton.hidden = true;
  progressText.textContent = '';
  const uploaded = await uploadDocument(created.upload, chosenFile(), progress);
  if (!uploaded) {
    progressText.textContent = t('upload.failed');
    retryButton.hidden = false;
    retryButton.focus();
    return;
  }
  progressText.textContent = t('upload.checking');
  const result = await confirmDocument(created.id, created.access_token);
  if (!result.ok) {
    progressText.textContent = result.message;
    replacementField.hidden = false;
    retryButton.hidden = false;
    replacement.focus();
    return;
  }
  showDone();
}

/** The reference and the private status link (the token travels in the fragment, never to a server). */
function showDone() {
  document.getElementById('reference').textContent = created.reference;
  const link = document.getElementById('status-link');
  const fragment = new URLSearchParams({ id: created.id, token: created.access_token });
  link.href = `/status#${fragment}`;
  link.textContent = new URL(link.href, location.href).href;
  form.hidden = true;
  replacementField.hidden = true;
  const file = chosenFile();
  progressText.textContent = t('upload.done', { name: file.name, size: (file.size / 1024).toFixed(1) });
  const done = document.getElementById('done');
  done.hidden = false;
  done.focus();
}

retryButton.addEventListener('click', async () => {
  const file = chosenFile();
  const problem = documentProblem(file);
  if (problem) {
    progressText.textContent = problem;
    return;
  }
  // A fresh signed form for this file (the previous one may have lapsed, or its file was refused).
  const answer = await api('POST', `/requests/${encodeURIComponent(created.id)}/upload-url`, {
    token: created.access_token,
    body: { document: { content_type: file.type, size: file.size } },
  });
  if (answer.status !== 200) {
    progressText.textContent = serverMessage(answer);
    return;
  }
  created.upload = answer.body.upload;
  await upload();
});

function renderCaptcha() {
  const box = document.getElementById('captcha');
  if (Settings.captcha.mode === 'off') {
    box.replaceChildren(h('p', { class: 'dev-captcha', role: 'note' }, t('captcha.dev')));
  } else {
    box.replaceChildren(h('p', {}, t('captcha.real')));
  }
}

function loadRecaptcha() {
  if (Settings.captcha.mode !== 'recaptcha') return;
  const script = document.createElement('script');
  script.src = 'https://www.google.com/recaptcha/api.js?render=' + encodeURIComponent(Settings.captcha.site_key);
  script.async = true;
  document.head.append(script);
}

function render() {
  for (const select of form.querySelectorAll('select[data-countries]')) fillCountries(select);
  for (const input of form.querySelectorAll('[data-max]')) input.maxLength = Settings.limits[input.dataset.max];
  form.elements.birth_date.max = new Date().toISOString().slice(0, 10);
  const privacy = document.getElementById('privacy-link');
  privacy.href = Settings.privacy_notice_url;
  renderCaptcha();
}

document.addEventListener('DOMContentLoaded', () => {
  form.elements.birth_date.min = RULES.earliest_birth_date;
  render();
  loadRecaptcha();
  form.addEventListener('submit', submit);
  // A field corrected loses its error mark at once.
  form.addEventListener('input', (event) => {
    const target = event.target;
    if (target.getAttribute('aria-invalid') === 'true') {
      target.removeAttribute('aria-invalid');
      const slot = document.getElementById('e-' + target.name.replace(/\./g, '-'));
      if (slot) slot.textContent = '';
    }
  });
});
document.addEventListener('languagechange', render);
