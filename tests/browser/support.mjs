// What the browser tests share: Debian's Chromium through playwright-core, the stack's URLs (set by
// scripts/browser_test.sh), screenshots, the emulator's sent emails, and the applicant's form.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run the browser tests with scripts/browser_test.sh (make test)`);
  return value;
}

/** The service under test (pages and API on one origin). */
export const BASE = required('BASE_URL');
/** The AWS emulator, whose recorded emails the tests read. */
export const EMULATOR = required('EMULATOR_URL');
/** The operator created for the run, and where their first credentials went. */
export const OPERATOR = { username: required('OPERATOR_USERNAME'), email: required('OPERATOR_EMAIL') };
/** Where screenshots go (git-ignored). */
export const ARTIFACTS = required('ARTIFACTS_DIR');
mkdirSync(ARTIFACTS, { recursive: true });

/** Headless Chromium with the flags this closed network needs (no background calls home). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // --lang pins the date inputs' field order (month/day/year) for keyboard typing.
    args: ['--lang=en-US', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A fresh page (own context: no shared storage). Every console error, uncaught exception and
 * refused request (a CSP violation among them) is collected in `page.problems`.
 */
export async function openPage(browser, options = {}) {
  const context = await browser.newContext({ locale: 'it-IT', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') page.problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => page.problems.push(`exception: ${error.message}`));
  page.on('requestfailed', (request) => page.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  return page;
}

/** Fails when the page logged an error, threw, or had a request refused. */
export function assertNoProblems(page, expected = []) {
  const unexpected = page.problems.filter((p) => !expected.some((pattern) => pattern.test(p)));
  assert.deepEqual(unexpected, [], 'the page had problems');
}

/** Saves a full-page screenshot named `name`. */
export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** The emails the emulator recorded to `address`, oldest first. */
export async function emailsTo(address) {
  const response = await fetch(`${EMULATOR}/moto-api/data.json`);
  assert.equal(response.status, 200, 'the emulator answers');
  const data = await response.json();
  return (data.ses?.Message ?? []).filter((m) => m.destinations?.ToAddresses?.includes(address));
}

/** The value of the first `Label: value` line of `body` for any of `labels` (emails are IT or EN). */
export function lineValue(body, labels) {
  for (const line of body.split('\n')) {
    const text = line.trim().replace(/<br>$/, '');
    for (const label of labels) {
      if (text.startsWith(`${label}: `)) return text.slice(label.length + 2).trim();
    }
  }
  return null;
}

/** Username and temporary password of the last credentials email to `address`. */
export async function credentialsSentTo(address) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const emails = await emailsTo(address);
    const last = emails.reverse().find((e) => lineValue(e.body, ['Username', 'Nome utente']));
    if (last) {
      return {
        username: lineValue(last.body, ['Username', 'Nome utente']),
        password: lineValue(last.body, ['Temporary password', 'Password temporanea']),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no credentials email to ${address}`);
}

/**
 * Runs the mailer's sweep (EventBridge's every minute on AWS), then the link of the last password
 * reset email to `address`.
 */
export async function resetLinkSentTo(address) {
  const sweep = await fetch(`${BASE}/2015-03-31/functions/mailer/invocations`, { method: 'POST', body: '{}' });
  assert.equal(sweep.status, 200, 'the mailer runs');
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const links = (await emailsTo(address)).map((e) => e.body.match(/https?:\/\/\S+\/reset#token=[A-Za-z0-9_-]+/)).filter(Boolean);
    if (links.length > 0) return links.at(-1)[0];
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no password reset email to ${address}`);
}

/** The code an authenticator app shows now for the base32 `secret` (RFC 6238: SHA-1, 6 digits, 30 s). */
export function totpCode(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret.replace(/=+$/, '')) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}

/** A unique suffix, so each run's applicants are new people. */
export function unique() {
  return Math.random().toString(36).slice(2, 10);
}

/** A real PNG (a drawn ID card, front and back), made by the browser's canvas. */
export async function idCardPng(page, label) {
  const dataUrl = await page.evaluate((text) => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 820;
    const g = canvas.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 640, 820);
    for (const [top, side] of [[20, 'FRONT'], [420, 'BACK']]) {
      g.fillStyle = '#dfe9f3';
      g.fillRect(20, top, 600, 380);
      g.fillStyle = '#0b4f8a';
      g.font = 'bold 32px sans-serif';
      g.fillText(`ID CARD — ${side}`, 50, top + 60);
      g.font = '24px sans-serif';
      g.fillText(text, 50, top + 120);
      g.fillText('signed: ~~~~~~~~', 50, top + 330);
    }
    for (let i = 0; i < 4000; i += 1) {
      g.fillStyle = `hsl(${i % 360} 60% 70%)`;
      g.fillRect((i * 37) % 600 + 20, (i * 53) % 780 + 20, 2, 2);
    }
    return canvas.toDataURL('image/png');
  }, label);
  return { name: 'id-card.png', mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1], 'base64') };
}

/** An applicant of a country outside eIDAS, unique per run. */
export function applicant() {
  const id = unique();
  return {
    name: 'Maria', surname: `D'Angelo`, gender: 'F', birthDate: '1990-04-01', birthCountry: 'US',
    citizenship: 'US', idCode: `X${id}`.toUpperCase(), email: `maria.${id}@example.org`, phone: '+1 617 555 0100',
    residence: 'US', city: 'Boston', street: 'Main Street', number: '12',
  };
}

/** The form's controls, found by their Italian labels (which also checks every label is bound). */
export function formControls(page) {
  const label = (text) => page.getByLabel(new RegExp(`^${text} /`));
  return {
    name: label('Nome'), surname: label('Cognome'), gender: label('Genere'), birthDate: label('Data di nascita'),
    birthCountry: label('Stato di nascita'), citizenship: label('Cittadinanza'),
    idCode: label('Codice identificativo'), email: label('Email'), pec: label('PEC'), phone: label('Telefono'),
    otherPhone: label('Altro telefono'), residence: label('Stato di residenza'), city: label('Città'),
    street: label('Indirizzo'), number: label('Numero civico'), document: label('Documento firmato, fronte e retro'),
    consent: page.getByLabel(/^Ho letto l’informativa/),
  };
}

/**
 * A request submitted through the API as the form does (the document uploaded to the signed form
 * and accepted), for tests that start at the operator's side. Answers the created request.
 */
export async function submitRequest(page, person = applicant()) {
  const file = await idCardPng(page, `${person.name} ${person.surname}`);
  const created = await fetch(`${BASE}/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: person.name, surname: person.surname, email: person.email, phone: person.phone, pec: null,
      other_phone: null, birth_country: person.birthCountry, birth_date: person.birthDate,
      identification_code: person.idCode, gender: person.gender, citizenship: person.citizenship,
      residence_country: person.residence, address: { city: person.city, street: person.street, number: person.number },
      privacy_consent: true, language: 'it', captcha_token: 'development',
      document: { content_type: file.mimeType, size: file.buffer.length },
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const request = await created.json();
  const form = new FormData();
  for (const [name, value] of Object.entries(request.upload.fields)) form.append(name, value);
  form.append('file', new Blob([file.buffer], { type: file.mimeType }), file.name);
  const uploaded = await fetch(request.upload.url, { method: 'POST', body: form });
  assert.ok(uploaded.ok, `upload: ${uploaded.status} ${await uploaded.text()}`);
  const accepted = await fetch(`${BASE}/requests/${request.id}/document`, {
    method: 'POST', headers: { authorization: `Bearer ${request.access_token}` },
  });
  assert.equal(accepted.status, 200, await accepted.text());
  return request;
}
