// The identity document: the page's own check, the direct upload to S3 and the acceptance check.
import { api } from './api.js';
import { t } from './i18n.js';
import { Settings } from './settings.js';

/** True when `file` is a PDF, JPEG or PNG of at most 3 MiB; otherwise the error text. */
export function documentProblem(file) {
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
export function uploadDocument(upload, file, progress) {
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
export async function confirmDocument(id, token) {
  const answer = await api('POST', `/requests/${encodeURIComponent(id)}/document`, { token });
  if (answer.status === 200) return { ok: true, view: answer.body };
  if (answer.body.error === 'document_refused') {
    return { ok: false, message: t('upload.refused', { reason: t('refused.' + answer.body.reason) }) };
  }
  return { ok: false, message: answer.body.message || t('err.generic') };
}
