// qlaunch's web page: the VM list, kept live by the server-sent events
// of /api/events, lifecycle buttons, the create form and define from
// text.  Every change is a POST carrying the session's CSRF token.
'use strict';

const ACTIONS = ['start', 'shutdown', 'reboot', 'suspend', 'resume', 'destroy'];
// which buttons make sense in which state (the supervisor decides anyway)
const ENABLED = {
  'shut off': ['start'], crashed: ['start'], defined: ['start'],
  running: ['shutdown', 'reboot', 'suspend', 'destroy'],
  paused: ['resume', 'destroy'],
  starting: ['destroy'], 'shutting down': ['destroy'],
};
let csrf = null;

const $ = (sel) => document.querySelector(sel);

function say(text, bad) {
  const m = $('#msg');
  m.textContent = text || '';
  m.className = bad ? 'bad' : '';
}

async function api(method, path, body) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  if (method === 'POST') {
    opts.headers['X-CSRF-Token'] = csrf;
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(path, opts);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (!r.ok) {
    const err = new Error(j && j.error ? j.error.desc : `${r.status} ${r.statusText}`);
    err.status = r.status;
    throw err;
  }
  return j;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function setButtons(tr, state) {
  const ok = ENABLED[state] || [];
  tr.querySelectorAll('button').forEach((b) => { b.disabled = !ok.includes(b.dataset.action); });
}

function setState(name, state) {
  const tr = document.getElementById(`vm-${name}`);
  if (!tr) return;
  const td = tr.querySelector('.state');
  td.textContent = state;
  td.dataset.state = state;
  setButtons(tr, state);
}

function render(list) {
  const tbody = $('#vms tbody');
  tbody.textContent = '';
  list.sort((a, b) => a.name.localeCompare(b.name));
  for (const vm of list) {
    const tr = document.createElement('tr');
    tr.id = `vm-${vm.name}`;
    cell(tr, vm.name, 'name');
    const st = cell(tr, vm.state, 'state');
    st.dataset.state = vm.state;
    cell(tr, `${vm.memory_mib} MiB`);
    cell(tr, String(vm.vcpus));
    const acts = cell(tr, '', 'actions');
    for (const a of ACTIONS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = a;
      b.dataset.action = a;
      b.addEventListener('click', () => act(vm.name, a));
      acts.appendChild(b);
    }
    setButtons(tr, vm.state);
    tbody.appendChild(tr);
  }
  $('#empty').hidden = list.length > 0;
}

async function act(name, action) {
  say(`${action} ${name}...`);
  try {
    await api('POST', `/api/vms/${encodeURIComponent(name)}/${action}`);
    say(`${action} ${name}: done`);
  } catch (e) {
    say(`${action} ${name}: ${e.message}`, true);
  }
}

function listen() {
  const es = new EventSource('/api/events');
  es.addEventListener('open', () => $('#live').classList.add('on'));
  es.addEventListener('error', () => $('#live').classList.remove('on'));
  es.addEventListener('vms', (e) => render(JSON.parse(e.data)));
  es.addEventListener('state', (e) => {
    const d = JSON.parse(e.data);
    setState(d.name, d.state);
  });
}

async function init() {
  let s;
  try {
    s = await api('GET', '/api/session');
  } catch (e) {
    $('#login-needed').hidden = false;
    return;
  }
  csrf = s.csrf;
  $('#who').textContent = `${s.user} (uid ${s.uid})`;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  $('#logout').addEventListener('click', async () => {
    try { await api('POST', '/logout'); } catch (e) { /* gone anyway */ }
    window.location.reload();
  });
  $('#create').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = {};
    new FormData(ev.target).forEach((v, k) => { if (v !== '') form[k] = v; });
    try {
      await api('POST', '/api/vms', { form });
      say(`VM ${form.name} created`);
      ev.target.reset();
    } catch (e) {
      say(`create: ${e.message}`, true);
    }
  });
  $('#define').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/vms', { text: ev.target.text.value });
      say(`VM ${r.name} ${r.replaced ? 'redefined' : 'defined'}`);
    } catch (e) {
      say(`define: ${e.message}`, true);
    }
  });
  try {
    render(await api('GET', '/api/vms'));
  } catch (e) {
    say(`list: ${e.message}`, true);
  }
  listen();
}

init();
