// qlaunch's web page: the VM list, kept live by the server-sent events
// of /api/events, lifecycle buttons, the create form and define from
// text.  Every change is a POST carrying the session's CSRF token.
//
// A VM's own page is #vm/NAME: its state and actions, then tabs, one per
// section.  A section lives in a file of its own (listed in index.html)
// and registers itself:
//   QL.section({ id, title, render(el, vm) })
// render fills el (a <section>) for vm = { name, state } each time the
// tab is shown; it may return a function called when the tab is left.
// QL.api(method, path, body) calls the JSON API (POST with the CSRF
// token), QL.say(text, bad) sets the status line, QL.on(event, fn)
// hears the server-sent events ('state', 'vms', and any later kind) and
// returns a function that stops hearing them.
'use strict';

const sections = [];
const listeners = {};
window.QL = {
  section(s) { sections.push(s); },
  api: (...a) => api(...a),
  say: (...a) => say(...a),
  on(event, fn) {
    (listeners[event] = listeners[event] || []).push(fn);
    return () => { listeners[event] = listeners[event].filter((f) => f !== fn); };
  },
};

function emit(event, data) {
  for (const fn of (listeners[event] || []).slice()) {
    try { fn(data); } catch (e) { console.error(e); }
  }
}

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
  if (page && page.name === name) {
    page.state = state;
    $('#vmstate').textContent = state;
    $('#vmstate').dataset.state = state;
    setButtons($('#vmactions'), state);
  }
  const tr = document.getElementById(`vm-${name}`);
  if (!tr) return;
  const td = tr.querySelector('.state');
  td.textContent = state;
  td.dataset.state = state;
  setButtons(tr, state);
}

function render(list) {
  known = {};
  for (const vm of list) known[vm.name] = vm.state;
  if (page && known[page.name] !== undefined) setState(page.name, known[page.name]);
  const tbody = $('#vms tbody');
  tbody.textContent = '';
  list.sort((a, b) => a.name.localeCompare(b.name));
  for (const vm of list) {
    const tr = document.createElement('tr');
    tr.id = `vm-${vm.name}`;
    const nm = cell(tr, '', 'name');
    const a = document.createElement('a');
    a.href = `#vm/${encodeURIComponent(vm.name)}`;
    a.textContent = vm.name;
    nm.appendChild(a);
    const st = cell(tr, vm.state, 'state');
    st.dataset.state = vm.state;
    cell(tr, `${vm.memory_mib} MiB`);
    cell(tr, String(vm.vcpus));
    actionButtons(cell(tr, '', 'actions'), vm.name);
    setButtons(tr, vm.state);
    tbody.appendChild(tr);
  }
  $('#empty').hidden = list.length > 0;
}

function actionButtons(el, name) {
  for (const a of ACTIONS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = a;
    b.dataset.action = a;
    b.addEventListener('click', () => act(name, a));
    el.appendChild(b);
  }
}

// ---- a VM's page (#vm/NAME) ----
let page = null;	// { name, state, tab, leave }
let known = {};		// name -> state, from the list

function showTab(id) {
  if (page.leave) { try { page.leave(); } catch (e) { console.error(e); } }
  page.leave = null;
  page.tab = id;
  document.querySelectorAll('#vmtabs button').forEach((b) => {
    b.classList.toggle('on', b.dataset.tab === id);
  });
  const body = $('#vmbody');
  body.textContent = '';
  const s = sections.find((x) => x.id === id);
  if (!s) return;
  const el = document.createElement('section');
  el.id = `tab-${id}`;
  body.appendChild(el);
  const leave = s.render(el, { name: page.name, state: page.state });
  if (typeof leave === 'function') page.leave = leave;
}

function route() {
  const m = /^#vm\/(.+)$/.exec(window.location.hash);
  if (page && page.leave) { try { page.leave(); } catch (e) { console.error(e); } }
  page = null;
  if (!m) {
    $('#vmpage').hidden = true;
    $('#app').hidden = false;
    return;
  }
  const name = decodeURIComponent(m[1]);
  page = { name, state: known[name] || '', tab: null, leave: null };
  $('#app').hidden = true;
  $('#vmpage').hidden = false;
  $('#vmname').textContent = name;
  $('#vmstate').textContent = page.state;
  $('#vmstate').dataset.state = page.state;
  const acts = $('#vmactions');
  acts.textContent = '';
  actionButtons(acts, name);
  setButtons(acts, page.state);
  const tabs = $('#vmtabs');
  tabs.textContent = '';
  for (const s of sections) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = s.title;
    b.dataset.tab = s.id;
    b.addEventListener('click', () => showTab(s.id));
    tabs.appendChild(b);
  }
  if (sections.length > 0) showTab(sections[0].id);
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
  es.addEventListener('vms', (e) => {
    const list = JSON.parse(e.data);
    render(list);
    emit('vms', list);
  });
  es.addEventListener('state', (e) => {
    const d = JSON.parse(e.data);
    setState(d.name, d.state);
    emit('state', d);
  });
  // kinds a section asked for with QL.on before the stream opened
  for (const k of Object.keys(listeners)) {
    if (k !== 'vms' && k !== 'state') {
      es.addEventListener(k, (e) => emit(k, JSON.parse(e.data)));
    }
  }
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
  $('#back').addEventListener('click', (ev) => {
    ev.preventDefault();
    window.location.hash = '';
  });
  window.addEventListener('hashchange', route);
  try {
    render(await api('GET', '/api/vms'));
  } catch (e) {
    say(`list: ${e.message}`, true);
  }
  route();
  listen();
}

init();
