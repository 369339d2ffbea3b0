// The API client of the pages.
import { t } from './i18n.js';

/**
 * Calls the API (cookies only with `credentials: 'same-origin'`: the provider's login). Answers `{status, body, headers}`; a network failure is status 0 with a
 * `network` error, so callers handle every outcome the same way and keep what was typed.
 */
export async function api(method, path, { body, token, headers = {}, credentials = 'omit' } = {}) {
  const init = { method, headers: { ...headers }, credentials };
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


/** The minutes of a `Retry-After` header, at least one. */
export function retryMinutes(headers) {
  const seconds = Number(headers.get('retry-after')) || 60;
  return Math.max(1, Math.ceil(seconds / 60));
}
