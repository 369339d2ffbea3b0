// The applicant's status page: the request named by the link's fragment (id and access token,
// never sent to a server), its status, timeline and messages, and the upload of a document when
// one is awaited.
import { api } from './api.js';
import { clearFieldErrors, h, hideAlert, showAlert, showFieldErrors } from './dom.js';
import { formatTime, statusText, t } from './i18n.js';
import { confirmDocument, documentProblem, uploadDocument } from './upload.js';

const fragment = new URLSearchParams(location.hash.slice(1));
const requestId = fragment.get('id');
const accessToken = fragment.get('token');
const statusAlert = document.getElementById('status-alert');
const view = document.getElementById('status-view');
const uploadPanel = document.getElementById('upload-panel');
const uploadForm = document.getElementById('upload-form');
const uploadText = document.getElementById('upload-text');

/** The last view the server gave. */
let current = null;

async function load() {
  if (!requestId || !accessToken) {
    showAlert(statusAlert, t('status.missing'));
    return;
  }
  const answer = await api('GET', `/requests/${encodeURIComponent(requestId)}`, { token: accessToken });
  if (answer.status !== 200) {
    showAlert(statusAlert, answer.status === 404 ? t('status.missing') : answer.body.message || t('err.generic'));
    return;
  }
  hideAlert(statusAlert);
  current = answer.body;
  render();
}

function render() {
  if (!current) return;
  const timeline = h('ol', { class: 'timeline' }, current.timeline.map((entry) =>
    h('li', {}, h('time', { datetime: entry.at }, formatTime(entry.at)), ' — ', statusText(entry.status))));
  const messages = current.messages.length === 0 ? '' : h('section', {},
    h('h2', {}, t('status.messages')),
    h('ul', { class: 'messages' }, current.messages.map((m) =>
      h('li', {}, h('time', { datetime: m.at }, formatTime(m.at)), h('p', {}, m.message)))));
  view.replaceChildren(
    h('p', {}, t('done.reference') + ': ', h('strong', {}, current.reference)),
    h('p', {}, t('status.current') + ': ', h('strong', { id: 'current-status', 'data-status': current.status }, statusText(current.status))),
    messages,
    h('h2', {}, t('status.timeline')),
    timeline,
  );
  const awaiting = current.status === 'info_requested' || current.status === 'awaiting_document';
  uploadPanel.hidden = !awaiting;
  if (awaiting) {
    document.getElementById('upload-why').textContent =
      t(current.status === 'info_requested' ? 'status.upload_info' : 'status.upload_first');
  }
}

async function sendDocument(event) {
  event.preventDefault();
  const file = uploadForm.elements.document.files[0];
  const problem = documentProblem(file);
  if (problem) {
    showFieldErrors(uploadForm, statusAlert, { document: problem });
    return;
  }
  clearFieldErrors(uploadForm, statusAlert);
  const button = uploadForm.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const grant = await api('POST', `/requests/${encodeURIComponent(requestId)}/upload-url`, {
      token: accessToken,
      body: { document: { content_type: file.type, size: file.size } },
    });
    if (grant.status !== 200) {
      if (grant.body.fields) showFieldErrors(uploadForm, statusAlert, { document: Object.values(grant.body.fields).join(' ') });
      else showAlert(statusAlert, grant.body.message || t('err.generic'));
      return;
    }
    uploadText.textContent = '';
    const progress = document.getElementById('upload-progress');
    if (!(await uploadDocument(grant.body.upload, file, progress))) {
      uploadText.textContent = t('upload.failed');
      return;
    }
    uploadText.textContent = t('upload.checking');
    const result = await confirmDocument(requestId, accessToken);
    if (!result.ok) {
      uploadText.textContent = result.message;
      return;
    }
    uploadText.textContent = '';
    uploadForm.reset();
    progress.hidden = true;
    current = result.view;
    render();
    showAlert(statusAlert, t('status.uploaded'), null, 'success');
  } finally {
    button.disabled = false;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  uploadForm.addEventListener('submit', sendDocument);
  load();
});
document.addEventListener('languagechange', render);
window.addEventListener('hashchange', () => location.reload());
