// The playground page: a small Slack look-alike over the bridge's JSON API. It shows what the app sent
// (rendered by blockkit.js) to the person chosen in the switch, and turns typing and clicks into requests
// the bridge signs and sends to the app as Slack would. No product logic here: it only shows and carries.
import { actionOf, readViewState, renderBlocks, renderMrkdwn, renderText } from './blockkit.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const ui = {
  as: params.get('as') ?? localStorage.getItem('pg-as') ?? '',
  pane: params.get('pane') ?? 'channel',
  thread: null,
  state: null,
  shown: { timeline: '', thread: '', home: '', modal: '', problems: '' },
  pending: 0,
};

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function ctx(surface) {
  const s = ui.state;
  const users = Object.fromEntries((s?.people ?? []).map((p) => [p.id, p.name]));
  if (s) users[s.botUserId] = 'cipher-user';
  return { surface, users, channels: s ? { [s.channel.id]: s.channel.name } : {} };
}

async function api(path, body) {
  ui.pending += 1;
  document.body.dataset.pgBusy = 'true';
  try {
    const response = await fetch(`/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ as: ui.as, ...body }),
    });
    const answer = await response.json();
    // As Slack does when an app fails to answer: say so (a command's failure is shown as its answer).
    if (!response.ok) flash(`The playground could not send that: ${answer.error ?? response.status}`);
    else if (path !== 'command' && answer.status !== 200)
      flash(`cipher-user did not answer (HTTP ${answer.status})`);
    return answer;
  } finally {
    ui.pending -= 1;
    if (ui.pending === 0) delete document.body.dataset.pgBusy;
    void refresh();
  }
}

// ---- rendering -------------------------------------------------------------------------------------

function timeOf(ts) {
  const date = new Date(Number(String(ts).split('.')[0]) * 1000);
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function body(item) {
  const blocks = Array.isArray(item.blocks) ? item.blocks : [];
  if (item.deleted) return '<div class="pg-deleted">This message was deleted.</div>';
  if (blocks.length > 0) return renderBlocks(blocks, ctx('message'));
  return `<div class="pg-text">${renderMrkdwn(item.text ?? '', ctx('message'))}</div>`;
}

function itemHtml(item, { replies = [], inThread = false } = {}) {
  const ephemeral = item.kind === 'ephemeral';
  const place = ephemeral
    ? { kind: 'ephemeral', id: item.id }
    : { kind: 'message', channel: item.channel, ts: item.ts };
  const attrs = ephemeral
    ? `data-pg-ephemeral="${esc(item.id)}"`
    : `data-pg-ts="${esc(item.ts)}" data-pg-channel="${esc(item.channel)}"`;
  const note = ephemeral ? '<div class="pg-only-you">Only visible to you</div>' : '';
  const edited = item.edited ? ' <span class="pg-edited">(edited)</span>' : '';
  const count = replies.length;
  const thread =
    !inThread && count > 0
      ? `<button type="button" class="pg-replies" data-pg-thread="${esc(item.ts)}">${count} ${count === 1 ? 'reply' : 'replies'}</button>`
      : '';
  return `<article class="pg-msg${ephemeral ? ' pg-ephemeral' : ''}" ${attrs} data-pg-place="${esc(JSON.stringify(place))}">
    <div class="pg-avatar" aria-hidden="true">CU</div>
    <div class="pg-msg-main">
      ${note}
      <div class="pg-msg-head"><span class="pg-author">cipher-user</span><span class="pg-app-tag">APP</span><time class="pg-time">${esc(timeOf(item.ts))}</time></div>
      <div class="pg-msg-body">${body(item)}${edited}</div>
      ${thread}
    </div>
  </article>`;
}

function repliesOf(s, parentTs, channel) {
  const replies = s.messages.filter((m) => m.channel === channel && m.threadTs === parentTs);
  const mine = s.ephemerals.filter((e) => e.channel === channel && e.threadTs === parentTs);
  return [...replies, ...mine].sort((a, b) => a.at - b.at);
}

function conversation(s, channel) {
  const top = s.messages.filter((m) => m.channel === channel && m.threadTs === undefined);
  const mine = s.ephemerals.filter((e) => e.channel === channel && e.threadTs === undefined);
  return [...top, ...mine].sort((a, b) => a.at - b.at);
}

function setHtml(key, node, html) {
  if (ui.shown[key] === html) return false;
  const stick = node.scrollHeight - node.scrollTop - node.clientHeight < 40;
  ui.shown[key] = html;
  node.innerHTML = html;
  if (stick) node.scrollTop = node.scrollHeight;
  return true;
}

function renderIdentity(s) {
  const html = s.people
    .map(
      (p) =>
        `<button type="button" class="pg-person${p.id === s.me.id ? ' pg-current' : ''}" data-pg-as="${esc(p.id)}" aria-pressed="${p.id === s.me.id}">${esc(p.label)} <span class="pg-person-name">${esc(p.name)}</span></button>`,
    )
    .join('');
  if ($('pg-identity').innerHTML !== html) $('pg-identity').innerHTML = html;
}

function renderPane(s) {
  const channelId = ui.pane === 'dm' ? s.dmChannel : s.channel.id;
  for (const id of ['channel', 'dm', 'home']) $(`pg-go-${id}`).classList.toggle('pg-current', ui.pane === id);
  $('pg-pane-header').innerHTML =
    ui.pane === 'channel'
      ? `<span># ${esc(s.channel.name)}</span><span class="pg-muted">you are ${esc(s.me.name)}</span>`
      : `<span>cipher-user</span><span class="pg-tabs"><button type="button" data-pg-go="home" class="${ui.pane === 'home' ? 'pg-current' : ''}">Home</button><button type="button" data-pg-go="dm" class="${ui.pane === 'dm' ? 'pg-current' : ''}">Messages</button></span>`;
  const home = ui.pane === 'home';
  $('pg-timeline').hidden = home;
  $('pg-home').hidden = !home;
  $('pg-composer').hidden = home;
  $('pg-composer-input').placeholder =
    ui.pane === 'dm' ? 'Message cipher-user' : `Message #${s.channel.name} — try /cipher-user help`;
  if (home) {
    const html = s.home
      ? `<div data-pg-place="${esc(JSON.stringify({ kind: 'view', viewId: s.home.id }))}" data-pg-view="${esc(s.home.id)}">${renderBlocks(s.home.blocks, ctx('home'))}</div>`
      : '<p class="pg-muted pg-loading">Opening Home…</p>';
    setHtml('home', $('pg-home'), html);
  } else {
    const items = conversation(s, channelId);
    const html =
      items
        .map((item) =>
          itemHtml(item, { replies: item.kind === 'message' ? repliesOf(s, item.ts, channelId) : [] }),
        )
        .join('') ||
      `<p class="pg-muted pg-empty">${ui.pane === 'dm' ? 'No messages from cipher-user yet.' : 'Nothing here yet: type /cipher-user help, or pick an example.'}</p>`;
    setHtml('timeline', $('pg-timeline'), `${html}`);
  }
  const dmCount = s.messages.filter((m) => m.channel === s.dmChannel).length;
  $('pg-dm-badge').hidden = dmCount === 0;
  $('pg-dm-badge').textContent = String(dmCount);
}

function renderThread(s) {
  const pane = $('pg-thread');
  const parent =
    ui.thread && s.messages.find((m) => m.ts === ui.thread.ts && m.channel === ui.thread.channel);
  pane.hidden = !parent;
  document.body.classList.toggle('pg-with-thread', Boolean(parent));
  if (!parent) return;
  const replies = repliesOf(s, parent.ts, parent.channel);
  const html = `${itemHtml(parent, { inThread: true })}<div class="pg-reply-count">${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}</div>${replies
    .map((r) => itemHtml(r, { inThread: true }))
    .join('')}`;
  setHtml('thread', $('pg-thread-body'), html);
}

function renderModal(s) {
  const layer = $('pg-modal-layer');
  const top = s.modals.at(-1);
  layer.hidden = !top;
  if (!top) {
    ui.shown.modal = '';
    layer.innerHTML = '';
    return;
  }
  const { view, errors } = top;
  const key = JSON.stringify([view.id, view.hash, errors, s.modals.length]);
  if (ui.shown.modal === key) return;
  // Slack keeps what was typed into an input that is still there after an update (same block and action id).
  const typed = layer.querySelector('.pg-modal-body')
    ? readViewState(layer.querySelector('.pg-modal-body')).values
    : {};
  const sameView = layer.querySelector('.pg-modal')?.dataset.viewId === view.id;
  ui.shown.modal = key;
  const general = errors[''] ? `<div class="pg-modal-error">${esc(errors[''])}</div>` : '';
  layer.innerHTML = `<div class="pg-modal" role="dialog" aria-modal="true" data-view-id="${esc(view.id)}" data-pg-place="${esc(JSON.stringify({ kind: 'view', viewId: view.id }))}">
    <header class="pg-modal-head">${s.modals.length > 1 ? '<span class="pg-muted">‹</span>' : ''}<h2 class="pg-modal-title">${renderText(view.title, ctx('modal'))}</h2>
      <button type="button" class="pg-x" data-pg-close="${esc(view.id)}" aria-label="Close">×</button></header>
    <form class="pg-modal-body" novalidate>${general}${renderBlocks(view.blocks ?? [], ctx('modal'))}</form>
    <footer class="pg-modal-foot">
      <button type="button" class="pg-btn" data-pg-close="${esc(view.id)}">${view.close ? renderText(view.close, ctx('modal')) : 'Cancel'}</button>
      ${view.submit ? `<button type="button" class="pg-btn pg-primary" data-pg-submit="${esc(view.id)}">${renderText(view.submit, ctx('modal'))}</button>` : ''}
    </footer>
  </div>`;
  const form = layer.querySelector('.pg-modal-body');
  for (const [blockId, message] of Object.entries(errors)) {
    if (!blockId) continue;
    const block = form.querySelector(`[data-block-id="${CSS.escape(blockId)}"]:not([data-bk-element])`);
    block?.insertAdjacentHTML('beforeend', `<div class="pg-input-error" role="alert">${esc(message)}</div>`);
  }
  if (sameView) restoreTyped(form, typed);
}

function restoreTyped(form, typed) {
  for (const [blockId, byAction] of Object.entries(typed)) {
    for (const [actionId, state] of Object.entries(byAction)) {
      if (typeof state?.value !== 'string') continue;
      const el = form.querySelector(
        `[data-bk-element][data-block-id="${CSS.escape(blockId)}"][data-action-id="${CSS.escape(actionId)}"]`,
      );
      if (el && 'value' in el) el.value = state.value;
    }
  }
}

function renderProblems(s) {
  const lines = [
    ...s.problems.map((p) => `Slack would refuse ${p.method}: ${p.problems.join('; ')}`),
    ...s.refused
      .filter((r) => r.error !== 'invalid_blocks' && r.error !== 'invalid_arguments')
      .slice(-3)
      .map((r) => `Slack answered ${r.method}: ${r.error}`),
  ];
  const html = lines.length
    ? `<strong>From the fake Slack</strong><ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`
    : '';
  $('pg-problems').hidden = lines.length === 0;
  setHtml('problems', $('pg-problems'), html);
}

function render() {
  const s = ui.state;
  if (!s) return;
  document.body.dataset.pgWho = s.me.id;
  document.body.dataset.pgVersion = String(s.version);
  renderIdentity(s);
  renderPane(s);
  renderThread(s);
  renderModal(s);
  renderProblems(s);
}

let refreshing = null;
let again = false;
async function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      const response = await fetch(`/api/state?as=${encodeURIComponent(ui.as)}`);
      if (response.ok) {
        ui.state = await response.json();
        render();
      }
    } while (again);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// ---- input -----------------------------------------------------------------------------------------

function placeOf(node) {
  const holder = node.closest('[data-pg-place]');
  const place = holder ? JSON.parse(holder.dataset.pgPlace) : null;
  if (place?.kind === 'view') {
    const root = holder.querySelector('.pg-modal-body') ?? holder;
    place.values = readViewState(root).values;
  }
  return place;
}

function confirmDialog(confirm) {
  const layer = $('pg-confirm-layer');
  const c = ctx('modal');
  layer.innerHTML = `<div class="pg-modal pg-confirm" role="alertdialog" aria-modal="true">
    <header class="pg-modal-head"><h2 class="pg-modal-title">${renderText(confirm.title ?? { type: 'plain_text', text: 'Are you sure?' }, c)}</h2></header>
    <div class="pg-modal-body">${confirm.text ? renderText(confirm.text, c) : ''}</div>
    <footer class="pg-modal-foot">
      <button type="button" class="pg-btn" data-pg-deny>${confirm.deny ? renderText(confirm.deny, c) : 'Cancel'}</button>
      <button type="button" class="pg-btn ${confirm.style === 'danger' ? 'pg-danger' : 'pg-primary'}" data-pg-confirm>${confirm.confirm ? renderText(confirm.confirm, c) : 'Yes'}</button>
    </footer></div>`;
  layer.hidden = false;
  return new Promise((resolve) => {
    layer.onclick = (event) => {
      const yes = event.target.closest('[data-pg-confirm]');
      const no = event.target.closest('[data-pg-deny]');
      if (!yes && !no) return;
      layer.hidden = true;
      layer.innerHTML = '';
      resolve(Boolean(yes));
    };
  });
}

async function sendAction(el) {
  const place = placeOf(el);
  if (!place) return;
  if (el.dataset.confirm) {
    let confirm = {};
    try {
      confirm = JSON.parse(el.dataset.confirm);
    } catch {}
    if (!(await confirmDialog(confirm))) return;
  }
  if (el.dataset.url) window.open(el.dataset.url, '_blank', 'noopener');
  await api('action', { place, action: actionOf(el) });
}

async function sendCommand(raw) {
  const text = raw.trim();
  const match = /^\/cipher-user(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) {
    flash('This playground only knows /cipher-user: try /cipher-user help');
    return;
  }
  const channel = ui.pane === 'dm' ? ui.state?.dmChannel : ui.state?.channel.id;
  await api('command', { text: (match[1] ?? '').trim(), channel });
}

function flash(text) {
  const note = document.createElement('div');
  note.className = 'pg-flash';
  note.textContent = text;
  document.body.append(note);
  setTimeout(() => note.remove(), 4000);
}

// A link to a message (chat.getPermalink's …/archives/<channel>/p<ts>) opens it here, as Slack does.
function openPermalink(href) {
  const match = /\/archives\/([A-Z0-9]+)\/p(\d+)(\d{6})(?:\?thread_ts=([\d.]+))?/.exec(href ?? '');
  const s = ui.state;
  if (!match || !s) return false;
  const [, channel, seconds, micros, threadTs] = match;
  const ts = `${seconds}.${micros}`;
  const message = s.messages.find((m) => m.channel === channel && m.ts === ts);
  if (!message) return false;
  go(channel === s.dmChannel ? 'dm' : 'channel');
  const parent = threadTs ?? message.threadTs;
  if (parent) {
    ui.thread = { ts: parent, channel };
    render();
  }
  document
    .querySelector(`#pg-timeline [data-pg-ts="${CSS.escape(parent ?? ts)}"]`)
    ?.scrollIntoView({ block: 'center' });
  return true;
}

function go(pane) {
  ui.pane = pane;
  ui.thread = null;
  document.body.classList.remove('pg-menu-open');
  render();
  if (pane === 'home') void api('home', {});
}

document.addEventListener('click', (event) => {
  const t = event.target;
  if (!(t instanceof Element)) return;
  const who = t.closest('[data-pg-as]');
  if (who) {
    ui.as = who.dataset.pgAs;
    localStorage.setItem('pg-as', ui.as);
    ui.thread = null;
    void refresh().then(() => ui.pane === 'home' && api('home', {}));
    return;
  }
  const pane = t.closest('[data-pg-go]');
  if (pane) return go(pane.dataset.pgGo);
  const thread = t.closest('[data-pg-thread]');
  if (thread) {
    const msg = thread.closest('[data-pg-ts]');
    ui.thread = { ts: thread.dataset.pgThread, channel: msg?.dataset.pgChannel };
    return render();
  }
  if (t.closest('#pg-thread-close')) {
    ui.thread = null;
    return render();
  }
  const close = t.closest('[data-pg-close]');
  if (close) return void api('close', { viewId: close.dataset.pgClose });
  const submit = t.closest('[data-pg-submit]');
  if (submit) {
    const form = $('pg-modal-layer').querySelector('.pg-modal-body');
    submit.disabled = true;
    return void api('submit', {
      viewId: submit.dataset.pgSubmit,
      values: readViewState(form).values,
    }).finally(() => {
      submit.disabled = false;
    });
  }
  const example = t.closest('[data-pg-example]');
  if (example) {
    if (ui.pane === 'home') go('channel');
    return void sendCommand(`/cipher-user ${example.dataset.pgExample}`);
  }
  if (t.closest('#pg-menu')) return document.body.classList.toggle('pg-menu-open');
  const link = t.closest('a[href]');
  if (link && openPermalink(link.getAttribute('href'))) {
    event.preventDefault();
    return;
  }
  const el = t.closest('[data-bk-element]');
  if (el && (el.dataset.bkElement === 'button' || el.dataset.bkElement === 'workflow_button')) {
    event.preventDefault();
    void sendAction(el);
  }
});

const CHANGE_ELEMENTS = new Set([
  'static_select',
  'multi_static_select',
  'users_select',
  'conversations_select',
  'channels_select',
  'overflow',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'radio_buttons',
  'checkboxes',
]);
document.addEventListener('change', (event) => {
  const t = event.target;
  if (!(t instanceof Element)) return;
  const el = t.closest('[data-bk-element]');
  if (!el || !CHANGE_ELEMENTS.has(el.dataset.bkElement)) return;
  // Inside an input block Slack sends nothing until submit (no dispatch_action here).
  const block = el.closest('[data-block-id]:not([data-bk-element])');
  if (block?.classList.contains('bk-input')) return;
  void sendAction(el).finally(() => {
    // An overflow menu is a <select> showing ⋯: back to it once chosen.
    if (el.dataset.bkElement === 'overflow' && 'selectedIndex' in el) el.selectedIndex = 0;
  });
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter') return;
  const t = event.target;
  if (t instanceof HTMLInputElement && t.closest('.pg-modal-body')) event.preventDefault();
});

$('pg-composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('pg-composer-input');
  const text = input.value;
  if (!text.trim()) return;
  input.value = '';
  void sendCommand(text);
});

async function start() {
  const setup = await (await fetch('/api/setup')).json();
  if (!setup.people.some((p) => p.id === ui.as)) ui.as = setup.people[0].id;
  $('pg-examples').innerHTML = setup.examples
    .map(
      (e) =>
        `<button type="button" class="pg-example" data-pg-example="${esc(e.text)}" title="/cipher-user ${esc(e.text)}">${esc(e.label)}</button>`,
    )
    .join('');
  await refresh();
  const events = new EventSource('/api/events');
  events.onmessage = () => void refresh();
  if (ui.pane === 'home') void api('home', {});
}

void start();
