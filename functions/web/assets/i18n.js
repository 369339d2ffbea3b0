// The two languages: the page's choice, texts with placeholders, localized dates, statuses and
// country names, and the language switch of every page's header.
import { Settings } from './settings.js';
import { TEXT_EN } from './texts-en.js';
import { TEXT_IT } from './texts-it.js';

const TEXT = { it: TEXT_IT, en: TEXT_EN };

/** The page's language: the one chosen before, else the browser's if Italian, else English. */
export function currentLanguage() {
  const chosen = localStorage.getItem('language');
  if (chosen === 'it' || chosen === 'en') return chosen;
  return (navigator.language || '').toLowerCase().startsWith('it') ? 'it' : 'en';
}

/** The other language, shown beside labels (the official form is bilingual). */
export function otherLanguage() {
  return currentLanguage() === 'it' ? 'en' : 'it';
}

/** A text of the current language (or `language`), with `{name}` placeholders filled. */
export function t(key, vars = {}, language = currentLanguage()) {
  const text = TEXT[language][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Switches the page's language; every `[data-t]` text follows, pages re-render on the event. */
export function setLanguage(language) {
  localStorage.setItem('language', language);
  applyLanguage();
  document.dispatchEvent(new CustomEvent('languagechange'));
}

/** Puts every `[data-t]`, `[data-t-alt]` and `[data-t-title]` text of the page in its language. */
export function applyLanguage() {
  const language = currentLanguage();
  document.documentElement.lang = language;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-alt]')) el.textContent = ' / ' + t(el.dataset.tAlt, {}, otherLanguage());
  for (const el of document.querySelectorAll('[data-t-title]')) el.title = t(el.dataset.tTitle);
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === language));
  }
}

/** True when the texts name `key`. */
export function hasText(key) {
  return key in TEXT.en;
}

/** A localized date and time. */
export function formatTime(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(currentLanguage() === 'it' ? 'it-IT' : 'en-GB');
}

/** A status in words. */
export function statusText(status) {
  return t('status.' + status);
}

/** A country's name in the current language. */
export function countryName(code) {
  try {
    return new Intl.DisplayNames([currentLanguage()], { type: 'region' }).of(code) || code;
  } catch {
    return code;
  }
}

/** Fills a <select> with every country the server accepts, by name, keeping its value. */
export function fillCountries(select) {
  const value = select.value;
  const collator = new Intl.Collator(currentLanguage());
  const countries = Settings.countries.map((code) => [code, countryName(code)]).sort((a, b) => collator.compare(a[1], b[1]));
  select.replaceChildren(new Option(t('choose'), ''), ...countries.map(([code, name]) => new Option(name, code)));
  select.value = value;
}

document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.addEventListener('click', () => setLanguage(button.dataset.lang));
  }
  applyLanguage();
});
