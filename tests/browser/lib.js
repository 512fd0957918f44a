// What every browser test of the web manager shares: its environment,
// its checks ("ok NAME", or a Failure that ends the run with "FAIL NAME:
// why" and exit status 1), screenshots, and headless Chromium around a
// test body.
'use strict';

const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};

function ok(name) { console.log(`ok ${name}`); }
class Failure extends Error {}
function check(cond, name, why) {
  if (!cond) throw new Failure(`${name}: ${why}`);
  ok(name);
}

// a full-page screenshot into $ARTIFACTS
async function shot(page, file) {
  const dir = env('ARTIFACTS');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, file), fullPage: true });
}

// body(browser) in Debian's chromium ($CHROMIUM); the process exits 0,
// or 1 after printing the failure
function run(body) {
  (async () => {
    const browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    let rc = 0;
    try {
      await body(browser);
    } catch (e) {
      console.log(`FAIL ${e instanceof Failure ? e.message : e.stack}`);
      rc = 1;
    } finally {
      await browser.close();
    }
    process.exit(rc);
  })();
}

module.exports = { env, ok, Failure, check, shot, run };
