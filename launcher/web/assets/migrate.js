// The VM page's "Migrate" section: live migration to another qlaunchd.
// POST /api/migrate/NAME starts it in the supervisor (on behalf of the
// user: the supervisor decides whether they may) and answers at once;
// its progress and its end come as 'migration' server-sent events, so a
// page opened during a migration picks it up (and asks
// GET /api/migrate/NAME once for where it is).  Cancel is
// POST /api/migrate-cancel/NAME.
'use strict';

(() => {
  const last = {};	// VM name -> its latest 'migration' event
  const shown = new Set();	// update functions of the open tabs

  QL.on('migration', (d) => {
    last[d.name] = d;
    for (const fn of shown) fn(d);
  });

  const ACTIVE = ['setup', 'active', 'pre-switchover', 'device', 'postcopy-active',
    'postcopy-paused', 'postcopy-recover', 'wait-unplug'];
  const mib = (b) => (b / 1048576).toFixed(1);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) e.appendChild(k);
    return e;
  }

  function field(label, input) {
    return el('label', {}, document.createTextNode(`${label} `), input);
  }

  function render(sec, vm) {
    const dest = el('input', { id: 'mig-dest', placeholder: 'unix:/run/qlaunch/other.sock', size: 40 });
    const bw = el('input', { id: 'mig-bw', type: 'number', min: 1, placeholder: 'unlimited' });
    const multifd = el('input', { id: 'mig-multifd', type: 'number', min: 1, max: 255, placeholder: 'off' });
    const postcopy = el('input', { id: 'mig-postcopy', type: 'checkbox' });
    const keep = el('input', { id: 'mig-keep', type: 'checkbox' });
    const start = el('button', { id: 'mig-start', type: 'submit', text: 'Start' });
    const cancel = el('button', { id: 'mig-cancel', type: 'button', text: 'Cancel' });
    const bar = el('progress', { id: 'mig-bar', max: 100, value: 0 });
    const status = el('p', { id: 'mig-status' });
    const summary = el('dl', { id: 'mig-summary', hidden: '' });
    const form = el('form', { id: 'mig-form', class: 'mig' },
      el('h3', { text: 'Live migration' }),
      field('Destination', dest),
      el('p', { class: 'hint', text: 'The other qlaunchd\'s control socket, as for qlaunch migrate: unix:PATH.' }),
      field('Bandwidth (MiB/s)', bw),
      field('Multifd channels', multifd),
      field('Postcopy (switch over early; pages follow on demand)', postcopy),
      field('Keep the source\'s definition, shut off', keep),
      el('div', { class: 'actions' }, start, cancel));
    sec.appendChild(form);
    sec.appendChild(el('div', { class: 'mig-progress' }, bar, status));
    sec.appendChild(summary);
    let count = 0;

    function busy(on) {
      start.disabled = on;
      cancel.disabled = !on;
    }

    function showSummary(d) {
      const s = d.summary || {};
      const g = s.summary && s.summary.guest_downtime_ms;
      const rows = [
        ['Total time', `${s.time_elapsed_ms} ms`, 'total-ms', s.time_elapsed_ms],
        ['Downtime (QEMU)', `${s.downtime_ms} ms`, 'downtime-ms', s.downtime_ms],
      ];
      if (typeof g === 'number') rows.push(['Downtime (guest)', `${g.toFixed(1)} ms`, 'guest-ms', g]);
      rows.push(['Transferred', `${mib(s.data_processed || 0)} MiB`, 'bytes', s.data_processed]);
      rows.push(['Passes', String(s.passes), 'passes', s.passes]);
      rows.push(['Destination', s.destination || '', 'dest', s.destination]);
      summary.textContent = '';
      for (const [k, v, key, raw] of rows) {
        summary.appendChild(el('dt', { text: k }));
        summary.appendChild(el('dd', { text: v }));
        summary.dataset[key.replace(/-([a-z])/g, (m, c) => c.toUpperCase())] = raw;
      }
      summary.hidden = false;
    }

    function update(d) {
      if (d.name !== vm.name) return;
      if (d.status === 'completed') {
        bar.value = 100;
        status.textContent = `Migrated to ${(d.summary && d.summary.destination) || 'the destination'}.`;
        status.className = '';
        showSummary(d);
        busy(false);
      } else if (d.status === 'failed' || d.status === 'cancelled') {
        status.textContent = `Migration failed: ${d.error || d.status}`;
        status.className = 'bad';
        busy(false);
      } else {
        count += 1;
        sec.dataset.progressSeen = count;
        bar.value = d.percent || 0;
        status.className = '';
        status.textContent = `${d.status}: ${mib(d.transferred)} MiB sent, ${mib(d.remaining)} MiB left, `
          + `${(d.mibps || 0).toFixed(1)} MiB/s, pass ${d.pass}`;
        summary.hidden = true;
        busy(true);
      }
    }
    shown.add(update);
    busy(false);
    if (last[vm.name]) update(last[vm.name]);
    else {
      // opened during a migration: where is it?
      QL.api('GET', `/api/migrate/${encodeURIComponent(vm.name)}`).then((i) => {
        if (ACTIVE.includes(i.status) && !last[vm.name]) {
          update({ name: vm.name, status: i.status, transferred: i.data_processed || 0,
            remaining: i.data_remaining || 0,
            percent: i.data_total ? 100 * (i.data_total - (i.data_remaining || 0)) / i.data_total : 0,
            mibps: (i.mbps || 0) * 1e6 / 8 / 1048576, pass: i.passes || 0 });
        }
      }).catch(() => {});
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = { dest: dest.value.trim() };
      if (bw.value !== '') body.bandwidth = bw.value;
      if (multifd.value !== '') body.multifd = multifd.value;
      if (postcopy.checked) body.postcopy = true;
      if (keep.checked) body.keep_source = true;
      summary.hidden = true;
      bar.value = 0;
      status.className = '';
      status.textContent = 'Starting...';
      busy(true);
      try {
        await QL.api('POST', `/api/migrate/${encodeURIComponent(vm.name)}`, body);
        QL.say(`migrate ${vm.name}: started`);
      } catch (e) {
        status.textContent = `Migration failed: ${e.message}`;
        status.className = 'bad';
        busy(false);
      }
    });
    cancel.addEventListener('click', async () => {
      try {
        await QL.api('POST', `/api/migrate-cancel/${encodeURIComponent(vm.name)}`);
        QL.say(`migrate ${vm.name}: cancelled`);
      } catch (e) {
        QL.say(`migrate-cancel ${vm.name}: ${e.message}`, true);
      }
    });
    return () => shown.delete(update);
  }

  QL.section({ id: 'migrate', title: 'Migrate', render });
})();
