// The desktop app's footprint, printed as numbers (run by `cargo xtask bench`, inside
// dbus-run-session on a virtual display): start-up time to tray-ready; resident memory of the
// whole process tree 30 s after start with --hidden and a running timer; CPU and wake-ups over
// 60 s in the tray with the timer running, so with the idle source polled (T9); resident
// memory after 10 minutes more of that polling (it must not grow); then 30 s after opening the
// window.

import { readFileSync, readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ANA, binDir, start, startServer, tempDir, waitFor } from './harness.mjs';
import { startLogindHost } from './logind-host.mjs';
import { startTrayHost } from './tray-host.mjs';

const SETTLE_MS = Number(process.env.STINT_BENCH_SETTLE_MS ?? 30000);
const MEASURE_MS = Number(process.env.STINT_BENCH_MEASURE_MS ?? 60000);
const POLLING_MS = Number(process.env.STINT_BENCH_POLLING_MS ?? 10 * 60000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resident memory (kB) of `pid` and all its descendants, by process name. */
function treeRss(pid) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {}
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree.map((p) => {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    return { name: status.match(/^Name:\s+(.+)$/m)[1], kb: Number(status.match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) };
  });
}

/** CPU time (clock ticks) and context switches (≈ wake-ups) of all threads of `pid`. */
function activity(pid) {
  let ticks = 0;
  let switches = 0;
  for (const thread of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    const status = readFileSync(`/proc/${pid}/task/${thread}/status`, 'utf8');
    switches += Number(status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)[1]);
    switches += Number(status.match(/^nonvoluntary_ctxt_switches:\s+(\d+)/m)[1]);
  }
  return { ticks, switches };
}

function report(label, processes) {
  const total = processes.reduce((sum, p) => sum + p.kb, 0);
  const parts = processes.map((p) => `${p.name} ${(p.kb / 1024).toFixed(1)}`).join(', ');
  console.log(`${label}: ${(total / 1024).toFixed(1)} MB (${parts})`);
}

const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
  stdio: ['pipe', 'ignore', 'ignore'],
});
keyring.stdin.end('stint-bench\n');
const server = await startServer();
const tray = await startTrayHost();
// logind, followed on a real desktop: its connection and listener count in the numbers too.
const logind = await startLogindHost();

const started = performance.now();
const app = start(path.join(binDir, 'stint'), [
  '--hidden', '--data-dir', tempDir('bench'), '--server', server.url, '--sign-in-email', ANA.email,
], { env: { ...process.env, STINT_PASSWORD: ANA.password, DBUS_SYSTEM_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS } });
await waitFor('the tray item', () => tray.items.length > 0, 60000);
const trayReadyMs = performance.now() - started;

const firstTask = await waitFor('assigned tasks in the tray', async () => {
  const startWork = (await tray.menu()).find((e) => e.label === 'Start Work');
  return startWork?.children.find((e) => e.enabled && e.label && e.type !== 'separator');
});
await tray.click('Start Work', firstTask.label);
await waitFor('the timer to run', async () => (await tray.menu())[0].label.startsWith(firstTask.label));
await sleep(SETTLE_MS);
const hidden = treeRss(app.pid);
// Idle cost in the tray with a running timer (and so the idle source looked at): CPU and
// wake-ups over a minute.
const before = activity(app.pid);
await sleep(MEASURE_MS);
const after = activity(app.pid);
const cpuPercent = ((after.ticks - before.ticks) / 100 / (MEASURE_MS / 1000)) * 100; // 100 ticks/s
const wakeupsPerMinute = ((after.switches - before.switches) * 60000) / MEASURE_MS;
// Memory after minutes more of polling: a leak per look would show here.
await sleep(Math.max(0, POLLING_MS - MEASURE_MS));
const polled = treeRss(app.pid);
const stintKb = (processes) => processes.find((p) => p.name === 'stint')?.kb ?? 0;

await tray.click('Open Stint');
await waitFor('the window', () => treeRss(app.pid).some((p) => p.name.startsWith('WebKitWebProces')), 30000);
await sleep(SETTLE_MS);
const windowOpen = treeRss(app.pid);

console.log(`binary: ${path.join(binDir, 'stint')}`);
console.log(`start-up to tray-ready: ${Math.round(trayReadyMs)} ms`);
report(`resident memory, --hidden with a running timer, ${SETTLE_MS / 1000} s after start`, hidden);
console.log(`in the tray with a running timer and the idle source polled, over ${MEASURE_MS / 1000} s: CPU ${cpuPercent.toFixed(2)} %, ${Math.round(wakeupsPerMinute)} context switches per minute (all threads)`);
report(`resident memory after ${POLLING_MS / 60000} minutes of idle polling`, polled);
console.log(`the stint process grew ${((stintKb(polled) - stintKb(hidden)) / 1024).toFixed(1)} MB over those minutes`);
report(`resident memory, window open, ${SETTLE_MS / 1000} s after opening`, windowOpen);

app.kill();
server.child.kill();
keyring.kill();
tray.close();
logind.close();
