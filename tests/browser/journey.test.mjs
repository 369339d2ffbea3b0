// The whole journey in the browser: the applicant's form in Italian (a field error, corrected), the
// upload with its progress, the reference; the operator's first login with the forced change, the
// queue, the document, the approval; the applicant's status page; the credentials email used to log
// in and change the password.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { startDemoPortal } from './demo-portal.mjs';
import {
  BASE, OPERATOR, applicant, assertNoProblems, credentialsSentTo, emailsTo, formControls, idCardPng, launch,
  openPage, resetLinkSentTo, screenshot, submitRequest, totpCode,
} from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The operator's recovery codes, shown at their enrolment in the journey: one per later login. */
const recoveryCodes = [];

/** The second step of an operator's login: a recovery code (the authenticator's code of a step is accepted once). */
async function secondFactor(page, { code = 'Codice', verify = 'Verifica' } = {}) {
  assert.ok(recoveryCodes.length > 0, 'the journey enrolled the operator first');
  await page.getByLabel(code, { exact: true }).fill(recoveryCodes.shift());
  await page.getByRole('button', { name: verify }).click();
}

/** The operator's password after their first login: chosen in the console by the journey. */
const OPERATOR_PASSWORD = 'Tramonto sul Vesuvio, 1987!';

test('journey: form in Italian, operator approval, status, credentials', async () => {
  const person = applicant();
  const page = await openPage(browser);
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: 'Italiano' }).click();
  assert.equal(await page.locator('html').getAttribute('lang'), 'it');
  assert.match(await page.locator('h1').textContent(), /Richiesta di credenziali Utente Estero/);
  assert.match(await page.locator('#captcha').textContent(), /CAPTCHA disattivato/, 'the development stand-in is labelled');
  await screenshot(page, '01-form-it');

  const f = formControls(page);
  await f.name.fill(person.name);
  await f.gender.selectOption(person.gender);
  await f.birthDate.fill(person.birthDate);
  await f.birthCountry.selectOption(person.birthCountry);
  await f.citizenship.selectOption(person.citizenship);
  await f.idCode.fill(person.idCode);
  // Looks like an address to a quick check; the server's RFC parser refuses the double dot.
  await f.email.fill(person.email.replace('maria.', 'maria..'));
  await f.phone.fill(person.phone);
  await f.residence.selectOption(person.residence);
  await f.city.fill(person.city);
  await f.street.fill(person.street);
  await f.number.fill(person.number);
  await f.document.setInputFiles(await idCardPng(page, `${person.name} ${person.surname}`));
  await f.consent.check();

  // The surname is missing: the page says so next to the field, announced, before any request.
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Correggi i campi segnalati \(1\)/);
  assert.equal(await f.surname.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#e-surname').textContent(), 'Campo obbligatorio.');
  assert.equal(await f.surname.evaluate((el) => el.getAttribute('aria-describedby').includes('e-surname')), true);
  await screenshot(page, '02-form-client-error');

  // Corrected; now the server refuses the email, and its message shows next to the email field.
  await f.surname.fill(person.surname);
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  await page.locator('#e-email:not(:empty)').waitFor();
  assert.equal(await f.email.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#e-email').textContent(), /email/i);
  assert.equal(await f.surname.inputValue(), person.surname, 'nothing typed is lost');
  assert.equal(await f.city.inputValue(), person.city, 'nothing typed is lost');
  assert.equal(await f.document.evaluate((el) => el.files.length), 1, 'the chosen file is kept');
  await screenshot(page, '03-form-server-error');

  await f.email.fill(person.email);
  await page.getByRole('button', { name: 'Invia la richiesta' }).click();
  const done = page.locator('#done');
  await done.waitFor({ timeout: 30_000 });
  const reference = await page.locator('#reference').textContent();
  assert.match(reference, /^UE-\d{4}-\d+$/);
  const progress = await page.locator('#upload-progress').evaluate((el) => ({ value: el.value, max: el.max }));
  assert.ok(progress.max > 1000 && progress.value === progress.max, `the upload progressed to the end: ${JSON.stringify(progress)}`);
  assert.match(await page.locator('#progress-text').textContent(), /Documento caricato: id-card\.png/);
  const statusLink = await page.locator('#status-link').getAttribute('href');
  assert.match(statusLink, /^\/status#id=[0-9a-f-]+&token=/, 'the token travels in the fragment');
  await screenshot(page, '04-form-done');
  const confirmation = await emailsTo(person.email);
  assert.ok(confirmation.some((e) => e.body.includes(reference)), 'the confirmation email holds the reference');
  assertNoProblems(page, [/status of 400/]);

  // The operator's first login: the emailed temporary password must be changed.
  const { password: temporary } = await credentialsSentTo(OPERATOR.email);
  const console_ = await openPage(browser);
  await console_.goto(BASE + '/console');
  await screenshot(console_, '05-console-login');
  await console_.getByRole('link', { name: 'Password dimenticata?' }).waitFor();
  await console_.getByLabel('Nome utente').fill(OPERATOR.username);
  await console_.getByLabel('Password', { exact: true }).fill(temporary);
  await console_.getByRole('button', { name: 'Accedi' }).click();
  await console_.getByRole('heading', { name: 'Scegli una nuova password' }).waitFor();
  await console_.getByLabel('Nuova password', { exact: true }).fill('password1234');
  await console_.getByLabel('Ripeti la nuova password').fill('password1234');
  await console_.getByRole('button', { name: 'Cambia la password' }).click();
  await console_.locator('#e-new-password:not(:empty)').waitFor();
  assert.match(await console_.locator('#e-new-password').textContent(), /troppo facile da indovinare/);
  await screenshot(console_, '06-console-weak-password');
  await console_.getByLabel('Nuova password', { exact: true }).fill(OPERATOR_PASSWORD);
  await console_.getByLabel('Ripeti la nuova password').fill(OPERATOR_PASSWORD);
  await console_.getByRole('button', { name: 'Cambia la password' }).click();

  // Before any session, the operator enrols an authenticator: QR code and key, a first code, then
  // the recovery codes, shown once (the later logins of this run use them).
  await console_.getByRole('heading', { name: "Attivi l'autenticazione a due fattori" }).waitFor();
  await console_.getByRole('img', { name: "Codice QR per l'app di autenticazione" }).waitFor();
  const secret = await console_.locator('#mfa-secret').textContent();
  await screenshot(console_, '06b-console-mfa-enrolment');
  await console_.getByLabel('Codice', { exact: true }).fill('000000');
  await console_.getByRole('button', { name: 'Verifica' }).click();
  await console_.getByText('Codice errato o già usato').waitFor();
  await console_.getByLabel('Codice', { exact: true }).fill(totpCode(secret));
  await console_.getByRole('button', { name: 'Verifica' }).click();
  await console_.getByRole('heading', { name: 'I suoi codici di recupero' }).waitFor();
  recoveryCodes.push(...await console_.locator('#recovery-codes code').allTextContents());
  assert.equal(recoveryCodes.length, 10);
  await screenshot(console_, '06c-console-recovery-codes');
  await console_.getByRole('button', { name: 'Li ho conservati: continua' }).click();

  // The queue: find the request by its reference (paging on when the queue is long).
  await console_.getByRole('heading', { name: 'Richieste' }).waitFor();
  let row = console_.getByRole('link', { name: reference });
  while (!(await row.isVisible())) {
    const next = console_.getByRole('button', { name: 'Pagina successiva' });
    assert.ok(await next.isEnabled(), `${reference} is in the queue`);
    await next.click();
    await console_.locator('caption').waitFor();
    row = console_.getByRole('link', { name: reference });
  }
  await screenshot(console_, '07-console-queue');
  await row.click();
  await console_.getByRole('heading', { name: new RegExp(reference) }).waitFor();
  assert.equal(await console_.locator('#request-status').getAttribute('data-status'), 'submitted');
  assert.match(await console_.locator('.facts').textContent(), new RegExp(person.idCode));
  const language = console_.locator('.facts dt', { hasText: 'Lingua' }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await language.textContent(), 'Italiano', 'the language the applicant chose, in words');

  // The document: shown inline (the image really loads from the bucket), and downloadable.
  const image = console_.getByRole('img', { name: new RegExp(`Documento 1 — ${reference}`) });
  await image.waitFor();
  await console_.waitForFunction((el) => el.complete && el.naturalWidth > 0, await image.elementHandle());
  assert.equal(await image.evaluate((el) => el.naturalWidth), 640);
  const [download] = await Promise.all([
    console_.waitForEvent('download'),
    console_.getByRole('link', { name: /Scarica il documento \(PNG\)/ }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.png$/);
  await screenshot(console_, '08-console-request');

  await console_.getByRole('button', { name: 'Approva' }).click();
  const dialog = console_.getByRole('dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), new RegExp(`Approvare la richiesta ${reference}`));
  await console_.getByLabel('Nota (facoltativa)').fill('documento verificato');
  await screenshot(console_, '09-console-confirm');
  await dialog.getByRole('button', { name: 'Conferma' }).click();
  await console_.getByText(`Fatto: la richiesta ${reference} ora è “Approvata”.`).waitFor();
  assert.equal(await console_.locator('#request-status').getAttribute('data-status'), 'approved');
  assert.match(await console_.locator('.audit').textContent(), /documento verificato/);
  await screenshot(console_, '10-console-approved');

  // Re-issue: new credentials, the first ones stop working (the applicant uses the last email's).
  await console_.getByRole('button', { name: 'Invia nuove credenziali' }).click();
  assert.match(await dialog.textContent(), /Quelle precedenti smetteranno di funzionare/);
  await dialog.getByRole('button', { name: 'Conferma' }).click();
  await console_.locator('.audit', { hasText: 'Nuove credenziali inviate' }).waitFor();
  assert.equal(await console_.locator('#request-status').getAttribute('data-status'), 'approved');
  // Logging out ends the session on the server: its token no longer opens the queue.
  const token = await console_.evaluate(() => JSON.parse(sessionStorage.getItem('operator-session')).token);
  await console_.getByRole('button', { name: 'Esci' }).click();
  await console_.getByRole('button', { name: 'Accedi' }).waitFor();
  await console_.waitForFunction(async (token) => {
    const answer = await fetch('/operator/requests', { headers: { authorization: 'Bearer ' + token } });
    return answer.status === 401;
  }, token);
  // Expected: the refused weak password (400), the download leaving the page (aborted navigation)
  // and the ended session's token refused (401).
  assertNoProblems(console_, [/status of 40[01]/, /request failed: .*x-id=GetObject.* net::ERR_ABORTED/]);

  // The applicant's private status link shows the approval.
  await page.goto(BASE + statusLink);
  await page.locator('#current-status').waitFor();
  assert.equal(await page.locator('#current-status').getAttribute('data-status'), 'approved');
  assert.equal(await page.locator('#current-status').textContent(), 'Approvata');
  const timeline = await page.locator('.timeline li').allTextContents();
  assert.match(timeline[0], /In attesa del documento$/);
  assert.match(timeline[1], /In verifica$/);
  assert.match(timeline.at(-1), /Approvata$/);
  await screenshot(page, '11-status-approved');

  // The credentials email, used in the browser: login, forced change, account ready.
  const credentials = await credentialsSentTo(person.email);
  assert.match(credentials.username, /^maria\.dangelo\d*$/);
  await page.goto(BASE + '/login');
  await page.getByLabel('Nome utente').fill(credentials.username);
  await page.getByLabel('Password', { exact: true }).fill(credentials.password);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await page.getByRole('heading', { name: 'Scegli una nuova password' }).waitFor();
  await screenshot(page, '12-applicant-change');
  const chosen = 'Una finestra sul porto di Boston, 2026';
  await page.getByLabel('Nuova password', { exact: true }).fill(chosen);
  await page.getByLabel('Ripeti la nuova password').fill(chosen);
  await page.getByRole('button', { name: 'Cambia la password' }).click();
  await page.getByText(/Password cambiata/).waitFor();
  await screenshot(page, '13-applicant-ready');

  // The new password works, the temporary one no longer does.
  await page.goto(BASE + '/login');
  await page.getByLabel('Nome utente').fill(credentials.username);
  await page.getByLabel('Password', { exact: true }).fill(credentials.password);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await page.getByText('Nome utente o password non corretti.').waitFor();
  await page.getByLabel('Password', { exact: true }).fill(chosen);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await page.getByText(`Accesso riuscito come ${credentials.username}.`).waitFor();

  // Forgotten: the login's link, the request by email, the emailed link, a new password.
  await page.goto(BASE + '/login');
  await page.getByRole('link', { name: 'Password dimenticata?' }).click();
  await page.getByRole('heading', { name: 'Password dimenticata' }).waitFor();
  await page.getByLabel('Nome utente o indirizzo email').fill(person.email);
  await page.getByRole('button', { name: 'Invia il collegamento' }).click();
  await page.getByText(/Se un account corrisponde/).waitFor();
  await screenshot(page, '14-reset-requested');
  const link = await resetLinkSentTo(person.email);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Scegli una nuova password' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  const recovered = 'Il faro di Genova visto dal mare, 1998';
  await page.getByLabel('Nuova password', { exact: true }).fill(recovered);
  await page.getByLabel('Ripeti la nuova password').fill(recovered);
  await page.getByRole('button', { name: 'Cambia la password' }).click();
  await page.getByText('Password cambiata: ora può accedere con la nuova password.').waitFor();
  await screenshot(page, '15-reset-done');
  await page.goto(BASE + '/login');
  await page.getByLabel('Nome utente').fill(credentials.username);
  await page.getByLabel('Password', { exact: true }).fill(recovered);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await page.getByText(`Accesso riuscito come ${credentials.username}.`).waitFor();
  // The applicant turns the second factor on for themselves.
  await page.getByRole('button', { name: 'Attiva la verifica in due passaggi' }).click();
  await page.getByRole('img', { name: "Codice QR per l'app di autenticazione" }).waitFor();
  await page.getByLabel('Codice', { exact: true }).fill(totpCode(await page.locator('#mfa-secret').textContent()));
  await page.getByRole('button', { name: 'Verifica' }).click();
  await page.getByRole('heading', { name: 'I suoi codici di recupero' }).waitFor();
  await page.getByRole('button', { name: 'Li ho conservati: continua' }).click();
  await page.getByText('La verifica in due passaggi è attiva: ogni accesso chiederà un codice.').waitFor();
  // The link worked once.
  await page.goto(link);
  await page.getByLabel('Nuova password', { exact: true }).fill('Ancora un altro faro, 2001 e oltre');
  await page.getByLabel('Ripeti la nuova password').fill('Ancora un altro faro, 2001 e oltre');
  await page.getByRole('button', { name: 'Cambia la password' }).click();
  await page.getByText(/Questo collegamento non è valido/).waitFor();
  assertNoProblems(page, [/status of 40[01]/]);
});

test('an expired operator session returns to the login and keeps what was typed', async () => {
  const page = await openPage(browser);
  await page.goto(BASE + '/privacy');
  const request = await submitRequest(page);
  await page.goto(`${BASE}/console#/requests/${request.id}`);
  await page.getByLabel('Nome utente').fill(OPERATOR.username);
  await page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await secondFactor(page);
  await page.getByRole('heading', { name: new RegExp(request.reference) }).waitFor();
  // The operator sees when and from where their previous login came.
  assert.match(await page.locator('#previous-login').textContent(), /^Il suo accesso precedente: .+, da \S+\.$/);
  await page.getByRole('button', { name: 'Respingi' }).click();
  // The reason is required: the page says so before asking the server.
  await page.getByRole('dialog').getByRole('button', { name: 'Conferma' }).click();
  assert.equal(await page.locator('#e-confirm-note').textContent(), 'Campo obbligatorio.');
  assert.equal(await page.getByLabel(/Motivo del rifiuto/).getAttribute('aria-invalid'), 'true');
  const reason = 'Il documento non è leggibile: inviare una scansione a colori.';
  await page.getByLabel(/Motivo del rifiuto/).fill(reason);

  // The session lapses while the operator writes (its token is made invalid, as on expiry).
  await page.evaluate(() => {
    const stored = JSON.parse(sessionStorage.getItem('operator-session'));
    sessionStorage.setItem('operator-session', JSON.stringify({ ...stored, token: stored.token + 'x' }));
  });
  await page.getByRole('dialog').getByRole('button', { name: 'Conferma' }).click();
  await page.getByText(/Sessione scaduta/).waitFor();
  await screenshot(page, '14-console-session-expired');
  await page.getByLabel('Nome utente').fill(OPERATOR.username);
  await page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await secondFactor(page);

  // Back on the same request, the confirmation open again with the reason as typed.
  await page.getByRole('dialog').waitFor();
  assert.equal(await page.getByLabel(/Motivo del rifiuto/).inputValue(), reason);
  await page.getByRole('dialog').getByRole('button', { name: 'Conferma' }).click();
  await page.getByText(`Fatto: la richiesta ${request.reference} ora è “Respinta”.`).waitFor();
  assert.match(await page.locator('.audit').textContent(), /Il documento non è leggibile/);
  assertNoProblems(page, [/status of 401/]);
});

test('an operator asks for another document; the applicant sends a PDF from the status page', async () => {
  const page = await openPage(browser, { locale: 'en-GB' });
  await page.goto(BASE + '/privacy');
  const request = await submitRequest(page);

  // The operator, in English this time.
  await page.goto(`${BASE}/console#/requests/${request.id}`);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByLabel('Username').fill(OPERATOR.username);
  await page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await secondFactor(page, { code: 'Code', verify: 'Verify' });
  await page.getByRole('button', { name: 'Ask for more information' }).click();
  const message = 'Please send the back of the document as well, signed.';
  await page.getByLabel('Message to the applicant').fill(message);
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await page.getByText(`Done: request ${request.reference} is now “More information requested”.`).waitFor();

  // The applicant's status page shows the message and takes a PDF.
  const applicant = await openPage(browser, { locale: 'en-GB' });
  await applicant.goto(`${BASE}/status#id=${request.id}&token=${encodeURIComponent(request.access_token)}`);
  await applicant.getByRole('button', { name: 'English' }).click();
  assert.equal(await applicant.locator('#current-status').textContent(), 'More information requested');
  assert.match(await applicant.locator('.messages').textContent(), new RegExp(message));
  await screenshot(applicant, '15-status-info-requested');
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  await applicant.getByLabel(/^Signed document, front and back/).setInputFiles({ name: 'back.pdf', mimeType: 'application/pdf', buffer: pdf });
  await applicant.getByRole('button', { name: 'Upload the document' }).click();
  await applicant.getByText('Document received: the request is back under review.').waitFor();
  assert.equal(await applicant.locator('#current-status').textContent(), 'Under review');
  await screenshot(applicant, '16-status-document-sent');
  assertNoProblems(applicant);

  // The operator sees both documents: the image inline, the PDF as a download.
  await page.reload();
  await page.getByRole('heading', { name: new RegExp(request.reference) }).waitFor();
  assert.equal(await page.locator('#request-status').getAttribute('data-status'), 'submitted');
  await page.getByRole('link', { name: 'Download the document (PDF)' }).waitFor();
  assert.equal(await page.getByRole('img', { name: /Document 1/ }).count(), 1);
  await screenshot(page, '17-console-two-documents');
  assertNoProblems(page);
});

test('the queue pages through more requests than fit on one page, by status', async () => {
  const page = await openPage(browser);
  await page.goto(BASE + '/privacy');
  const submitted = [];
  for (let i = 0; i < 21; i += 1) submitted.push(await submitRequest(page));
  await page.goto(`${BASE}/console#/queue/submitted`);
  await page.getByLabel('Nome utente').fill(OPERATOR.username);
  await page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
  await page.getByRole('button', { name: 'Accedi' }).click();
  await secondFactor(page);
  await page.getByRole('heading', { name: 'Richieste' }).waitFor();

  const seen = new Set();
  const readPage = async () => {
    await page.locator('table.queue').waitFor();
    const rows = await page.locator('table.queue tbody a').allTextContents();
    assert.ok(rows.length <= 20, 'at most 20 per page');
    for (const reference of rows) {
      assert.ok(!seen.has(reference), `${reference} shown twice`);
      seen.add(reference);
    }
    return rows;
  };
  const first = await readPage();
  assert.equal(first.length, 20);
  assert.ok(await page.getByRole('button', { name: 'Pagina precedente' }).isDisabled());
  await page.getByRole('button', { name: 'Pagina successiva' }).click();
  await page.getByText(/In verifica — Pagina 2/).waitFor();
  await readPage();
  for (const request of submitted) assert.ok(seen.has(request.reference) || (await nextPageHas(page, request.reference, seen, readPage)), `${request.reference} listed`);
  await screenshot(page, '18-console-queue-page-2');

  await page.getByRole('button', { name: 'Pagina precedente' }).click();
  await page.getByText(/In verifica — Pagina 1/).waitFor();
  assert.deepEqual(await page.locator('table.queue tbody a').allTextContents(), first);

  // The filter: only approved requests, none of the new ones.
  await page.getByLabel('Stato').selectOption('approved');
  await page.getByText(/Approvata — Pagina 1/).waitFor();
  const approved = await page.locator('table.queue tbody a').allTextContents();
  assert.ok(approved.every((reference) => !submitted.some((r) => r.reference === reference)));
  assertNoProblems(page);
});

/** Goes on paging until `reference` shows up (the queue may hold other tests' requests). */
async function nextPageHas(page, reference, seen, readPage) {
  const next = page.getByRole('button', { name: 'Pagina successiva' });
  while (!seen.has(reference) && (await next.isEnabled())) {
    await next.click();
    await readPage();
  }
  return seen.has(reference);
}

/** An operator session through the API, with one of the journey's recovery codes. */
async function operatorToken() {
  const post = (path, body) => fetch(BASE + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const login = await (await post('/auth/login', { username: OPERATOR.username, password: OPERATOR_PASSWORD })).json();
  assert.equal(login.status, 'second_factor_required', JSON.stringify(login));
  assert.ok(recoveryCodes.length > 0, 'the journey enrolled the operator first');
  const session = await (await post('/auth/mfa', { mfa_token: login.mfa_token, code: recoveryCodes.shift() })).json();
  assert.ok(session.token, JSON.stringify(session));
  return session.token;
}

test('sites sign the applicant in with OpenID Connect (openid-client): first login, single sign-on, refresh, logout', async () => {
  const demo = await startDemoPortal({
    issuer: BASE, port: Number(process.env.DEMO_PORT), portals: [
      { path: '/demo-portal', name: 'Portale dimostrativo', clientId: process.env.DEMO_CLIENT_ID, clientSecret: process.env.DEMO_CLIENT_SECRET },
      { path: '/altro-portale', name: 'Altro portale', clientId: process.env.PUBLIC_CLIENT_ID },
    ],
  });
  try {
    // An approved applicant, whose credentials arrive by email.
    const page = await openPage(browser);
    await page.goto(BASE + '/privacy');
    const person = applicant();
    const request = await submitRequest(page, person);
    const approved = await fetch(`${BASE}/operator/requests/${request.id}/approve`, {
      method: 'POST', headers: { authorization: `Bearer ${await operatorToken()}`, 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(approved.status, 200, await approved.text());
    const credentials = await credentialsSentTo(person.email);

    // Discovery, as the library reads it.
    const portal = demo.portals['/demo-portal'];
    const config = await portal.configuration();
    assert.equal(config.serverMetadata().issuer, BASE);
    assert.deepEqual(config.serverMetadata().code_challenge_methods_supported, ['S256']);

    // The portal's sign-in: the provider's login page (in Italian, as ui_locales asked), the
    // temporary password, the forced change, then back to the portal with verified claims.
    const navigations = [];
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations.push(frame.url()); });
    await page.goto(`${demo.url}/demo-portal`);
    await page.getByRole('link', { name: /Accedi con credenziali Utente Estero \/ Sign in with Foreign User credentials/ }).click();
    await page.waitForURL(/\/login\?authorization=/);
    await page.locator('#sign-in-intro').waitFor();
    await screenshot(page, '30-oidc-login');
    await page.getByLabel('Nome utente').fill(credentials.username);
    await page.getByLabel('Password', { exact: true }).fill(credentials.password);
    await page.getByRole('button', { name: 'Accedi' }).click();
    const chosen = 'Una password nuova per il portale, 2026!';
    await page.getByLabel('Nuova password', { exact: true }).fill(chosen);
    await page.getByLabel('Ripeti la nuova password').fill(chosen);
    await page.getByRole('button', { name: 'Cambia la password' }).click();
    await page.locator('#signed-in').waitFor();
    await screenshot(page, '31-oidc-portal-claims');
    const first = portal.last;
    assert.equal(first.claims.iss, BASE);
    assert.equal(first.claims.aud, process.env.DEMO_CLIENT_ID);
    assert.ok(first.claims.nonce && first.claims.sid && first.claims.at_hash && first.claims.auth_time, JSON.stringify(first.claims));
    assert.deepEqual(first.claims.amr, ['pwd']);
    assert.notEqual(first.claims.sub, credentials.username);
    assert.equal(first.userinfo.given_name, person.name);
    assert.equal(first.userinfo.family_name, person.surname);
    assert.equal(first.userinfo.email, person.email);
    assert.equal(first.userinfo['urn:it:lavoro:utente-estero:accreditation'].reference, request.reference);
    assert.match(await page.locator('#userinfo').textContent(), new RegExp(request.reference));
    assertNoProblems(page);

    // A second site signs the person in through the single sign-on session: no login page.
    const other = demo.portals['/altro-portale'];
    navigations.length = 0;
    await page.goto(`${demo.url}/altro-portale`);
    await page.getByRole('link', { name: /Accedi con credenziali Utente Estero/ }).click();
    await page.locator('#signed-in').waitFor();
    assert.ok(!navigations.some((url) => url.includes('/login')), `no login page: ${navigations.join(' ')}`);
    assert.equal(other.last.claims.sid, first.claims.sid);
    assert.equal(other.last.claims.auth_time, first.claims.auth_time);

    // Refresh: rotated; the old refresh token, presented again, is refused by the provider.
    const before = portal.last.tokens.refresh_token;
    await page.goto(`${demo.url}/demo-portal`);
    await page.locator('#refresh').click();
    await page.getByText('token refreshed').waitFor();
    assert.notEqual(portal.last.tokens.refresh_token, before);
    await assert.rejects(oidc.refreshTokenGrant(config, before), (error) => error.error === 'invalid_grant');

    // An ID token with a changed byte is refused by the library.
    other.tamperNext = true;
    await page.goto(`${demo.url}/altro-portale/login`);
    await page.locator('#error').waitFor();
    const refusal = `${other.lastError.code} ${other.lastError.message} ${other.lastError.cause?.message ?? ''}`;
    assert.match(refusal, /signature/i, refusal);

    // Logout at the portal ends the provider's session: the other site has to log in again.
    await page.goto(`${demo.url}/demo-portal`);
    await page.locator('#sign-out').click();
    await page.locator('#signed-out').waitFor();
    await page.goto(`${demo.url}/altro-portale/login`);
    await page.waitForURL(/\/login\?authorization=/);
    await page.getByLabel('Nome utente').waitFor();
    await page.close();
  } finally {
    await demo.close();
  }
});
