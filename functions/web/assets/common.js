// Shared by every page: the deployment's settings, the two languages, the API client, field
// errors and the direct upload to S3. Classic script: its names are globals of the pages.
'use strict';

const Settings = JSON.parse(document.getElementById('settings').textContent);

const TEXT = {
  it: {
    'app.title': 'Accreditamento Utente Estero',
    'lang.label': 'Lingua',
    'required': 'obbligatorio',
    'form.title': 'Richiesta di credenziali Utente Estero',
    'form.intro': 'Compila il Form sottostante per chiedere le credenziali di accesso al portale se non possiedi un codice fiscale italiano.',
    'form.mandatory': 'I campi contrassegnati con * sono obbligatori.',
    'form.personal': 'Dati anagrafici',
    'form.contacts': 'Recapiti',
    'form.residence': 'Residenza',
    'form.document': 'Documento di identità',
    'form.consent': 'Privacy',
    'form.captcha': 'Verifica anti-robot',
    'form.submit': 'Invia la richiesta',
    'form.sending': 'Invio in corso…',
    'f.name': 'Nome',
    'f.surname': 'Cognome',
    'f.gender': 'Genere',
    'f.birth_date': 'Data di nascita',
    'f.birth_country': 'Stato di nascita',
    'f.citizenship': 'Cittadinanza',
    'f.identification_code': 'Codice identificativo',
    'f.email': 'Email',
    'f.pec': 'PEC (posta elettronica certificata)',
    'f.phone': 'Telefono',
    'f.other_phone': 'Altro telefono',
    'f.residence_country': 'Stato di residenza',
    'f.address.city': 'Città',
    'f.address.street': 'Indirizzo',
    'f.address.number': 'Numero civico',
    'f.document': 'Documento firmato, fronte e retro',
    'f.privacy_consent': 'Ho letto l’informativa sul trattamento dei dati personali e acconsento al trattamento.',
    'hint.identification_code': 'Il codice del tuo documento o il codice fiscale del tuo Paese (non un codice fiscale italiano).',
    'hint.phone': 'Con il prefisso internazionale, per esempio +1 617 555 0100.',
    'hint.document': 'PDF, JPEG, PNG max 3 MiB. Carica una copia firmata del documento, fronte e retro in un unico file.',
    'hint.pec': 'Facoltativo.',
    'hint.other_phone': 'Facoltativo, con il prefisso internazionale.',
    'privacy.link': 'Leggi l’informativa privacy',
    'choose': '— scegli —',
    'gender.F': 'Femminile',
    'gender.M': 'Maschile',
    'gender.X': 'Non specificato',
    'captcha.dev': 'CAPTCHA disattivato: ambiente di sviluppo. In produzione qui opera Google reCAPTCHA.',
    'captcha.real': 'Questo modulo è protetto da Google reCAPTCHA.',
    'captcha.failed': 'La verifica anti-robot non è riuscita. Ricarica la pagina e riprova.',
    'err.required': 'Campo obbligatorio.',
    'err.too_long': 'Troppo lungo: al massimo {max} caratteri.',
    'err.name': 'Usare solo lettere, spazi, apostrofi e trattini.',
    'err.email': 'Indirizzo email non valido.',
    'err.phone': 'Numero non valido: il prefisso internazionale con + e da 7 a 15 cifre.',
    'err.date': 'Data non valida: dal 1900 a oggi.',
    'err.id_code': 'Usare solo lettere e cifre.',
    'err.fiscal_code': 'Un codice fiscale italiano non è ammesso: chi lo possiede accede con SPID, CIE o CNS.',
    'err.eidas': 'I cittadini di questo Paese accedono con “Login with eIDAS”, non con questo modulo.',
    'err.consent': 'Per proseguire è necessario il consenso.',
    'err.file_type': 'Formato non ammesso: PDF, JPEG o PNG.',
    'err.file_size': 'Il file supera 3 MiB.',
    'err.file_empty': 'Il file è vuoto.',
    'err.summary': 'Correggi i campi segnalati ({count}).',
    'err.network': 'Il servizio non è raggiungibile. Controlla la connessione e riprova: i dati inseriti sono conservati.',
    'err.generic': 'Si è verificato un errore. Riprova più tardi.',
    'upload.progress': 'Caricamento del documento',
    'upload.failed': 'Il caricamento non è riuscito. Riprova.',
    'upload.retry': 'Riprova il caricamento',
    'upload.another': 'Un altro file del documento',
    'upload.done': 'Documento caricato: {name} ({size} KiB).',
    'upload.checking': 'Verifica del documento…',
    'upload.refused': 'Il documento è stato rifiutato: {reason}. Scegli un altro file.',
    'refused.empty': 'il file è vuoto',
    'refused.too_large': 'il file supera 3 MiB',
    'refused.unsupported_type': 'non è un PDF, JPEG o PNG',
    'refused.type_mismatch': 'il contenuto non corrisponde al tipo di file',
    'done.title': 'Richiesta ricevuta',
    'done.reference': 'Numero di riferimento',
    'done.email': 'Ti abbiamo inviato una email di conferma con il numero di riferimento.',
    'done.link': 'Segui la richiesta da questo link privato:',
    'done.link_warning': 'Conserva il link: contiene la chiave di accesso alla tua richiesta, non condividerlo.',
    'status.title': 'Stato della richiesta',
    'status.current': 'Stato attuale',
    'status.timeline': 'Cronologia',
    'status.messages': 'Messaggi del servizio di assistenza',
    'status.missing': 'Link non valido o richiesta non trovata. Usa il link completo ricevuto al momento dell’invio.',
    'status.upload_title': 'Invia un documento',
    'status.upload_info': 'Il servizio di assistenza ha chiesto un altro documento: caricalo qui.',
    'status.upload_first': 'La richiesta attende il documento di identità.',
    'status.upload_button': 'Carica il documento',
    'status.uploaded': 'Documento ricevuto: la richiesta è tornata in verifica.',
    'status.awaiting_document': 'In attesa del documento',
    'status.submitted': 'In verifica',
    'status.info_requested': 'Integrazione richiesta',
    'status.approved': 'Approvata',
    'status.rejected': 'Respinta',
    'status.expired': 'Scaduta',
    'login.title': 'Accesso',
    'login.username': 'Nome utente',
    'login.password': 'Password',
    'login.submit': 'Accedi',
    'login.invalid': 'Nome utente o password non corretti.',
    'login.expired': 'La password temporanea è scaduta: chiedi nuove credenziali al servizio di assistenza.',
    'login.locked': 'Troppi tentativi. Riprova tra {minutes} minuti.',
    'change.title': 'Scegli una nuova password',
    'change.intro': 'Al primo accesso devi sostituire la password ricevuta.',
    'change.activation': 'Scegli la password del tuo account.',
    'change.new': 'Nuova password',
    'change.confirm': 'Ripeti la nuova password',
    'change.hint': 'Da {min} a {max} caratteri; una frase lunga e personale è più sicura di simboli e numeri.',
    'change.submit': 'Cambia la password',
    'change.mismatch': 'Le due password non coincidono.',
    'change.too_short': 'troppo corta',
    'change.too_long': 'troppo lunga',
    'change.contains_username': 'contiene il nome utente',
    'change.contains_email': 'contiene l’indirizzo email',
    'change.too_guessable': 'troppo facile da indovinare',
    'change.same_as_current': 'uguale alla password attuale',
    'change.weak': 'Password non accettata: {reasons}.',
    'change.token': 'Il tempo per cambiare la password è scaduto: accedi di nuovo.',
    'login.done': 'Password cambiata. Le tue credenziali sono attive: {username}.',
    'login.welcome': 'Accesso riuscito come {username}.',
    'console.title': 'Console operatori',
    'console.logout': 'Esci',
    'console.expired': 'Sessione scaduta: accedi di nuovo. Quanto stavi scrivendo è conservato.',
    'console.forbidden': 'Questa console è riservata agli operatori.',
    'queue.title': 'Richieste',
    'queue.filter': 'Stato',
    'queue.reference': 'Riferimento',
    'queue.person': 'Richiedente',
    'queue.citizenship': 'Cittadinanza',
    'queue.submitted_at': 'Inviata il',
    'queue.empty': 'Nessuna richiesta in questo stato.',
    'queue.next': 'Pagina successiva',
    'queue.previous': 'Pagina precedente',
    'queue.page': 'Pagina {n}',
    'detail.back': 'Torna alla coda',
    'detail.applicant': 'Dati del richiedente',
    'detail.document': 'Documento',
    'detail.download': 'Scarica il documento ({type})',
    'detail.open': 'Apri il documento',
    'detail.not_uploaded': 'Documento non ancora caricato.',
    'detail.audit': 'Registro delle azioni',
    'detail.username': 'Nome utente assegnato',
    'detail.undeliverable': 'Le email al richiedente non vengono recapitate ({kind}): contattalo in altro modo.',
    'audit.at': 'Quando', 'audit.actor': 'Chi', 'audit.action': 'Azione', 'audit.change': 'Stato', 'audit.note': 'Nota',
    'action.approve': 'Approva',
    'action.reject': 'Respingi',
    'action.request-info': 'Chiedi integrazione',
    'action.reissue-credentials': 'Invia nuove credenziali',
    'action.note': 'Nota (facoltativa)',
    'action.reason': 'Motivo del rifiuto (inviato al richiedente)',
    'action.message': 'Messaggio al richiedente',
    'action.confirm': 'Conferma',
    'action.cancel': 'Annulla',
    'action.confirm_approve': 'Approvare la richiesta {reference}? Le credenziali saranno inviate al richiedente.',
    'action.confirm_reject': 'Respingere la richiesta {reference}?',
    'action.confirm_request-info': 'Chiedere un’integrazione per la richiesta {reference}?',
    'action.confirm_reissue-credentials': 'Inviare nuove credenziali per {reference}? Quelle precedenti smetteranno di funzionare.',
    'action.done': 'Fatto: la richiesta {reference} ora è “{status}”.',
    'action.conflict': 'La richiesta è già stata trattata: ora è “{status}”.',
    'action.used': 'Il richiedente ha già attivato le credenziali: non servono nuove credenziali.',
    'field.consent': 'Consenso privacy', 'field.created_at': 'Creata il', 'field.language': 'Lingua',
  },
  en: {
    'app.title': 'Foreign User accreditation',
    'lang.label': 'Language',
    'required': 'required',
    'form.title': 'Request for Foreign User credentials',
    'form.intro': 'Fill in the form below to request credentials for the portal if you do not have an Italian fiscal code.',
    'form.mandatory': 'Fields marked with * are mandatory.',
    'form.personal': 'Personal data',
    'form.contacts': 'Contacts',
    'form.residence': 'Residence',
    'form.document': 'Identity document',
    'form.consent': 'Privacy',
    'form.captcha': 'Anti-robot check',
    'form.submit': 'Send the request',
    'form.sending': 'Sending…',
    'f.name': 'Name',
    'f.surname': 'Surname',
    'f.gender': 'Gender',
    'f.birth_date': 'Date of birth',
    'f.birth_country': 'State of birth',
    'f.citizenship': 'Citizenship',
    'f.identification_code': 'Identification code',
    'f.email': 'Email',
    'f.pec': 'PEC (certified email)',
    'f.phone': 'Phone',
    'f.other_phone': 'Other phone',
    'f.residence_country': 'State of residence',
    'f.address.city': 'City',
    'f.address.street': 'Address',
    'f.address.number': 'House number',
    'f.document': 'Signed document, front and back',
    'f.privacy_consent': 'I have read the privacy notice and consent to the processing of my personal data.',
    'hint.identification_code': 'The number of your document or your country’s tax code (not an Italian fiscal code).',
    'hint.phone': 'With the international prefix, for example +1 617 555 0100.',
    'hint.document': 'PDF, JPEG, PNG max 3 MiB. Upload a signed copy of the document, front and back in one file.',
    'hint.pec': 'Optional.',
    'hint.other_phone': 'Optional, with the international prefix.',
    'privacy.link': 'Read the privacy notice',
    'choose': '— choose —',
    'gender.F': 'Female',
    'gender.M': 'Male',
    'gender.X': 'Unspecified',
    'captcha.dev': 'CAPTCHA off: development environment. In production Google reCAPTCHA works here.',
    'captcha.real': 'This form is protected by Google reCAPTCHA.',
    'captcha.failed': 'The anti-robot check failed. Reload the page and try again.',
    'err.required': 'This field is required.',
    'err.too_long': 'Too long: at most {max} characters.',
    'err.name': 'Use only letters, spaces, apostrophes and hyphens.',
    'err.email': 'Not a valid email address.',
    'err.phone': 'Not a valid number: the international prefix with + and 7 to 15 digits.',
    'err.date': 'Not a valid date: from 1900 to today.',
    'err.id_code': 'Use only letters and digits.',
    'err.fiscal_code': 'An Italian fiscal code is not accepted: its holders log in with SPID, CIE or CNS.',
    'err.eidas': 'Citizens of this country log in with “Login with eIDAS”, not with this form.',
    'err.consent': 'Consent is needed to go on.',
    'err.file_type': 'Format not accepted: PDF, JPEG or PNG.',
    'err.file_size': 'The file is larger than 3 MiB.',
    'err.file_empty': 'The file is empty.',
    'err.summary': 'Please correct the marked fields ({count}).',
    'err.network': 'The service cannot be reached. Check your connection and try again: what you typed is kept.',
    'err.generic': 'Something went wrong. Please try again later.',
    'upload.progress': 'Uploading the document',
    'upload.failed': 'The upload failed. Please try again.',
    'upload.retry': 'Retry the upload',
    'upload.another': 'Another file of the document',
    'upload.done': 'Document uploaded: {name} ({size} KiB).',
    'upload.checking': 'Checking the document…',
    'upload.refused': 'The document was refused: {reason}. Please choose another file.',
    'refused.empty': 'the file is empty',
    'refused.too_large': 'the file is larger than 3 MiB',
    'refused.unsupported_type': 'it is not a PDF, JPEG or PNG',
    'refused.type_mismatch': 'its content does not match its file type',
    'done.title': 'Request received',
    'done.reference': 'Reference number',
    'done.email': 'We sent you a confirmation email with the reference number.',
    'done.link': 'Follow your request with this private link:',
    'done.link_warning': 'Keep the link: it holds the access key to your request, do not share it.',
    'status.title': 'Status of the request',
    'status.current': 'Current status',
    'status.timeline': 'Timeline',
    'status.messages': 'Messages from the assistance service',
    'status.missing': 'Invalid link or request not found. Use the whole link you received when you sent the request.',
    'status.upload_title': 'Send a document',
    'status.upload_info': 'The assistance service asked for another document: upload it here.',
    'status.upload_first': 'The request is waiting for the identity document.',
    'status.upload_button': 'Upload the document',
    'status.uploaded': 'Document received: the request is back under review.',
    'status.awaiting_document': 'Awaiting document',
    'status.submitted': 'Under review',
    'status.info_requested': 'More information requested',
    'status.approved': 'Approved',
    'status.rejected': 'Rejected',
    'status.expired': 'Expired',
    'login.title': 'Log in',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.submit': 'Log in',
    'login.invalid': 'Wrong username or password.',
    'login.expired': 'The temporary password has expired: ask the assistance service for new credentials.',
    'login.locked': 'Too many attempts. Try again in {minutes} minutes.',
    'change.title': 'Choose a new password',
    'change.intro': 'At your first access you must replace the password you received.',
    'change.activation': 'Choose the password of your account.',
    'change.new': 'New password',
    'change.confirm': 'Repeat the new password',
    'change.hint': '{min} to {max} characters; a long personal sentence is safer than symbols and digits.',
    'change.submit': 'Change the password',
    'change.mismatch': 'The two passwords differ.',
    'change.too_short': 'too short',
    'change.too_long': 'too long',
    'change.contains_username': 'it contains the username',
    'change.contains_email': 'it contains the email address',
    'change.too_guessable': 'too easy to guess',
    'change.same_as_current': 'same as the current password',
    'change.weak': 'Password not accepted: {reasons}.',
    'change.token': 'The time to change the password ran out: please log in again.',
    'login.done': 'Password changed. Your credentials are active: {username}.',
    'login.welcome': 'You are logged in as {username}.',
    'console.title': 'Operators’ console',
    'console.logout': 'Log out',
    'console.expired': 'Session expired: please log in again. What you were typing is kept.',
    'console.forbidden': 'This console is for operators only.',
    'queue.title': 'Requests',
    'queue.filter': 'Status',
    'queue.reference': 'Reference',
    'queue.person': 'Applicant',
    'queue.citizenship': 'Citizenship',
    'queue.submitted_at': 'Submitted',
    'queue.empty': 'No request with this status.',
    'queue.next': 'Next page',
    'queue.previous': 'Previous page',
    'queue.page': 'Page {n}',
    'detail.back': 'Back to the queue',
    'detail.applicant': 'Applicant',
    'detail.document': 'Document',
    'detail.download': 'Download the document ({type})',
    'detail.open': 'Open the document',
    'detail.not_uploaded': 'No document uploaded yet.',
    'detail.audit': 'Audit trail',
    'detail.username': 'Username given',
    'detail.undeliverable': 'Emails to the applicant are not delivered ({kind}): contact them another way.',
    'audit.at': 'When', 'audit.actor': 'Who', 'audit.action': 'Action', 'audit.change': 'Status', 'audit.note': 'Note',
    'action.approve': 'Approve',
    'action.reject': 'Reject',
    'action.request-info': 'Ask for more information',
    'action.reissue-credentials': 'Re-issue credentials',
    'action.note': 'Note (optional)',
    'action.reason': 'Reason for the rejection (sent to the applicant)',
    'action.message': 'Message to the applicant',
    'action.confirm': 'Confirm',
    'action.cancel': 'Cancel',
    'action.confirm_approve': 'Approve request {reference}? The credentials will be emailed to the applicant.',
    'action.confirm_reject': 'Reject request {reference}?',
    'action.confirm_request-info': 'Ask for more information on request {reference}?',
    'action.confirm_reissue-credentials': 'Send new credentials for {reference}? The previous ones stop working.',
    'action.done': 'Done: request {reference} is now “{status}”.',
    'action.conflict': 'The request was already handled: it is now “{status}”.',
    'action.used': 'The applicant has already activated the credentials: no new ones are needed.',
    'field.consent': 'Privacy consent', 'field.created_at': 'Created', 'field.language': 'Language',
  },
};

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
    return h('li', {}, h('a', { href: '#' + controlId(field) }, label + ': ' + message));
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
