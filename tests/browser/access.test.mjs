// Accessibility and reach: the form sent with the keyboard only, and every page on a 375-pixel-wide
// phone screen; the security headers and the absence of any third-party request.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BASE, applicant, assertNoProblems, idCardPng, launch, openPage, screenshot, submitRequest } from './support.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Presses Tab until the element with `id` has the focus (at most 80 times); fails otherwise. */
async function tabTo(page, id) {
  for (let presses = 0; presses < 80; presses += 1) {
    if (await page.evaluate((wanted) => document.activeElement?.id === wanted, id)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`#${id} cannot be reached with the Tab key`);
}

test('the form can be filled and sent with the keyboard only', async () => {
  const person = applicant();
  const page = await openPage(browser, { locale: 'en-GB' });
  await page.goto(BASE + '/');
  const file = await idCardPng(page, `${person.name} ${person.surname}`);
  // Listening for the file chooser from the start: Playwright intercepts choosers only once it
  // listens, and a listener added together with the key press lost the race now and then.
  const chooserOpened = page.waitForEvent('filechooser', { timeout: 60_000 });

  // The language switch, by keyboard.
  await tabTo(page, 'lang-en');
  await page.keyboard.press('Enter');
  assert.equal(await page.getByRole('button', { name: 'English' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('h1').textContent(), 'Request for Foreign User credentials');

  const typeInto = async (id, text) => {
    await tabTo(page, id);
    await page.keyboard.type(text);
  };
  await typeInto('f-name', person.name);
  await typeInto('f-surname', person.surname);
  await typeInto('f-gender', 'Female');
  await typeInto('f-birth_date', '04011990');
  await typeInto('f-birth_country', 'United States');
  await typeInto('f-citizenship', 'United States');
  await typeInto('f-identification_code', person.idCode);
  await typeInto('f-email', person.email);
  await typeInto('f-phone', person.phone);
  await typeInto('f-residence_country', 'United States');
  await typeInto('f-address-city', person.city);
  await typeInto('f-address-street', person.street);
  await typeInto('f-address-number', person.number);
  await tabTo(page, 'f-document');
  await page.keyboard.press('Space');
  const chooser = await chooserOpened;
  assert.equal(await chooser.element().getAttribute('id'), 'f-document', 'Space opened the document picker');
  await chooser.setFiles(file);
  await tabTo(page, 'f-privacy_consent');
  await page.keyboard.press('Space');
  await tabTo(page, 'submit');

  const values = await page.evaluate(() => Object.fromEntries(
    ['gender', 'birth_date', 'birth_country', 'citizenship', 'residence_country'].map((n) => [n, document.forms[0].elements[n].value])));
  assert.deepEqual(values, { gender: 'F', birth_date: '1990-04-01', birth_country: 'US', citizenship: 'US', residence_country: 'US' });
  await page.keyboard.press('Enter');

  const done = page.locator('#done');
  await done.waitFor({ timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'done', 'the result takes the focus');
  assert.match(await page.locator('#reference').textContent(), /^UE-\d{4}-\d+$/);
  await screenshot(page, '20-keyboard-done');
  assertNoProblems(page);
});

test('a keyboard user is taken to the errors and can follow them', async () => {
  const page = await openPage(browser, { locale: 'en-GB' });
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: 'English' }).click();
  await tabTo(page, 'submit');
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'form-alert', 'focus moves to the announced summary');
  assert.match(await alert.textContent(), /Please correct the marked fields \(15\)/);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-name', 'the summary leads to the field');
  assert.equal(await page.locator('#e-name').textContent(), 'This field is required.');
  await screenshot(page, '21-keyboard-errors');
});

/** True when the page is no wider than its viewport (no sideways scrolling). */
async function fitsTheScreen(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

test('every page works on a 375-pixel-wide phone screen', async () => {
  const phone = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
  const page = await openPage(browser, phone);
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: 'Italiano' }).click();
  assert.ok(await fitsTheScreen(page), 'the form fits');
  await screenshot(page, '30-phone-form');

  const request = await submitRequest(page, applicant());
  await page.goto(`${BASE}/status#id=${request.id}&token=${encodeURIComponent(request.access_token)}`);
  await page.locator('#current-status').waitFor();
  assert.equal(await page.locator('#current-status').textContent(), 'In verifica');
  assert.ok(await fitsTheScreen(page), 'the status page fits');
  await screenshot(page, '31-phone-status');

  for (const [path, name] of [['/login', '32-phone-login'], ['/console', '33-phone-console'], ['/privacy', '34-phone-privacy']]) {
    await page.goto(BASE + path);
    await page.locator('main').waitFor();
    assert.ok(await fitsTheScreen(page), `${path} fits`);
    await screenshot(page, name);
  }
  assertNoProblems(page);
});

test('pages carry the security headers and load nothing from elsewhere', async () => {
  const page = await openPage(browser);
  const origins = new Set();
  page.on('request', (request) => origins.add(new URL(request.url()).origin));
  const response = await page.goto(BASE + '/');
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /default-src 'none'/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.match(headers['content-security-policy'], /script-src 'self'(;| )/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  await page.locator('#f-name').waitFor();
  assert.deepEqual([...origins], [BASE], 'every asset comes from the service itself');

  // A script injected into the page is refused by the policy.
  const injected = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective));
    const script = document.createElement('script');
    script.textContent = 'window.injected = true';
    document.body.append(script);
    setTimeout(() => resolve(window.injected ? 'ran' : 'no event'), 2000);
  }));
  assert.equal(injected, 'script-src-elem');
});
