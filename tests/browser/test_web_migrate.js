// The web page's Graphs and Migrate sections in headless Chromium, run by
// tests/e2e/test_web_migrate.sh (two supervisors, A and B at BSOCK; the
// web process talks to A; the user's VM runs on A with a counter).
//   graphs: after some seconds the CPU graph has points, and its figures
//     agree roughly with qlaunch domstats
//   cancel: a slow migration (--bandwidth 1) shows progress, a second
//     page opened meanwhile picks it up; Cancel: the VM runs on at A
//   another user: migrate and graphs refused by the supervisor, the page told why
//   migrate: progress seen before the end, then the summary (total time,
//     downtime), printed as "summary total_ms=N downtime_ms=N" for the
//     shell to hold against the supervisor's reply
// Each check prints "ok NAME" or "FAIL NAME: why" (and exits 1).
// Environment: LINK1 LINK2 (web-login links of the owner and another user), VM, QLAUNCH, QLAUNCH_SOCKET (A),
// BSOCK (B), ARTIFACTS, CHROMIUM.
'use strict';

const { execFileSync } = require('child_process');
const { env, ok, check, shot, run } = require('./lib');

const VM = env('VM');
const BSOCK = env('BSOCK');
const TIMEOUT = 120000;

function cli(args, sock) {
  const e = { ...process.env };
  if (sock) e.QLAUNCH_SOCKET = sock;
  return execFileSync(env('QLAUNCH'), args, { encoding: 'utf8', env: e });
}
function listed(sock) {
  return JSON.parse(cli(['list', '--all', '--json'], sock)).some((v) => v.name === VM);
}

async function openTab(page, tab) {
  await page.waitForSelector(`#vmtabs button[data-tab="${tab}"]`);
  await page.click(`#vmtabs button[data-tab="${tab}"]`);
  await page.waitForSelector(`#tab-${tab}`);
}

async function graphs(page) {
  await openTab(page, 'graphs');
  const t0 = Date.now();
  await page.waitForFunction(() => {
    const s = document.querySelector('#graph-cpu svg');
    return s && Number(s.dataset.points) >= 6;
  }, { timeout: 60000 });
  console.log(`measure: graphs tab opened to 6 CPU points: ${Date.now() - t0} ms`);
  ok('the CPU graph has points');
  const g = await page.evaluate(() => {
    const out = {};
    for (const k of ['cpu', 'mem', 'disk', 'net']) {
      const s = document.querySelector(`#graph-${k} svg`);
      out[k] = { points: Number(s.dataset.points), last: s.dataset.last,
        lines: s.querySelectorAll('polyline').length };
    }
    return out;
  });
  check(g.cpu.lines === 1 && g.mem.points >= 6, 'CPU and memory drawn as SVG', JSON.stringify(g));
  // the CLI's view (the supervisor's own poller), a few samples
  const lines = cli(['domstats', VM, '--watch', '--iterations', '3', '--json']).trim().split('\n');
  const cliCpu = lines.map((l) => JSON.parse(l).vms[0]).filter((v) => v && v.rates)
    .map((v) => v.rates.cpu_pct);
  const cliMem = JSON.parse(lines[lines.length - 1]).vms[0].balloon;
  const pageCpu = Number(g.cpu.last);
  const avg = cliCpu.reduce((a, b) => a + b, 0) / Math.max(1, cliCpu.length);
  console.log(`measure: CPU on the page ${pageCpu} %, domstats ${cliCpu.join(' ')} %`);
  check(cliCpu.length > 0 && Math.abs(pageCpu - avg) <= 15 + 0.5 * Math.max(pageCpu, avg),
    'the CPU graph agrees with domstats', `page ${pageCpu}, domstats ${cliCpu}`);
  // memory: what the guest uses when its balloon reports it, else the balloon's size
  const gs = (cliMem && cliMem.guest) || {};
  const avail = gs['stat-available-memory'] !== undefined ? gs['stat-available-memory'] : gs['stat-free-memory'];
  const want = typeof gs['stat-total-memory'] === 'number' && typeof avail === 'number'
    ? (gs['stat-total-memory'] - avail) / 1048576 : cliMem && cliMem.current_mib;
  console.log(`measure: memory on the page ${Number(g.mem.last).toFixed(1)} MiB, domstats ${Number(want).toFixed(1)} MiB`);
  check(typeof want === 'number' && Math.abs(Number(g.mem.last) - want) <= 0.1 * want + 8,
    'the memory graph agrees with domstats', `page ${g.mem.last}, domstats ${want}`);
  await shot(page, 'web-graphs.png');
}

async function startMigration(page, bandwidth) {
  await openTab(page, 'migrate');
  await page.$eval('#mig-dest', (i) => { i.value = ''; });
  await page.type('#mig-dest', `unix:${BSOCK}`);
  await page.$eval('#mig-bw', (i, v) => { i.value = v; }, String(bandwidth));
  await page.click('#mig-start');
}

const seen = (page) => page.$eval('#tab-migrate', (s) => Number(s.dataset.progressSeen || 0));

async function cancel(browser, page) {
  // a bad destination first: one line, nothing sent
  await openTab(page, 'migrate');
  await page.type('#mig-dest', 'ssh://nowhere');
  await page.click('#mig-start');
  await page.waitForFunction(() => /failed/.test(document.querySelector('#mig-status').textContent));
  const bad = await page.$eval('#mig-status', (p) => p.textContent);
  check(/need the command line/.test(bad) && !bad.includes('\n'), 'ssh:// from the page: one line', bad);

  await startMigration(page, 1);
  await page.waitForFunction(() => Number(document.querySelector('#tab-migrate').dataset.progressSeen || 0) >= 2,
    { timeout: TIMEOUT });
  ok('the slow migration shows progress');
  const bar = await page.$eval('#mig-bar', (b) => b.value);
  const text = await page.$eval('#mig-status', (p) => p.textContent);
  check(/MiB sent/.test(text), 'progress text', text);
  console.log(`progress: ${text} (bar ${bar.toFixed(1)} %)`);
  // a page opened now picks the migration up
  const p2 = await page.browserContext().newPage();
  await p2.setViewport({ width: 1000, height: 800 });
  await p2.goto(page.url().replace(/#.*/, ''), { waitUntil: 'load' });
  await p2.goto(`${page.url().replace(/#.*/, '')}#vm/${VM}`, { waitUntil: 'load' });
  await openTab(p2, 'migrate');
  await p2.waitForFunction(() => /MiB sent/.test(document.querySelector('#mig-status').textContent),
    { timeout: 30000 });
  ok('a page opened during the migration shows its progress');
  await shot(p2, 'web-migrate-progress.png');
  await p2.close();
  await page.click('#mig-cancel');
  await page.waitForFunction(() => /failed/.test(document.querySelector('#mig-status').textContent),
    { timeout: 60000 });
  const end = await page.$eval('#mig-status', (p) => p.textContent);
  check(/cancelled by the user/.test(end), 'the page says cancelled', end);
  check(cli(['state', VM]).trim() === 'running', 'cancelled: the VM runs on at A', cli(['state', VM]));
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) {
    gone = !listed(BSOCK);
    if (!gone) await new Promise((r) => setTimeout(r, 200));
  }
  check(gone, 'cancelled: nothing on B', cli(['list', '--all'], BSOCK));
  await shot(page, 'web-migrate-cancelled.png');
}

// another user: the supervisor refuses, the page hears why, nothing moves
async function otherUser(browser) {
  const ctx = await browser.createBrowserContext();
  const p = await ctx.newPage();
  p.setDefaultTimeout(TIMEOUT);
  const resp = await p.goto(env('LINK2'), { waitUntil: 'load' });
  check(resp.ok(), 'login user 2', `status ${resp.status()}`);
  await p.waitForFunction(() => document.querySelector('#live.on') !== null);
  await p.evaluate(() => { QL.on('migration', (d) => { window.qltGot = d; }); });
  const st = await p.evaluate(async (vm, dest) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch(`/api/migrate/${vm}`, { method: 'POST',
      headers: { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ dest: `unix:${dest}` }) });
    return r.status;
  }, VM, BSOCK);
  check(st === 202, 'user 2\'s migrate is passed on', `status ${st}`);
  await p.waitForFunction(() => window.qltGot && window.qltGot.status === 'failed', { timeout: 30000 });
  const got = await p.evaluate(() => window.qltGot);
  check(/another user/.test(got.error), 'the supervisor refuses user 2, one line', JSON.stringify(got));
  // nor may user 2 see the VM's graphs: the stream says why and ends
  const stats = await p.evaluate(async (vm) => (await fetch(`/api/stats/${vm}`)).text(), VM);
  check(/^event: failed$/m.test(stats) && /another user/.test(stats) && !/event: stats/.test(stats),
    'user 2 gets no graphs of the VM', stats);
  check(cli(['state', VM]).trim() === 'running' && !listed(BSOCK), 'user 2\'s refusal moved nothing',
    cli(['state', VM]));
  await ctx.close();
}

async function migrate(page) {
  await startMigration(page, 16);
  await page.waitForFunction(() => !document.querySelector('#mig-summary').hidden
    || /failed/.test(document.querySelector('#mig-status').textContent), { timeout: TIMEOUT });
  const status = await page.$eval('#mig-status', (p) => p.textContent);
  check(!/failed/.test(status), 'the migration completed', status);
  const n = await seen(page);
  check(n >= 2, 'progress seen before the end', `${n} progress updates`);
  const sum = await page.$eval('#mig-summary', (d) => ({ ...d.dataset, text: d.textContent }));
  check(/Total time/.test(sum.text) && /Downtime \(QEMU\)/.test(sum.text) &&
    Number(sum.totalMs) > 0 && sum.downtimeMs !== undefined, 'the summary shows total time and downtime',
  JSON.stringify(sum));
  console.log(`measure: migration from the page: ${sum.totalMs} ms, downtime ${sum.downtimeMs} ms, `
    + `${sum.bytes} bytes, ${n} progress updates on the page`);
  check(/Downtime \(guest\)/.test(sum.text) && Number(sum.guestMs) > 0,
    'the summary shows the guest-visible downtime', JSON.stringify(sum));
  console.log(`measure: guest-visible downtime ${Number(sum.guestMs).toFixed(1)} ms`);
  console.log(`summary total_ms=${sum.totalMs} downtime_ms=${sum.downtimeMs} guest_ms=${Number(sum.guestMs).toFixed(1)}`);
  check(cli(['state', VM], BSOCK).trim() === 'running', 'the VM runs on B', cli(['state', VM], BSOCK));
  await shot(page, 'web-migrate-summary.png');
}

run(async (browser) => {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.setViewport({ width: 1000, height: 800 });
  const t0 = Date.now();
  const resp = await page.goto(env('LINK1'), { waitUntil: 'load' });
  check(resp.ok(), 'login', `status ${resp.status()}`);
  await page.waitForSelector(`#vm-${VM}`);
  console.log(`measure: login link to the listed VM: ${Date.now() - t0} ms`);
  await page.waitForFunction(() => document.querySelector('#live.on') !== null);
  // in the page, found and clicked at once: the live list redraws its
  // rows, and a handle taken before a redraw is detached by the click
  await page.$eval(`#vm-${VM} .name a`, (a) => a.click());
  await page.waitForSelector('#vmtabs button[data-tab="migrate"]');
  await graphs(page);
  await cancel(browser, page);
  await otherUser(browser);
  await migrate(page);
});
