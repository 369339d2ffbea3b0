// The languages of the settings (each with its texts-<tag>.js): the page's choice, texts with
// placeholders, localized dates, statuses and country names, and the language switch of every
// page's header.
import { Settings } from './settings.js';
import { TEXTS } from './texts.js';

/** The language of the official form, whose field names stand beside translated labels. */
const OFFICIAL = Settings.official_language;

/** The language when neither a choice nor the browser's gives one of ours. */
const DEFAULT = 'en';

/**
 * The language of the field name shown beside a label in `language` (`[data-t-alt]`): the official
 * one, as the official form and the operators name the field; beside the official label itself,
 * the default language's.
 */
function altLanguage(language) {
  return language === OFFICIAL ? DEFAULT : OFFICIAL;
}

/** True when `tag` is one of the pages' languages. */
export function isLanguage(tag) {
  return Settings.languages.some((language) => language.tag === tag);
}

/** The page's language: the one chosen before, else the browser's if it is one of ours, else English. */
export function currentLanguage() {
  const chosen = localStorage.getItem('language');
  if (isLanguage(chosen)) return chosen;
  const browser = (navigator.language || '').toLowerCase();
  return Settings.languages.map((language) => language.tag).find((tag) => browser.startsWith(tag)) ?? DEFAULT;
}

/** A text of the current language (or `language`), with `{name}` placeholders filled. */
export function t(key, vars = {}, language = currentLanguage()) {
  const text = TEXTS[language][key] ?? TEXTS[OFFICIAL][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Switches the page's language; every `[data-t]` text follows, pages re-render on the event. */
export function setLanguage(language) {
  localStorage.setItem('language', language);
  applyLanguage();
  document.dispatchEvent(new CustomEvent('languagechange'));
}

/**
 * Puts every `[data-t]`, `[data-t-alt]` and `[data-t-title]` text of the page in its language, and
 * its `lang` and `dir` on the page. A `[data-t-alt]` gives the field's name in `altLanguage`.
 */
export function applyLanguage() {
  const language = currentLanguage();
  document.documentElement.lang = language;
  document.documentElement.dir = Settings.languages.find((known) => known.tag === language).dir;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-t-alt]')) {
    el.textContent = ' / ' + t(el.dataset.tAlt, {}, altLanguage(language));
  }
  for (const el of document.querySelectorAll('[data-t-title]')) el.title = t(el.dataset.tTitle);
  for (const button of document.querySelectorAll('[data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === language));
  }
}

/** True when the texts name `key`. */
export function hasText(key) {
  return key in TEXTS[OFFICIAL];
}

/** A localized date and time. */
export function formatTime(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(t('locale'));
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

/** A language's name in the current language (the texts', else the browser's). */
export function languageName(tag) {
  if (hasText('language.' + tag)) return t('language.' + tag);
  try {
    return new Intl.DisplayNames([currentLanguage()], { type: 'language' }).of(tag) || tag;
  } catch {
    return tag;
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
