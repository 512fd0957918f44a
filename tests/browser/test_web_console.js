// The consoles in the page (console.js) in headless Chromium, driven by
// puppeteer-core; run by tests/e2e/test_web_console.sh, which starts
// qlaunchd, the web process and the VM (running, VNC, owned by user 1)
// and gives the login links.
// Each check prints "ok NAME" or "FAIL NAME: why" (and exits 1); the
// times are printed as "measure: ...".
// Environment: LINK1 LINK2 (web-login links of user 1 and 2), VM, QLAUNCH
// (the client, as root), QLAUNCH_SOCKET, ARTIFACTS, CHROMIUM.
'use strict';

const { execFileSync } = require('child_process');
const crypto = require('crypto');
const http = require('http');
const net = require('net');
const { env, ok, check, shot, run } = require('./lib');

const VM = env('VM');
const TIMEOUT = 60000;

// a command on the guest's serial console through the CLI (root)
function guest(cmd) {
  return execFileSync(env('QLAUNCH'), ['console', VM, '--quiet', '700', '--timeout', '30'],
    { input: `${cmd}\n`, encoding: 'utf8' });
}

async function login(browser, link, tag) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.setViewport({ width: 1000, height: 800 });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[${tag} console] ${m.text()}`); });
  const resp = await page.goto(link, { waitUntil: 'load' });
  check(resp.ok() && new URL(page.url()).pathname === '/', `login ${tag}`,
    `landed on ${page.url()} (${resp.status()})`);
  return { ctx, page };
}

// the VM's page; the time from the navigation to its tabs
async function vmPage(page, tag) {
  const t0 = Date.now();
  await page.goto(`${new URL(page.url()).origin}/#vm/${VM}`, { waitUntil: 'load' });
  await page.waitForSelector('#vmtabs button[data-tab="display"]');
  console.log(`measure: ${tag} page load to the VM's tabs: ${Date.now() - t0} ms`);
  await page.click('#vmtabs button[data-tab="display"]');
  return t0;
}

// the VNC canvas: its colours and its light pixels
function canvasStats(page) {
  return page.evaluate(() => {
    const c = document.querySelector('.vncscreen canvas');
    if (!c || c.width < 2 || c.height < 2) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let light = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (colours.size < 64) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i] + d[i + 1] + d[i + 2] > 300) light++;
    }
    return { w: c.width, h: c.height, colours: colours.size, light };
  });
}

// the terminal's text (xterm.js's buffer)
function termText(page) {
  return page.evaluate(() => {
    const t = window.QLconsole.serial && window.QLconsole.serial.term;
    if (!t) return '';
    const b = t.buffer.active;
    const lines = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
    return lines.join('\n');
  });
}

const statusOf = (page, tab) => page.$eval(`#tab-${tab} .constatus`, (e) => e.textContent);

// a WebSocket to url opened from inside the page: how it ended, and
// whether any console bytes came
function tryWs(page, url) {
  return page.evaluate((u) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${window.location.host}${u}`);
    let bytes = 0;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => { bytes += ev.data.byteLength || ev.data.length; };
    ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason, bytes });
    setTimeout(() => resolve({ code: -1, reason: 'timeout', bytes }), 15000);
  }), url);
}

// the first bytes a WebSocket to url brings, as text
function page1Ws(page, url) {
  return page.evaluate((u) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${window.location.host}${u}`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => { resolve(new TextDecoder().decode(ev.data)); ws.close(); };
    ws.onclose = (ev) => resolve(`closed ${ev.code} ${ev.reason}`);
    setTimeout(() => resolve('timeout'), 15000);
  }), url);
}

// a raw WebSocket opening with the session's cookie and a chosen Origin
async function rawOpen(page, url, origin) {
  const cookies = await page.cookies();
  const u = new URL(page.url());
  return new Promise((resolve, reject) => {
    const req = http.get({
      host: u.hostname,
      port: u.port,
      path: url,
      headers: {
        Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '),
        Origin: origin,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
      },
    });
    req.on('response', (r) => { r.resume(); resolve(r.statusCode); });
    req.on('upgrade', (r, sock) => { sock.destroy(); resolve(101); });
    req.on('error', reject);
  });
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

// QEMU's RFB greeting (12 bytes) from its VNC port, directly: ms
function direct(port) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const sock = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 12) {
        resolve(Number(process.hrtime.bigint() - t0) / 1e6);
        sock.destroy();
      }
    });
    sock.on('error', reject);
  });
}

// The same greeting through the page's path (ticket, WebSocket,
// console-open, the bridge) against the VNC port, alternating: medians
// and their ratio, printed
async function firstBytes(page) {
  const port = JSON.parse(execFileSync(env('QLAUNCH'), ['vncdisplay', VM, '--json'],
    { encoding: 'utf8' })).port;
  const web = [];
  const raw = [];
  const parts = [];
  for (let i = 0; i < 12; i++) {
    const w = await page.evaluate(async (vm) => {
      const t0 = performance.now();
      const t = await QL.api('POST', `/api/vms/${vm}/console`, { kind: 'vnc' });
      const t1 = performance.now();
      return new Promise((resolve) => {
        const ws = new WebSocket(`ws://${window.location.host}${t.url}`);
        let t2 = 0;
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => { t2 = performance.now(); };
        ws.onmessage = () => {
          const t3 = performance.now();
          resolve([t3 - t0, t1 - t0, t2 - t1, t3 - t2]);
          ws.close();
        };
        ws.onclose = () => resolve([-1, 0, 0, 0]);
      });
    }, VM);
    const d = await direct(port);
    if (i >= 2) { web.push(w[0]); parts.push(w); raw.push(d); }
  }
  check(web.every((v) => v > 0), 'the page\'s path brings the RFB greeting', JSON.stringify(web));
  console.log(`measure: RFB greeting through the web process (ticket + WebSocket + console-open): ` +
    `median ${median(web).toFixed(2)} ms; VNC port directly: ${median(raw).toFixed(2)} ms; ` +
    `ratio ${(median(web) / median(raw)).toFixed(1)} (10 runs each, alternating); of the web ` +
    `path: ticket POST ${median(parts.map((p) => p[1])).toFixed(2)} ms, WebSocket opening ` +
    `${median(parts.map((p) => p[2])).toFixed(2)} ms, to the first frame ` +
    `${median(parts.map((p) => p[3])).toFixed(2)} ms`);
}

async function main(browser) {
  const u1 = await login(browser, env('LINK1'), 'user 1');
  const p1 = u1.page;

  // ---- Display: the guest's screen in the canvas ----
  const t0 = await vmPage(p1, 'user 1');
  await p1.waitForFunction(() => window.QLconsole.display &&
    window.QLconsole.display.connected !== null);
  let first = null;
  for (let i = 0; i < 200 && first === null; i++) {
    const s = await canvasStats(p1);
    if (s && s.colours > 1 && s.light > 0) first = s;
    else await new Promise((r) => setTimeout(r, 50));
  }
  check(first !== null, 'the canvas shows the guest\'s screen (not one colour)',
    JSON.stringify(await canvasStats(p1)));
  console.log(`measure: VM page navigation to the first VNC frame: ${Date.now() - t0} ms` +
    ` (${first.w}x${first.h}, ${first.colours} colours)`);
  check(await p1.$eval('.con-cad', (b) => !b.disabled), 'Ctrl-Alt-Del is offered', 'disabled');
  await shot(p1, 'web-console-display.png');

  // the guest prints on its screen (tty1): many more light pixels
  const before = await canvasStats(p1);
  guest('for i in 1 2 3 4 5 6 7 8; do echo WEBCONSOLE-MARK-$i-################################################; done >/dev/tty1');
  let after = before;
  for (let i = 0; i < 200 && after.light < before.light + 3000; i++) {
    await new Promise((r) => setTimeout(r, 50));
    after = await canvasStats(p1);
  }
  check(after.light >= before.light + 3000, 'the canvas follows the guest\'s screen',
    `light pixels ${before.light} -> ${after.light}`);
  await shot(p1, 'web-console-display-printed.png');

  await firstBytes(p1);

  // ---- Serial: a command typed into xterm.js runs in the guest ----
  await p1.click('#vmtabs button[data-tab="serial"]');
  const ts = Date.now();
  await p1.waitForFunction(() => window.QLconsole.serial &&
    window.QLconsole.serial.connected !== null);
  console.log(`measure: Serial tab to the WebSocket open: ${Date.now() - ts} ms`);
  check(await p1.evaluate(() => window.QLconsole.display.closed !== null),
    'leaving Display closed its WebSocket', 'still open');
  await p1.click('.serialterm');
  await p1.keyboard.type('echo $((6*7))\n');
  await p1.waitForFunction(() => {
    const t = window.QLconsole.serial.term.buffer.active;
    for (let i = 0; i < t.length; i++) if (t.getLine(i).translateToString(true).trim() === '42') return true;
    return false;
  }).catch(() => null);
  const text = await termText(p1);
  check(/^42\s*$/m.test(text), 'echo $((6*7)) shows 42 in the terminal', JSON.stringify(text.slice(-300)));
  await shot(p1, 'web-console-serial.png');

  // a second serial session (user 1's other tab): refused by the supervisor
  const p1b = await u1.ctx.newPage();
  p1b.setDefaultTimeout(TIMEOUT);
  await p1b.setViewport({ width: 1000, height: 800 });
  await p1b.goto(p1.url(), { waitUntil: 'load' });
  await p1b.waitForSelector('#vmtabs button[data-tab="serial"]');
  await p1b.click('#vmtabs button[data-tab="serial"]');
  await p1b.waitForFunction(() => window.QLconsole.serial && window.QLconsole.serial.closed !== null);
  const second = await p1b.evaluate(() => window.QLconsole.serial.closed);
  check(second.code === 4409 && /in use by another client/.test(second.reason),
    'a second serial session is refused', JSON.stringify(second));
  check(/refused: .*in use/.test(await statusOf(p1b, 'serial')), 'the page says it is in use',
    await statusOf(p1b, 'serial'));
  await shot(p1b, 'web-console-serial-busy.png');

  // ---- user 2: a copied ticket, a copied URL ----
  const u2 = await login(browser, env('LINK2'), 'user 2');
  const p2 = u2.page;
  const t1 = await p1b.evaluate((vm) => QL.api('POST', `/api/vms/${vm}/console`, { kind: 'vnc' }), VM);
  check(typeof t1.url === 'string' && t1.url.startsWith('/ws/console?'), 'a ticket for user 1',
    JSON.stringify(t1));
  const stolen = await tryWs(p2, t1.url);
  check(stolen.code === 4403 && /another user/.test(stolen.reason) && stolen.bytes === 0,
    'user 1\'s ticket in user 2\'s session: refused, nothing opens', JSON.stringify(stolen));
  // user 1 spends it (QEMU's VNC greeting comes), then it is no more
  const own = await page1Ws(p1b, t1.url);
  check(/^RFB 003\.00[0-9]/.test(own), 'user 1 opens the VNC console with it', JSON.stringify(own));
  const reused = await tryWs(p1b, t1.url);
  check(reused.code >= 4000 && /no such console ticket/.test(reused.reason) && reused.bytes === 0,
    'a ticket used once is refused', JSON.stringify(reused));
  await vmPage(p2, 'user 2');
  await p2.waitForFunction(() => /belongs to another user/.test(
    (document.querySelector('#tab-display .constatus') || {}).textContent || ''));
  check(await p2.evaluate(() => window.QLconsole.display === null), 'user 2\'s copied URL opens nothing',
    'a WebSocket was made');
  await shot(p2, 'web-console-user2.png');

  // the Origin must be the page's
  const t2 = await p1b.evaluate((vm) => QL.api('POST', `/api/vms/${vm}/console`, { kind: 'vnc' }), VM);
  check(await rawOpen(p1b, t2.url, 'http://evil.example') === 403, 'another Origin: 403', 'not 403');
  const origin = new URL(p1b.url()).origin;
  check(await rawOpen(p1b, t2.url, origin) === 101, 'the page\'s Origin: 101', 'not 101');

  // ---- closing the tab ends the session: a new one opens ----
  await p1.close();
  const tc = Date.now();
  for (let i = 0; i < 40; i++) {
    await p1b.click('#tab-serial .con-connect');
    await p1b.waitForFunction(() => window.QLconsole.serial.connected !== null ||
      window.QLconsole.serial.closed !== null, { timeout: 20000 }).catch(() => null);
    await new Promise((r) => setTimeout(r, 250));
    if (await p1b.evaluate(() => window.QLconsole.serial.ws.readyState === 1)) break;
  }
  console.log(`measure: tab closed to a new serial session: ${Date.now() - tc} ms`);
  check(await p1b.evaluate(() => window.QLconsole.serial.ws.readyState === 1),
    'after the tab closed a new serial session opens',
    JSON.stringify(await p1b.evaluate(() => window.QLconsole.serial.closed)));
  await p1b.click('.serialterm');
  await p1b.keyboard.type('echo again-$((7*6))\n');
  await p1b.waitForFunction(() => {
    const t = window.QLconsole.serial.term.buffer.active;
    for (let i = 0; i < t.length; i++) if (/^again-42\s*$/.test(t.getLine(i).translateToString(true))) return true;
    return false;
  }).catch(() => null);
  check(/^again-42\s*$/m.test(await termText(p1b)), 'and it runs commands', (await termText(p1b)).slice(-200));

  // the VM stops: the console closes; it starts again: the tab reconnects
  await p1b.evaluate(() => { window.qltOld = window.QLconsole.serial.ws; });
  execFileSync(env('QLAUNCH'), ['destroy', VM]);
  await p1b.waitForFunction(() => window.qltOld.readyState === 3);
  ok('destroy closes the serial console');
  execFileSync(env('QLAUNCH'), ['start', VM]);
  await p1b.waitForFunction(() => window.QLconsole.serial.ws !== window.qltOld &&
    window.QLconsole.serial.ws.readyState === 1, { timeout: 30000 }).catch(() => null);
  check(await p1b.evaluate(() => window.QLconsole.serial.ws !== window.qltOld &&
    window.QLconsole.serial.ws.readyState === 1), 'a start reconnects the shown tab',
    await statusOf(p1b, 'serial'));
  await p1b.close();
  await p2.close();
}

run(async (browser) => {
  await main(browser);
});
