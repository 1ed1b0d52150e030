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

/** Ana's entries and tasks as the server has them, pulled page by page by a second device. */
export async function onServer(serverUrl) {
  const { token, workspace } = await anotherDevice(serverUrl, 'e2e checker');
  const entries = new Map();
  const tasks = new Map();
  let cursor = null;
  for (;;) {
    const query = new URLSearchParams({ protocol_version: '2', ...(cursor ? { cursor } : {}) });
    const page = await fetch(`${serverUrl}/api/v1/workspaces/${workspace}/sync/pull?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json());
    for (const entry of page.entries) entries.set(entry.id, entry);
    for (const task of page.tasks) tasks.set(task.id, task);
    for (const gone of page.removed) (gone.entity === 'task' ? tasks : entries).delete(gone.id);
    cursor = page.cursor;
    if (!page.more) return { entries: [...entries.values()], tasks: [...tasks.values()] };
  }
}

/** Ana's entries as the server has them. */
export async function entriesOnServer(serverUrl) {
  return (await onServer(serverUrl)).entries;
}

/**
 * Now, as a device stamps it: whole milliseconds, never .000 (the server writes instants without
 * a zero fraction, and the fingerprint is over the text). Never before now: a stop stamped
 * earlier than the start it follows (same second) is refused.
 */
function deviceInstant() {
  const now = Date.now();
  return new Date(now % 1000 === 0 ? now + 1 : now).toISOString();
}

/**
 * Ana's phone pushes `intents` (`{ name, args }`, args in the order the server writes them: each
 * mutation's fingerprint is the SHA-256 of that JSON) on a stream of its own; each must apply.
 */
async function pushFromThePhone(serverUrl, intents) {
  const { token, workspace } = await anotherDevice(serverUrl, 'e2e phone');
  const mutations = intents.map((intent, i) => ({
    seq: i + 1,
    fingerprint: createHash('sha256').update(JSON.stringify(intent)).digest('hex'),
    device_time: intent.args.at,
    ...intent,
  }));
  const answer = await fetch(`${serverUrl}/api/v1/workspaces/${workspace}/sync/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ protocol_version: 2, stream_id: randomUUID(), mutations }),
  }).then((r) => r.json());
  if (answer.results?.some((r) => r.outcome !== 'applied')) throw new Error(`the phone's push: ${JSON.stringify(answer)}`);
}

/** Ana's running timer as the server has it (none: null). */
export async function runningTimerOnServer(serverUrl) {
  const { token, workspace } = await anotherDevice(serverUrl, 'e2e checker');
  const page = await fetch(`${serverUrl}/api/v1/workspaces/${workspace}/sync/pull?protocol_version=2`, {
    headers: { authorization: `Bearer ${token}` },
  }).then((r) => r.json());
  return page.timer;
}

/** Ana's phone stops her running timer `timerId` now and describes the entry: someone acted on it. */
export async function stopAndDescribeOnAnotherDevice(serverUrl, timerId, description) {
  const entryId = randomUUID();
  const at = deviceInstant();
  await pushFromThePhone(serverUrl, [
    { name: 'stop_timer', args: { timer_id: timerId, entry_id: entryId, at } },
    { name: 'review_entry', args: { entry_id: entryId, duration_secs: 60, description, billable: false, submit: false, at } },
  ]);
}
