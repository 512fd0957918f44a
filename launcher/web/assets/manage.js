// The VM page's management sections: Snapshots, Disks, NICs, Memory and
// CPUs.  Each reads and changes the VM through /api/manage/NAME/WHAT
// (launcher/web/webmanage.c), which asks the supervisor on behalf of the
// session's user, as the CLI's snapshot-*, attach-/detach-disk,
// change-media, attach-/detach-interface, setmem and setvcpus do with
// their default scope (the VM's current state).  While a change is in
// flight its section is busy (its controls disabled, what it does and
// for how long shown) and the rest of the page goes on.
'use strict';

(() => {
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('data-')) e.dataset[k.slice(5)] = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k) e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
    return e;
  };
  const url = (vm, what) => `/api/manage/${encodeURIComponent(vm.name)}/${what}`;
  const get = (vm, what) => QL.api('GET', url(vm, what));

  // A section's frame: a busy line, a place for its content, and
  // change(label, what, body) that POSTs with the section busy, then
  // redraws it.
  function frame(root, vm, draw) {
    const busy = el('p', { class: 'busy', role: 'status', hidden: '' });
    const body = el('div', { class: 'manage-body' });
    root.classList.add('manage');
    root.append(busy, body);
    let gone = false;
    const redraw = async () => {
      try {
        await draw(body, change);
      } catch (e) {
        body.textContent = '';
        body.appendChild(el('p', { class: 'bad', text: e.message }));
      }
    };
    async function change(label, what, data) {
      root.classList.add('is-busy');
      root.querySelectorAll('button, input, select').forEach((b) => { b.disabled = true; });
      const t0 = Date.now();
      busy.hidden = false;
      busy.textContent = `${label}...`;
      const tick = setInterval(() => {
        busy.textContent = `${label}... ${Math.round((Date.now() - t0) / 1000)} s`;
      }, 1000);
      let ok = true;
      try {
        await QL.api('POST', url(vm, what), data);
        QL.say(`${label}: done`);
      } catch (e) {
        ok = false;
        QL.say(`${label}: ${e.message}`, true);
      } finally {
        clearInterval(tick);
        busy.hidden = true;
        root.classList.remove('is-busy');
      }
      if (!gone) await redraw();
      return ok;
    }
    redraw();
    // a state change (started, stopped) redraws what it shows
    const off = QL.on('state', (d) => {
      if (d.name === vm.name && !root.classList.contains('is-busy')) redraw();
    });
    return () => { gone = true; off(); };
  }

  function table(heads, rows) {
    const t = el('table', { class: 'manage-table' });
    const tr = el('tr');
    for (const h of heads) tr.appendChild(el('th', { text: h }));
    t.appendChild(el('thead', null, tr));
    const tb = el('tbody');
    for (const r of rows) tb.appendChild(r);
    t.appendChild(tb);
    return t;
  }

  function row(cells, attrs) {
    const tr = el('tr', attrs);
    for (const c of cells) {
      const td = el('td');
      if (c instanceof Node) td.appendChild(c); else td.textContent = c == null ? '-' : String(c);
      tr.appendChild(td);
    }
    return tr;
  }

  function button(text, action, fn) {
    const b = el('button', { type: 'button', 'data-action': action, text });
    b.addEventListener('click', fn);
    return b;
  }

  function form(id, fields, submit, onSubmit) {
    const f = el('form', { id, class: 'manage-form' });
    for (const [label, input] of fields) f.appendChild(el('label', null, `${label} `, input));
    f.appendChild(el('button', { type: 'submit', text: submit }));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const data = {};
      new FormData(f).forEach((v, k) => { if (v !== '') data[k] = v; });
      onSubmit(data);
    });
    return f;
  }

  const when = (t) => (t ? new Date(t * 1000).toLocaleString() : '-');

  // ---- Snapshots ----
  QL.section({
    id: 'snapshots',
    title: 'Snapshots',
    render(root, vm) {
      return frame(root, vm, async (body, change) => {
        const list = await get(vm, 'snapshots');
        body.textContent = '';
        const rows = list.map((s) => row([
          s.name + (s.current ? ' (current)' : ''), when(s.creationTime), s.state,
          s.description || '',
          el('span', { class: 'actions' },
            button('Revert', 'revert', () => {
              if (window.confirm(`Revert ${vm.name} to snapshot ${s.name}? What changed since is lost.`)) {
                change(`Reverting to snapshot ${s.name}`, 'snapshot-revert', { snapshot: s.name });
              }
            }),
            button('Delete', 'delete', () => {
              if (window.confirm(`Delete snapshot ${s.name}?`)) {
                change(`Deleting snapshot ${s.name}`, 'snapshot-delete', { snapshot: s.name });
              }
            })),
        ], { 'data-snapshot': s.name }));
        body.appendChild(list.length ? table(['Name', 'Created', 'VM state', 'Description', ''], rows)
          : el('p', { class: 'none', text: 'No snapshots.' }));
        body.appendChild(form('snap-create', [
          ['Name', el('input', { name: 'snapshot', required: '', maxlength: '64' })],
          ['Description', el('input', { name: 'description', maxlength: '256' })],
        ], 'Create snapshot', (d) => change(`Creating snapshot ${d.snapshot}`, 'snapshot-create', d)));
      });
    },
  });

  // ---- Disks ----
  QL.section({
    id: 'disks',
    title: 'Disks',
    render(root, vm) {
      return frame(root, vm, async (body, change) => {
        const list = await get(vm, 'disks');
        body.textContent = '';
        const rows = list.map((d) => {
          const acts = el('span', { class: 'actions' });
          if (d.device === 'cdrom') {
            const src = el('input', { name: 'source', placeholder: '/path/to/media.iso', 'aria-label': 'new media' });
            acts.append(src,
              button('Change media', 'change-media', () => {
                if (src.value) change(`Changing the media of ${d.target}`, 'change-media', { target: d.target, source: src.value });
              }),
              button('Eject', 'eject', () => change(`Ejecting ${d.target}`, 'change-media', { target: d.target })));
          } else {
            acts.appendChild(button('Detach', 'detach', () => {
              if (window.confirm(`Detach disk ${d.target} from ${vm.name}?`)) {
                change(`Detaching ${d.target}`, 'detach-disk', { target: d.target });
              }
            }));
          }
          return row([d.target, d.device, d.bus, d.format, d.source || '(empty)', acts],
            { 'data-target': d.target });
        });
        body.appendChild(table(['Target', 'Device', 'Bus', 'Format', 'Source', ''], rows));
        body.appendChild(form('disk-attach', [
          ['New qcow2 disk, GiB', el('input', { name: 'size_gib', type: 'number', min: '1', value: '1', required: '' })],
          ['Target', el('input', { name: 'target', placeholder: 'next free (vdb, ...)' })],
        ], 'Attach disk', (d) => change(`Attaching a ${d.size_gib} GiB disk`, 'attach-disk', d)));
      });
    },
  });

  // ---- NICs ----
  QL.section({
    id: 'nics',
    title: 'NICs',
    render(root, vm) {
      return frame(root, vm, async (body, change) => {
        const list = await get(vm, 'nics');
        body.textContent = '';
        const rows = list.map((n) => row([
          n.mac, n.type, n.source || '-', n.model, n.interface || '-',
          button('Detach', 'detach', () => {
            if (window.confirm(`Detach the NIC ${n.mac} from ${vm.name}?`)) {
              change(`Detaching NIC ${n.mac}`, 'detach-interface', { type: n.type, mac: n.mac });
            }
          }),
        ], { 'data-mac': n.mac }));
        body.appendChild(list.length ? table(['MAC', 'Type', 'Network or bridge', 'Model', 'Host interface', ''], rows)
          : el('p', { class: 'none', text: 'No NICs.' }));
        const type = el('select', { name: 'type' },
          el('option', { value: 'network', text: 'network' }),
          el('option', { value: 'bridge', text: 'bridge' }),
          el('option', { value: 'user', text: 'user (no source)' }));
        const model = el('select', { name: 'model' },
          ...['virtio', 'e1000', 'e1000e', 'rtl8139'].map((m) => el('option', { value: m, text: m })));
        body.appendChild(form('nic-attach', [
          ['Type', type],
          ['Network or bridge', el('input', { name: 'source', placeholder: 'default' })],
          ['Model', model],
          ['MAC', el('input', { name: 'mac', placeholder: 'generated' })],
        ], 'Attach NIC', (d) => change(`Attaching a NIC to ${d.source || d.type}`, 'attach-interface', d)));
      });
    },
  });

  // ---- Memory and CPUs ----
  QL.section({
    id: 'resources',
    title: 'Memory and CPUs',
    render(root, vm) {
      return frame(root, vm, async (body, change) => {
        const info = await get(vm, 'info');
        let stat = null;
        if (info.pid) {
          try { stat = await get(vm, 'memstat'); } catch (e) { stat = null; }
        }
        body.textContent = '';
        const balloon = stat && stat.actual_kib ? Math.round(stat.actual_kib / 1024)
          : (info.balloon_mib || null);
        const dl = el('dl', { class: 'manage-facts' },
          el('dt', { text: 'Memory' }), el('dd', { id: 'mem-total', text: `${info.memory_mib} MiB` }),
          el('dt', { text: 'Balloon (current)' }),
          el('dd', { id: 'mem-current', text: balloon != null ? `${balloon} MiB` : '-' }),
          el('dt', { text: 'vCPUs' }), el('dd', { id: 'vcpus-current', text: String(info.vcpus) }),
          el('dt', { text: 'Maximum vCPUs' }), el('dd', { id: 'vcpus-max', text: String(info.maxvcpus) }));
        body.appendChild(dl);
        body.appendChild(form('setmem', [
          ['Memory, MiB', el('input', {
            name: 'size_mib', type: 'number', min: '16', max: String(info.memory_mib),
            value: String(balloon || info.memory_mib), required: '',
          })],
        ], 'Set memory', (d) => change(`Setting the memory to ${d.size_mib} MiB`, 'setmem', d)));
        body.appendChild(form('setvcpus', [
          ['vCPUs', el('input', {
            name: 'count', type: 'number', min: '1', max: String(info.maxvcpus),
            value: String(info.vcpus), required: '',
          })],
        ], 'Set vCPUs', (d) => change(`Setting ${d.count} vCPUs`, 'setvcpus', d)));
      });
    },
  });
})();
