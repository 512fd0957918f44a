// The VM page's management sections in headless Chromium (Debian's
// chromium, puppeteer-core); run by tests/e2e/test_web_manage.sh, which
// starts qlaunchd, the web process and the VM, and gives the login links.
// What the page does is checked where it happens: in the guest, through
// its serial console (qlaunch console), and with the CLI.
// Each check prints "ok NAME" or "FAIL NAME: why" (and exits 1); timings
// are printed as "measure: ...".
// Environment: LINK1 (the VM owner's web-login link), LINK2 (another
// user's), LINKROOT (root's), VM, MEDIA (a raw image for its CD-ROM
// drive), QLAUNCH, QLAUNCH_SOCKET, ARTIFACTS, CHROMIUM (default
// /usr/bin/chromium).
'use strict';

const { execFileSync } = require('child_process');
const { env, ok, check, shot, run } = require('./lib');

const VM = env('VM');
const TIMEOUT = 60000;
const LONG = 240000;	// a running TCG guest's snapshot on a loaded host

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

// ---- the CLI and the guest (as root: the supervisor's own view) ----
function cli(args, input) {
  return execFileSync(env('QLAUNCH'), args, { encoding: 'utf8', input });
}
// a command in the guest through its console (lib.sh's gx)
function gx(cmd) {
  try {
    return cli(['console', VM, '--quiet', '700', '--timeout', '30'], `${cmd}\n`).replace(/\r/g, '');
  } catch (e) {
    return '';
  }
}
// the value the guest prints for cmd (lib.sh's gval): asked up to 5 times
async function gval(cmd) {
  for (let i = 0; i < 5; i++) {
    const m = /^VAL=(.*)$/m.exec(gx(`echo VAL=$(${cmd})`));
    if (m && m[1] !== '') return m[1];
    await sleep(500);
  }
  return '';
}
async function waitGval(cmd, want, secs) {
  let got = '';
  for (let i = 0; i < (secs || 30); i++) {
    got = await gval(cmd);
    if (got === want) return got;
    await sleep(1000);
  }
  return got;
}
async function until(fn, secs) {
  let v;
  for (let i = 0; i < secs * 2; i++) {
    v = fn();
    if (v) return v;
    await sleep(500);
  }
  return v;
}

// ---- the page ----
async function login(browser, link, who) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.setViewport({ width: 1000, height: 700 });
  page.on('dialog', (d) => d.accept());
  const resp = await page.goto(link, { waitUntil: 'load' });
  check(resp.ok() && new URL(page.url()).pathname === '/', `login ${who}`,
    `landed on ${page.url()} (${resp.status()})`);
  await page.waitForSelector('#app:not([hidden])');
  return page;
}

async function openVm(page) {
  await page.evaluate((vm) => { window.location.hash = `#vm/${vm}`; }, VM);
  await page.waitForSelector('#vmtabs button[data-tab="snapshots"]');
}

// the section's tab shown and drawn (its form there)
async function tab(page, id, formId) {
  await page.click(`#vmtabs button[data-tab="${id}"]`);
  await page.waitForSelector(`#tab-${id} #${formId}`);
}

// Submit or click something that changes the VM: the section goes busy
// (seen by an observer set up before), then idle; the status line's text.
async function change(page, id, doIt, timeout) {
  await page.evaluate((sel) => {
    window.qltBusy = false;
    const s = document.querySelector(sel);
    window.qltObs = new MutationObserver(() => {
      if (s.classList.contains('is-busy')) window.qltBusy = true;
    });
    window.qltObs.observe(s, { attributes: true, attributeFilter: ['class'] });
  }, `#tab-${id}`);
  const t0 = Date.now();
  await doIt();
  await page.waitForFunction(() => window.qltBusy === true, { timeout: TIMEOUT });
  await page.waitForFunction((sel) => !document.querySelector(sel).classList.contains('is-busy'),
    { timeout: timeout || TIMEOUT }, `#tab-${id}`);
  const ms = Date.now() - t0;
  await page.evaluate(() => window.qltObs.disconnect());
  return { msg: await page.$eval('#msg', (m) => m.textContent), ms };
}

async function fill(page, sel, value) {
  await page.$eval(sel, (i, v) => { i.value = v; }, value);
}

// fetch from inside the page (its cookie), with or without the CSRF token
function call(page, method, url, body, token) {
  return page.evaluate(async (m, u, b, t) => {
    const headers = { 'Content-Type': 'application/json' };
    if (t) headers['X-CSRF-Token'] = t;
    const r = await fetch(u, { method: m, headers, credentials: 'same-origin', body: b ? JSON.stringify(b) : undefined });
    return r.status;
  }, method, url, body, token);
}
const session = (page) => page.evaluate(async () => (await fetch('/api/session')).json());
const api = (what) => `/api/manage/${VM}/${what}`;
const info = () => JSON.parse(cli(['info', VM, '--json']));

// ---- the checks ----
async function snapshots(p1) {
  gx('echo kept >/wm-before');
  await tab(p1, 'snapshots', 'snap-create');
  await p1.type('#snap-create input[name="snapshot"]', 's1');
  await p1.type('#snap-create input[name="description"]', 'from the page');
  // while the supervisor works, the web process answers others
  let during = null;
  const r = await change(p1, 'snapshots', async () => {
    await p1.click('#snap-create button[type="submit"]');
    const t = Date.now();
    await p1.evaluate(async () => (await fetch('/api/vms')).json());
    during = Date.now() - t;
  }, LONG);
  console.log(`measure: snapshot-create of the running guest from the page: ${r.ms} ms ` +
    `(a list request meanwhile: ${during} ms)`);
  check(r.msg === 'Creating snapshot s1: done', 'snapshot created from the page', r.msg);
  await p1.waitForSelector('#tab-snapshots tr[data-snapshot="s1"]');
  check(/^s1$/m.test(cli(['snapshot-list', VM, '--name'])), 'the CLI lists s1',
    cli(['snapshot-list', VM, '--name']));
  const row = await p1.$eval('#tab-snapshots tr[data-snapshot="s1"]', (tr) => tr.textContent);
  check(row.includes('from the page') && row.includes('running'), 'the page lists s1', row);
  await shot(p1, 'web-manage-snapshots.png');

  gx('echo gone >/wm-after');
  const written = await gval('cat /wm-after');
  check(written === 'gone', 'a file written after the snapshot', written);
  const rv = await change(p1, 'snapshots',
    () => p1.click('#tab-snapshots tr[data-snapshot="s1"] button[data-action="revert"]'), LONG);
  console.log(`measure: snapshot-revert from the page: ${rv.ms} ms`);
  check(rv.msg === 'Reverting to snapshot s1: done', 'reverted from the page', rv.msg);
  check(cli(['state', VM]).trim() === 'running', 'running after the revert', cli(['state', VM]));
  const after = await gval('[ -e /wm-after ] && echo present || echo absent');
  check(after === 'absent', 'the file written after the snapshot is gone', after);
  const before = await gval('cat /wm-before');
  check(before === 'kept', 'the file written before it is there', before);

  // a second one, deleted from the page; s1 stays
  await p1.type('#snap-create input[name="snapshot"]', 's2');
  let r2 = await change(p1, 'snapshots', () => p1.click('#snap-create button[type="submit"]'), LONG);
  check(r2.msg === 'Creating snapshot s2: done', 'snapshot s2 created', r2.msg);
  r2 = await change(p1, 'snapshots',
    () => p1.click('#tab-snapshots tr[data-snapshot="s2"] button[data-action="delete"]'), LONG);
  check(r2.msg === 'Deleting snapshot s2: done', 'snapshot s2 deleted from the page', r2.msg);
  const names = cli(['snapshot-list', VM, '--name']);
  check(!/^s2$/m.test(names) && /^s1$/m.test(names), 'the CLI lists s1 alone', names);
  check(await p1.$('#tab-snapshots tr[data-snapshot="s2"]') === null, 'the page lists no s2', 'listed');
}

async function csrf(p1) {
  const vcpus = info().vcpus;
  check(await call(p1, 'POST', api('setvcpus'), { count: 2 }, null) === 403,
    'setvcpus without the CSRF token: 403', 'not 403');
  check(await call(p1, 'POST', api('snapshot-create'), { snapshot: 'nocsrf' }, 'f'.repeat(64)) === 403,
    'snapshot-create with a wrong CSRF token: 403', 'not 403');
  check(await call(p1, 'POST', api('setmem'), { size_mib: 100 }, null) === 403,
    'setmem without the CSRF token: 403', 'not 403');
  await sleep(1000);
  check(info().vcpus === vcpus, 'no vCPU changed', `${info().vcpus} vCPUs`);
  check(!/^nocsrf$/m.test(cli(['snapshot-list', VM, '--name'])), 'no snapshot made',
    cli(['snapshot-list', VM, '--name']));
  // a bad body: one line, nothing sent on
  const s = await session(p1);
  check(await call(p1, 'POST', api('setvcpus'), { count: 0 }, s.csrf) === 400,
    'setvcpus 0: 400', 'not 400');
}

async function memory(p1) {
  await tab(p1, 'resources', 'setmem');
  await fill(p1, '#setmem input[name="size_mib"]', '200');
  const r = await change(p1, 'resources', () => p1.click('#setmem button[type="submit"]'));
  check(r.msg === 'Setting the memory to 200 MiB: done', 'setmem from the page', r.msg);
  const t0 = Date.now();
  const kib = await until(() => {
    const v = JSON.parse(cli(['dommemstat', VM, '--json'])).actual_kib;
    return v === 200 * 1024 ? v : null;
  }, 60);
  check(kib === 200 * 1024, 'dommemstat reports 200 MiB',
    cli(['dommemstat', VM, '--json']));
  console.log(`measure: balloon at 200 MiB ${Date.now() - t0} ms after setmem's reply`);
  // the page says so too, when drawn again
  let shown = '';
  for (let i = 0; i < 20 && shown !== '200 MiB'; i++) {
    await tab(p1, 'resources', 'setmem');
    shown = await p1.$eval('#mem-current', (d) => d.textContent);
    if (shown !== '200 MiB') await sleep(500);
  }
  check(shown === '200 MiB', 'the page shows the balloon', shown);
}

async function vcpus(p1) {
  await tab(p1, 'resources', 'setvcpus');
  check(await gval('cat /sys/devices/system/cpu/online') === '0', 'one CPU online at first', 'more');
  await fill(p1, '#setvcpus input[name="count"]', '2');
  let r = await change(p1, 'resources', () => p1.click('#setvcpus button[type="submit"]'));
  check(r.msg === 'Setting 2 vCPUs: done', 'setvcpus 2 from the page', r.msg);
  let online = await waitGval('cat /sys/devices/system/cpu/online', '0-1');
  check(online === '0-1', 'the guest has CPUs 0-1 online', online);
  check(await p1.$eval('#vcpus-current', (d) => d.textContent) === '2', 'the page shows 2 vCPUs',
    await p1.$eval('#vcpus-current', (d) => d.textContent));
  await shot(p1, 'web-manage-resources.png');
  await fill(p1, '#setvcpus input[name="count"]', '1');
  r = await change(p1, 'resources', () => p1.click('#setvcpus button[type="submit"]'));
  check(r.msg === 'Setting 1 vCPUs: done', 'setvcpus 1 from the page', r.msg);
  online = await waitGval('cat /sys/devices/system/cpu/online', '0');
  check(online === '0', 'the guest is back to CPU 0', online);
}

// a host bridge is the administrator's: the owner's page shows the
// supervisor's refusal, root's page attaches and detaches
async function nics(p1, pr) {
  const count = 'ls /sys/class/net | grep -vc "^lo$"';
  const before = await gval(count);
  await tab(p1, 'nics', 'nic-attach');
  await p1.select('#nic-attach select[name="type"]', 'bridge');
  await fill(p1, '#nic-attach input[name="source"]', 'br0');
  let r = await change(p1, 'nics', () => p1.click('#nic-attach button[type="submit"]'));
  check(/only an administrator may put a VM on host bridge br0/.test(r.msg),
    'the user\'s NIC on a bridge: the supervisor\'s refusal', r.msg);

  await tab(pr, 'nics', 'nic-attach');
  const rowsBefore = await pr.$$eval('#tab-nics tr[data-mac]', (t) => t.map((x) => x.dataset.mac));
  await pr.select('#nic-attach select[name="type"]', 'bridge');
  await fill(pr, '#nic-attach input[name="source"]', 'br0');
  await fill(pr, '#nic-attach input[name="mac"]', '52:54:00:77:aa:01');
  r = await change(pr, 'nics', () => pr.click('#nic-attach button[type="submit"]'));
  check(r.msg === 'Attaching a NIC to br0: done', 'root attached a NIC from the page', r.msg);
  await pr.waitForSelector('#tab-nics tr[data-mac="52:54:00:77:aa:01"]');
  const listed = JSON.parse(cli(['domiflist', VM, '--json']));
  check(listed.some((n) => n.mac === '52:54:00:77:aa:01' && n.source === 'br0'), 'the CLI lists the NIC',
    JSON.stringify(listed));
  const more = await waitGval(count, String(Number(before) + 1));
  check(more === String(Number(before) + 1), 'the guest has one more NIC', `${before} -> ${more}`);
  const mac = await gval('cat /sys/class/net/*/address | grep -c 52:54:00:77:aa:01');
  check(mac === '1', 'the guest sees its MAC', mac);
  await shot(pr, 'web-manage-nics.png');
  r = await change(pr, 'nics',
    () => pr.click('#tab-nics tr[data-mac="52:54:00:77:aa:01"] button[data-action="detach"]'));
  check(r.msg === 'Detaching NIC 52:54:00:77:aa:01: done', 'root detached the NIC from the page', r.msg);
  const back = await waitGval(count, before);
  check(back === before, 'the guest has its NICs of before', `${back}, not ${before}`);
  const rowsAfter = await pr.$$eval('#tab-nics tr[data-mac]', (t) => t.map((x) => x.dataset.mac));
  check(JSON.stringify(rowsAfter) === JSON.stringify(rowsBefore), 'the page lists the NICs of before',
    JSON.stringify(rowsAfter));
}

// the CD-ROM drive (SCSI sda, empty): media in, then out
async function media(p1) {
  const src = () => (JSON.parse(cli(['domblklist', VM, '--json'])).find((d) => d.target === 'sda') || {}).source;
  check(!src(), 'the CD-ROM drive is empty at first', String(src()));
  await tab(p1, 'disks', 'disk-attach');
  await fill(p1, '#tab-disks tr[data-target="sda"] input[name="source"]', env('MEDIA'));
  let r = await change(p1, 'disks',
    () => p1.click('#tab-disks tr[data-target="sda"] button[data-action="change-media"]'));
  check(r.msg === 'Changing the media of sda: done', 'media changed from the page', r.msg);
  check(src() === env('MEDIA'), 'domblklist shows the media', String(src()));
  const cap = cli(['domblkinfo', VM, 'sda']);
  check(/^Capacity: +2097152$/m.test(cap), 'QEMU has the 2 MiB media', cap);
  const cd = await gval('cat /sys/bus/scsi/devices/*/type | grep -cx 5');
  check(cd === '1', 'the guest has its CD-ROM drive', cd);
  const row = await p1.$eval('#tab-disks tr[data-target="sda"]', (tr) => tr.textContent);
  check(row.includes(env('MEDIA')), 'the page shows the media', row);
  r = await change(p1, 'disks',
    () => p1.click('#tab-disks tr[data-target="sda"] button[data-action="eject"]'));
  check(r.msg === 'Ejecting sda: done', 'ejected from the page', r.msg);
  check(!src(), 'the drive is empty again', String(src()));
}

// the supervisor makes images for root only: the owner's page shows its
// refusal, root's page attaches and detaches
async function disks(p1, pr) {
  const targets = () => JSON.parse(cli(['domblklist', VM, '--json'])).map((d) => d.target).join(',');
  const was = targets();
  await tab(p1, 'disks', 'disk-attach');
  let r = await change(p1, 'disks', () => p1.click('#disk-attach button[type="submit"]'));
  check(/only root has the supervisor create/.test(r.msg), 'the user\'s new disk: the supervisor\'s refusal', r.msg);
  check(targets() === was, 'no disk attached', targets());

  await tab(pr, 'disks', 'disk-attach');
  check(await gval('[ -e /sys/block/vdb ] && echo yes || echo no') === 'no', 'no vdb at first', 'vdb');
  await fill(pr, '#disk-attach input[name="size_gib"]', '1');
  r = await change(pr, 'disks', () => pr.click('#disk-attach button[type="submit"]'));
  check(r.msg === 'Attaching a 1 GiB disk: done', 'root attached a 1 GiB disk from the page', r.msg);
  await pr.waitForSelector('#tab-disks tr[data-target="vdb"]');
  const size = await waitGval('cat /sys/block/vdb/size', '2097152');
  check(size === '2097152', 'the guest has a 1 GiB vdb', size);
  await shot(pr, 'web-manage-disks.png');
  r = await change(pr, 'disks',
    () => pr.click('#tab-disks tr[data-target="vdb"] button[data-action="detach"]'));
  check(r.msg === 'Detaching vdb: done', 'root detached vdb from the page', r.msg);
  const gone = await waitGval('[ -e /sys/block/vdb ] && echo yes || echo no', 'no');
  check(gone === 'no', 'vdb is gone from the guest', gone);
  check(targets() === was, 'the disks of before', targets());
  check(await pr.$('#tab-disks tr[data-target="vdb"]') === null, 'the page lists no vdb', 'listed');
}

async function otherUser(browser) {
  const p2 = await login(browser, env('LINK2'), 'user 2');
  const s2 = await session(p2);
  const vcpus = info().vcpus;
  for (const w of ['snapshots', 'disks', 'nics', 'info']) {
    const st = await call(p2, 'GET', api(w), null, null);
    check(st === 403 || st === 404, `user 2 reads ${w}: ${st}`, `status ${st}`);
  }
  const posts = [['snapshot-create', { snapshot: 'theirs' }], ['snapshot-revert', { snapshot: 's1' }],
    ['setvcpus', { count: 2 }], ['setmem', { size_mib: 100 }], ['detach-disk', { target: 'vda' }]];
  for (const [w, b] of posts) {
    const st = await call(p2, 'POST', api(w), b, s2.csrf);
    check(st === 403 || st === 404, `user 2 ${w}: ${st}`, `status ${st}`);
  }
  check(!/^theirs$/m.test(cli(['snapshot-list', VM, '--name'])), 'no snapshot of user 2\'s', 'made');
  check(info().vcpus === vcpus, 'user 2 changed no vCPU', `${info().vcpus}`);
  check(/vda/.test(cli(['domblklist', VM])), 'vda still there', cli(['domblklist', VM]));
  // the page says it, and shows nothing of the VM
  await openVm(p2);
  await p2.waitForSelector('#tab-snapshots .bad');
  const said = await p2.$eval('#tab-snapshots .bad', (e) => e.textContent);
  check(/belongs to another user/.test(said), 'user 2\'s page shows the refusal', said);
  await shot(p2, 'web-manage-user2.png');
}

async function main(browser) {
  const p1 = await login(browser, env('LINK1'), 'the owner');
  await openVm(p1);
  const tabs = await p1.$$eval('#vmtabs button', (b) => b.map((x) => x.textContent));
  for (const t of ['Snapshots', 'Disks', 'NICs', 'Memory and CPUs']) {
    check(tabs.includes(t), `tab ${t}`, JSON.stringify(tabs));
  }
  await snapshots(p1);
  await csrf(p1);
  await memory(p1);
  await media(p1);
  const pr = await login(browser, env('LINKROOT'), 'root');
  await openVm(pr);
  await nics(p1, pr);
  await disks(p1, pr);
  // last: QEMU 7.2 under TCG dies (SIGSEGV) at a PCI hot-plug after a
  // vCPU was plugged and unplugged (qlaunch's CLI alike)
  await vcpus(p1);
  await otherUser(browser);
}

run(async (browser) => {
  await main(browser);
});
