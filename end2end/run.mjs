// Starts the release server on a free port with a fresh database (SQLite file, then a new
// PostgreSQL database), runs a suite of browser tests against it, and stops it. Three suites:
// `tests/` with only LEPTOS_SITE_ADDR, LEPTOS_SITE_ROOT and DATABASE_URL set (what the
// outside check sets), and `tests-pinned/` with the demo date CANBAO_TODAY=2022-10-08,
// inside Lishi's 2023 collection period, for enrolment and payment, and `tests-weifang/`
// with CANBAO_TODAY=2020-12-01, inside Weifang's 2021 period (two tiers), and `tests-beijing/`
// with CANBAO_TODAY=2019-10-10, inside Beijing's 2020 period (a notice with no amount).
// Exit code: non-zero on any failure.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const serverBin = process.env.CANBAO_SERVER_BIN || join(root, 'target/release/server');
const siteRoot = process.env.CANBAO_SITE_ROOT || join(root, 'target/site');
const backends = (process.env.CANBAO_E2E_BACKENDS || 'sqlite,postgres').split(',');
const pgAdmin = process.env.CANBAO_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

for (const f of [serverBin, join(siteRoot, 'pkg/canbao.wasm')]) {
  if (!existsSync(f)) {
    console.error(`missing ${f}: build the release first (cargo leptos build --release)`);
    process.exit(2);
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => ok(port)); });
    s.on('error', fail);
  });
}

async function waitHealthy(base, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/api/v1/health`);
      if (r.ok && (await r.json()).status === 'ok') return;
    } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy in 30 s');
}

function psql(sql) {
  execFileSync('psql', [pgAdmin, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: 'inherit' });
}

const suites = [
  { dir: 'tests', extra: {} },
  { dir: 'tests-pinned', extra: { CANBAO_TODAY: '2022-10-08' } },
  // Inside Weifang's 2021 concentrated period: a pack with two tiers.
  { dir: 'tests-weifang', extra: { CANBAO_TODAY: '2020-12-01' } },
  // Inside Beijing's 2020 (assumed) concentrated period: a notice that sets no amount.
  { dir: 'tests-beijing', extra: { CANBAO_TODAY: '2019-10-10' } },
].filter(s => !process.env.CANBAO_E2E_SUITE || s.dir === process.env.CANBAO_E2E_SUITE);

let failed = false;
for (const suite of suites) for (const backend of backends) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let databaseUrl, cleanup;
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'canbao-e2e-'));
    databaseUrl = `sqlite://${dir}/canbao.db`;
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `canbao_e2e_${process.pid}_${Date.now()}`;
    psql(`CREATE DATABASE ${name}`);
    databaseUrl = pgAdmin.replace(/\/[^/]*$/, `/${name}`);
    cleanup = () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  // Exactly the variables the outside check sets (plus PATH for the dynamic loader).
  const env = { PATH: process.env.PATH, CANBAO_DEMO: 'on', LEPTOS_SITE_ADDR: `127.0.0.1:${port}`, LEPTOS_SITE_ROOT: siteRoot, DATABASE_URL: databaseUrl, ...suite.extra };
  const server = spawn(serverBin, [], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    await waitHealthy(base, server);
    console.log(`# browser tests ${suite.dir} against ${backend} at ${base}`);
    const code = await new Promise(ok => {
      const t = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', join(here, suite.dir)], {
        // The database and the binary too: a test may start a second server over the same
        // data on another day (a pack published now is offered on its date).
        env: { ...process.env, BASE_URL: base, E2E_BACKEND: backend, E2E_DATABASE_URL: databaseUrl,
          E2E_SERVER_BIN: serverBin, E2E_SITE_ROOT: siteRoot },
        stdio: 'inherit',
      });
      t.on('exit', ok);
    });
    if (code !== 0) failed = true;
  } catch (e) {
    console.error(`# ${backend}: ${e.message}`);
    failed = true;
  } finally {
    server.kill('SIGTERM');
    await new Promise(ok => server.exitCode !== null ? ok() : server.on('exit', ok));
    if (server.exitCode !== 0 && server.signalCode === null) {
      console.error(`# server did not stop cleanly on SIGTERM (exit ${server.exitCode})`);
      failed = true;
    }
    cleanup();
  }
}
process.exit(failed ? 1 : 0);
