// The consoles in the page: two sections of the VM page.
//   Display  the VNC console in noVNC's RFB (/vendor/novnc/, an ES
//            module loaded on first use), scaled to fit, Ctrl-Alt-Del
//   Serial   the serial console in xterm.js (/vendor/xterm/): keys to
//            the guest, its output in the terminal
// Each opening asks for a one-time ticket (POST /api/vms/NAME/console,
// the CSRF token with it) and spends it on a WebSocket to /ws/console;
// the supervisor decides, and a refusal closes the WebSocket with a code
// of 4000 + an HTTP status and the supervisor's reason, shown here.
// Leaving the tab (or the page) closes the WebSocket, which ends the
// console session.
'use strict';

(function consoles() {
  const ui = window.QLconsole = { display: null, serial: null };

  function wsURL(path) {
    return `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}${path}`;
  }

  async function ticket(vm, kind) {
    return QL.api('POST', `/api/vms/${encodeURIComponent(vm.name)}/console`, { kind });
  }

  // open at once unless the VM is known to be off (the supervisor decides)
  function live(vm) {
    return !vm.state || vm.state === 'running' || vm.state === 'paused';
  }

  // a VM that starts while its tab is shown: connect then
  function onStart(vm, active, open) {
    return QL.on('state', (d) => {
      if (d.name === vm.name && d.state === 'running' && !active()) open();
    });
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // the status line of a section
  function status(box, text, bad) {
    box.textContent = text;
    box.classList.toggle('bad', !!bad);
  }

  // what a WebSocket's close says: the supervisor's reason when refused
  function closeText(ev) {
    if (ev.code >= 4000 && ev.code < 5000) return `refused: ${ev.reason || `code ${ev.code}`}`;
    if (ev.code === 1000 || ev.code === 1001) return 'closed';
    return `closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`;
  }

  function loadOnce(id, make) {
    const have = document.getElementById(id);
    if (have) return have.loaded;
    const e = make();
    e.id = id;
    e.loaded = new Promise((resolve, reject) => {
      e.addEventListener('load', resolve);
      e.addEventListener('error', () => reject(new Error(`cannot load ${e.src || e.href}`)));
    });
    document.head.appendChild(e);
    return e.loaded;
  }

  function loadXterm() {
    return Promise.all([
      loadOnce('xterm-css', () => {
        const l = document.createElement('link');
        l.rel = 'stylesheet';
        l.href = '/vendor/xterm/xterm.css';
        return l;
      }),
      loadOnce('xterm-js', () => {
        const s = document.createElement('script');
        s.src = '/vendor/xterm/xterm.js';
        return s;
      }),
    ]);
  }

  // ---- Display ----
  QL.section({
    id: 'display',
    title: 'Display',
    render(box, vm) {
      const bar = el('div', 'conbar');
      const connect = el('button', 'con-connect', 'Connect');
      const cad = el('button', 'con-cad', 'Ctrl-Alt-Del');
      const st = el('span', 'constatus');
      const screen = el('div', 'vncscreen');
      connect.type = 'button';
      cad.type = 'button';
      cad.disabled = true;
      bar.append(connect, cad, st);
      box.append(bar, screen);
      let rfb = null;
      let ws = null;

      function stop() {
        if (rfb) { try { rfb.disconnect(); } catch (e) { /* gone */ } }
        if (ws && ws.readyState <= 1) ws.close(1000);
        rfb = null;
        ws = null;
        cad.disabled = true;
      }

      async function open() {
        stop();
        screen.textContent = '';
        status(st, 'connecting...');
        const t0 = performance.now();
        let RFB;
        try {
          RFB = (await import('/vendor/novnc/core/rfb.js')).default;
          const t = await ticket(vm, 'vnc');
          ws = new WebSocket(wsURL(t.url));
        } catch (e) {
          status(st, e.message, true);
          QL.say(`display of ${vm.name}: ${e.message}`, true);
          return;
        }
        const mine = ws;
        ui.display = { ws: mine, rfb: null, opened: t0, connected: null, closed: null };
        mine.addEventListener('close', (ev) => {
          ui.display.closed = { code: ev.code, reason: ev.reason };
          if (ws !== mine) return;
          const bad = ev.code >= 4000;
          status(st, closeText(ev), bad);
          if (bad) QL.say(`display of ${vm.name}: ${closeText(ev)}`, true);
          cad.disabled = true;
        });
        rfb = new RFB(screen, mine);
        ui.display.rfb = rfb;
        rfb.scaleViewport = true;
        rfb.focusOnClick = true;
        rfb.addEventListener('connect', () => {
          ui.display.connected = performance.now();
          status(st, 'connected');
          cad.disabled = false;
        });
        rfb.addEventListener('disconnect', () => { cad.disabled = true; });
      }

      connect.addEventListener('click', open);
      cad.addEventListener('click', () => { if (rfb) rfb.sendCtrlAltDel(); });
      if (live(vm)) open();
      else status(st, `the VM is ${vm.state || 'not running'}: start it, then Connect`);
      const off = onStart(vm, () => ws && ws.readyState <= 1, open);
      return () => { off(); stop(); };
    },
  });

  // ---- Serial ----
  QL.section({
    id: 'serial',
    title: 'Serial',
    render(box, vm) {
      const bar = el('div', 'conbar');
      const connect = el('button', 'con-connect', 'Connect');
      const st = el('span', 'constatus');
      const screen = el('div', 'serialterm');
      connect.type = 'button';
      bar.append(connect, st);
      box.append(bar, screen);
      let term = null;
      let ws = null;

      function stop() {
        if (ws && ws.readyState <= 1) ws.close(1000);
        ws = null;
      }

      async function open() {
        stop();
        status(st, 'connecting...');
        let t;
        try {
          await loadXterm();
          t = await ticket(vm, 'serial');
        } catch (e) {
          status(st, e.message, true);
          QL.say(`serial console of ${vm.name}: ${e.message}`, true);
          return;
        }
        if (!term) {
          term = new window.Terminal({ convertEol: false, scrollback: 2000, rows: 24, cols: 80 });
          term.open(screen);
          term.onData((d) => { if (ws && ws.readyState === 1) ws.send(d); });
        }
        const mine = ws = new WebSocket(wsURL(t.url));
        mine.binaryType = 'arraybuffer';
        ui.serial = { ws: mine, term, opened: performance.now(), connected: null, closed: null };
        const dec = new TextDecoder();
        mine.addEventListener('open', () => {
          ui.serial.connected = performance.now();
          status(st, 'connected');
          term.focus();
        });
        mine.addEventListener('message', (ev) => {
          term.write(typeof ev.data === 'string' ? ev.data : dec.decode(ev.data, { stream: true }));
        });
        mine.addEventListener('close', (ev) => {
          ui.serial.closed = { code: ev.code, reason: ev.reason };
          if (ws !== mine && ws !== null) return;
          status(st, closeText(ev), ev.code >= 4000);
          if (ev.code >= 4000) QL.say(`serial console of ${vm.name}: ${closeText(ev)}`, true);
        });
      }

      connect.addEventListener('click', open);
      if (live(vm)) open();
      else status(st, `the VM is ${vm.state || 'not running'}: start it, then Connect`);
      const off = onStart(vm, () => ws && ws.readyState <= 1, open);
      return () => { off(); stop(); if (term) term.dispose(); };
    },
  });
}());
