// Shared pieces of the end-to-end tests: real processes on loopback, and waiting for things.

import { spawn, execFileSync } from 'node:child_process';
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

/** A demo `stint-server` on SQLite, on a free loopback port. */
export async function startServer() {
  const dataDir = tempDir('server');
  const server = path.join(binDir, 'stint-server');
  execFileSync(server, ['demo', '--data-dir', dataDir], { stdio: 'ignore' });
  const port = await freePort();
  const child = start(server, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('stint-server /health', async () => (await fetch(`${url}/health`)).ok);
  return { url, child };
}

/** Ana's entries as the server has them, read through the REST API by a second device. */
export async function entriesOnServer(serverUrl) {
  const signIn = await fetch(`${serverUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ANA.email, password: ANA.password, device_name: 'e2e checker' }),
  }).then((r) => r.json());
  const workspace = signIn.workspaces[0].id;
  const pulled = await fetch(`${serverUrl}/api/v1/workspaces/${workspace}/sync/pull?cursor=0&protocol_version=1`, {
    headers: { authorization: `Bearer ${signIn.token}` },
  }).then((r) => r.json());
  return pulled.entries;
}
