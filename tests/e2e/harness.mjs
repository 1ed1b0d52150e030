// Shared pieces of the end-to-end tests: real processes on loopback, and waiting for things.

import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `cargo build` put the binaries (xtask sets it; target/debug otherwise). */
export const binDir = process.env.STINT_BIN_DIR ?? path.join(root, 'target/debug');
/** Screenshots and logs that a person can look at after the run. */
export const artifacts = path.join(process.env.STINT_ARTIFACTS ?? path.join(root, 'target'), 'e2e');
mkdirSync(artifacts, { recursive: true });

export const ANA = { email: 'ana@demo.stint.test', password: 'stint-demo', name: 'Ana Alvarez' };
/** The demo workspace's admin (same password as every demo user). */
export const ADMIN_EMAIL = 'admin@demo.stint.test';

export function tempDir(prefix) {
  return mkdtempSync(path.join(tmpdir(), `stint-${prefix}-`));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function waitFor(what, check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** Starts a child process that is killed when the test process exits. */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const output = [];
  child.stdout?.on('data', (chunk) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk) => output.push(chunk.toString()));
  child.output = () => output.join('');
  process.on('exit', () => child.kill('SIGKILL'));
  return child;
}

/**
 * A demo `stint-server` on SQLite, on a free loopback port; `restart()` after `child.kill()`.
 * `demoArgs`: more `stint-server demo` options (`--second-workspace`).
 */
export async function startServer(demoArgs = []) {
  const dataDir = tempDir('server');
  const server = path.join(binDir, 'stint-server');
  execFileSync(server, ['demo', '--data-dir', dataDir, ...demoArgs], { stdio: 'ignore' });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const handle = { url };
  handle.restart = async () => {
    handle.child = start(server, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
    await waitFor('stint-server /health', async () => (await fetch(`${url}/health`)).ok);
  };
  await handle.restart();
  return handle;
}

/** Ana signed in on a second device, through the REST API. */
async function anotherDevice(serverUrl, name) {
  const signIn = await fetch(`${serverUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ANA.email, password: ANA.password, device_name: name }),
  }).then((r) => r.json());
  return { token: signIn.token, workspace: signIn.workspaces[0].id };
}

/** Ana's entries as the server has them, pulled page by page by a second device. */
export async function entriesOnServer(serverUrl) {
  const { token, workspace } = await anotherDevice(serverUrl, 'e2e checker');
  const entries = new Map();
  let cursor = null;
  for (;;) {
    const query = new URLSearchParams({ protocol_version: '2', ...(cursor ? { cursor } : {}) });
    const page = await fetch(`${serverUrl}/api/v1/workspaces/${workspace}/sync/pull?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json());
    for (const entry of page.entries) entries.set(entry.id, entry);
    for (const gone of page.removed) entries.delete(gone.id);
    cursor = page.cursor;
    if (!page.more) return [...entries.values()];
  }
}

/**
 * Starts work on `taskId` now from another of Ana's devices (a sync push of one mutation, with
 * the fingerprint Stint computes: SHA-256 of the intent's JSON as the server writes it).
 */
export async function startOnAnotherDevice(serverUrl, taskId) {
  const { token, workspace } = await anotherDevice(serverUrl, 'e2e phone');
  // Whole milliseconds, never .000: the server writes instants without a zero fraction.
  const now = Date.now();
  const at = new Date(now - (now % 1000) + 123).toISOString();
  const intent = { name: 'start_timer', args: { timer_id: randomUUID(), task_id: taskId, at } };
  const fingerprint = createHash('sha256').update(JSON.stringify(intent)).digest('hex');
  const body = {
    protocol_version: 2,
    stream_id: randomUUID(),
    mutations: [{ seq: 1, fingerprint, device_time: at, ...intent }],
  };
  const answer = await fetch(`${serverUrl}/api/v1/workspaces/${workspace}/sync/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.json());
  if (answer.results?.[0]?.outcome !== 'applied') throw new Error(`the phone's start: ${JSON.stringify(answer)}`);
}
