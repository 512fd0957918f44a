// The web manager in headless Chromium (Debian's chromium), driven by
// puppeteer-core; run by tests/e2e/test_web.sh, which starts qlaunchd,
// the web process and the VMs, and gives the login links.
//   node test_web_basic.js main    log in, list, start, CSRF, second user
//   node test_web_basic.js again   after the web process restarted
// Each check prints "ok NAME" or "FAIL NAME: why" (and exits 1).
// Environment: LINK1 LINK2 (web-login links of user 1 and 2), USER1 (its
// name), VM1 VM2 (their VMs), QLAUNCH (the client), QLAUNCH_SOCKET, ARTIFACTS (a
// directory for screenshots), CHROMIUM (default /usr/bin/chromium).
'use strict';

const { execFileSync } = require('child_process');
const { env, ok, check, shot, run } = require('./lib');

const VM1 = env('VM1');
const VM2 = env('VM2');
const TIMEOUT = 60000;

// what the CLI says (as root: the supervisor's own view)
function cli(args) {
  return execFileSync(env('QLAUNCH'), args, { encoding: 'utf8' });
}
function vmState(name) {
  return cli(['state', name]).trim();
}

// a fresh browser profile per user, logged in through its link
async function login(browser, link, vm) {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  await page.setViewport({ width: 1000, height: 700 });
  const t0 = Date.now();
  const resp = await page.goto(link, { waitUntil: 'load' });
  check(resp.ok() && new URL(page.url()).pathname === '/', `login ${vm}`,
    `landed on ${page.url()} (${resp.status()})`);
  await page.waitForSelector(`#vm-${vm}`);
  ok(`list shows ${vm}`);
  console.log(`measure: login link to the listed VM: ${Date.now() - t0} ms`);
  return { ctx, page };
}

const stateIn = (page, vm) => page.$eval(`#vm-${vm} .state`, (td) => td.textContent);

// fetch from inside the page (its cookie), with or without the CSRF token
function post(page, url, token) {
  return page.evaluate(async (u, t) => {
    const headers = t ? { 'X-CSRF-Token': t } : {};
    const r = await fetch(u, { method: 'POST', headers, credentials: 'same-origin' });
    return r.status;
  }, url, token);
}
const session = (page) => page.evaluate(async () => (await fetch('/api/session')).json());

async function main(browser) {
  const u1 = await login(browser, env('LINK1'), VM1);
  const p1 = u1.page;
  check(await p1.$(`#vm-${VM2}`) === null, 'user 1 does not see user 2\'s VM',
    `${VM2} is listed`);
  check(await stateIn(p1, VM1) === 'shut off', 'shut off at first', await stateIn(p1, VM1));
  await p1.waitForFunction(() => document.querySelector('#live.on') !== null);
  await shot(p1, 'web-list.png');

  // start from the page: the state changes in place, no reload
  await p1.evaluate(() => { window.qltNoReload = true; });
  const t1 = Date.now();
  // found and clicked at once in the page: the live list redraws its rows
  await p1.$eval(`#vm-${VM1} button[data-action="start"]`, (b) => b.click());
  await p1.waitForFunction((vm) => {
    const td = document.querySelector(`#vm-${vm} .state`);
    return td && td.textContent === 'running';
  }, { timeout: TIMEOUT }, VM1);
  console.log(`measure: start clicked to "running" on the page: ${Date.now() - t1} ms`);
  check(await p1.evaluate(() => window.qltNoReload === true), 'started without a reload',
    'the page was reloaded');
  check(vmState(VM1) === 'running', 'qlaunch state agrees', vmState(VM1));
  await shot(p1, 'web-list-running.png');

  // no CSRF token, or a wrong one: 403 and nothing changes
  const s1 = await session(p1);
  check(await post(p1, `/api/vms/${VM1}/destroy`, null) === 403, 'no CSRF token: 403', 'not 403');
  check(await post(p1, `/api/vms/${VM1}/destroy`, 'f'.repeat(64)) === 403,
    'a wrong CSRF token: 403', 'not 403');
  check(vmState(VM1) === 'running', 'the refused POSTs changed nothing', vmState(VM1));
  check(await stateIn(p1, VM1) === 'running', 'the page still says running', await stateIn(p1, VM1));

  // the create form and define from text: the new VMs appear in the list
  // (pushed: the page does not list again by itself), owned by user 1
  await p1.type('#create input[name="name"]', 'formvm');
  await p1.$eval('#create input[name="memory"]', (i) => { i.value = '192'; });
  await p1.$eval('#create input[name="vcpus"]', (i) => { i.value = '2'; });
  await p1.click('#create button[type="submit"]');
  await p1.waitForSelector('#vm-formvm');
  const formDef = cli(['dumpconfig', 'formvm']);
  check(/^memory: 192/m.test(formDef) && /^vcpus: 2/m.test(formDef) &&
    new RegExp(`^owner: ${env('USER1')}$`, 'm').test(formDef),
    'the create form made the definition', formDef);
  await p1.type('#define textarea', 'name: textvm\nmemory: 96\naccel: tcg\n');
  await p1.click('#define button[type="submit"]');
  await p1.waitForSelector('#vm-textvm');
  const textVm = JSON.parse(cli(['list', '--all', '--json'])).find((v) => v.name === 'textvm');
  check(textVm && textVm.memory_mib === 96 && textVm.owner === env('USER1'),
    'define from text made the definition', JSON.stringify(textVm));
  check(await p1.evaluate(() => window.qltNoReload === true), 'created without a reload',
    'the page was reloaded');

  // a second user: only their own VM, and no hand on user 1's
  const u2 = await login(browser, env('LINK2'), VM2);
  const p2 = u2.page;
  check(await p2.$(`#vm-${VM1}`) === null && await p2.$('#vm-formvm') === null &&
    await p2.$('#vm-textvm') === null, 'user 2 does not see user 1\'s VMs', 'one is listed');
  const list2 = await p2.evaluate(async () => (await fetch('/api/vms')).json());
  check(list2.length === 1 && list2[0].name === VM2, 'user 2\'s API list is theirs only',
    JSON.stringify(list2.map((v) => v.name)));
  const s2 = await session(p2);
  for (const a of ['destroy', 'shutdown', 'suspend']) {
    const st = await post(p2, `/api/vms/${VM1}/${a}`, s2.csrf);
    check(st === 403 || st === 404, `user 2 ${a} ${VM1}: ${st}`, `status ${st}`);
  }
  // user 1's token in user 2's session is no token
  check(await post(p2, `/api/vms/${VM2}/start`, s1.csrf) === 403,
    'another session\'s CSRF token: 403', 'not 403');
  check(vmState(VM1) === 'running', `${VM1} untouched by user 2`, vmState(VM1));
  check(vmState(VM2) === 'shut off', `${VM2} untouched`, vmState(VM2));
  // user 1's state change did not reach user 2's page
  check(await p2.$(`#vm-${VM1}`) === null, 'no event of user 1\'s VM on user 2\'s page',
    `${VM1} appeared`);
  await shot(p2, 'web-list-user2.png');
}

async function again(browser) {
  const u1 = await login(browser, env('LINK1'), VM1);
  check(await stateIn(u1.page, VM1) === 'running', 'the restarted web process shows it running',
    await stateIn(u1.page, VM1));
  await shot(u1.page, 'web-list-restarted.png');
}

run(async (browser) => {
  if (process.argv[2] === 'again') await again(browser);
  else await main(browser);
});
