// The real desktop app in a WebKitGTK window under Xvfb, driven by tauri-driver +
// WebKitWebDriver, with its tray read and clicked through a stand-in StatusNotifier host and
// its notifications received by a stand-in notification server, and logind's sleeps and locks
// told by a stand-in logind.
// Run inside `dbus-run-session` with DISPLAY set (cargo xtask test does both).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_EMAIL, ANA, artifacts, binDir, entriesOnServer, freePort, start, startServer, tempDir, waitFor } from './harness.mjs';
import { startLogindHost } from './logind-host.mjs';
import { startNotificationsHost } from './notifications-host.mjs';
import { startTrayHost } from './tray-host.mjs';

/** The colour of the tray icon at (7, 32): on the idle ring, inside the running and paused discs. */
const ICON_COLOURS = { idle: 'srgba(107,114,128,1)', running: 'srgba(22,163,74,1)', paused: 'srgba(217,119,6,1)' };

async function trayIconColour() {
  // The app writes each new icon to a new file and removes the old one: a file named a moment
  // ago may be gone, so ask again for the current one.
  for (let attempt = 1; ; attempt++) {
    const file = await tray.iconPath();
    try {
      return execFileSync('identify', ['-format', '%[pixel:p{7,32}]', file], { encoding: 'utf8', stdio: 'pipe' }).trim();
    } catch (error) {
      if (attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

let keyring;
let server;
let tray;
let notifications;
let logind;
let driver;
let driverUrl;
let session;
/** The app's home folder: where the session's autostart entries go (`~/.config/autostart`). */
const appHome = tempDir('home');

async function wd(method, route, body) {
  const response = await fetch(`${driverUrl}${route}`, {
    signal: AbortSignal.timeout(30000),
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

const find = (css) => wd('POST', `/session/${session}/elements`, { using: 'css selector', value: css });
// A WebDriver element reference is an object with one key (its name varies by driver).
const elementId = (element) => Object.values(element)[0];
const text = (element) => wd('GET', `/session/${session}/element/${elementId(element)}/text`);
const click = (element) => wd('POST', `/session/${session}/element/${elementId(element)}/click`, {});

// Nothing here may hang a CI run: every step has a deadline.
const DEADLINE = { timeout: 120000 };

/** A task in the tray's Start Work (not a heading or a separator). */
const isTask = (entry) => entry.enabled && entry.label !== '' && entry.type !== 'separator';

before(async () => {
  assert.ok(process.env.DISPLAY, 'DISPLAY must point to an X server (Xvfb)');
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'run inside dbus-run-session');
  // An unlocked keyring on this session bus, so the device token goes where it belongs.
  keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  keyring.stdin.end('stint-test\n');
  process.on('exit', () => keyring.kill());

  server = await startServer();
  tray = await startTrayHost();
  notifications = await startNotificationsHost();
  logind = await startLogindHost();
  const port = await freePort();
  driver = start('tauri-driver', ['--port', String(port), '--native-port', String(await freePort())], {
    // Stint's own DEBUG lines too: what the sync loop and the tray did, should a test fail.
    env: {
      ...process.env,
      HOME: appHome,
      STINT_PASSWORD: ANA.password,
      RUST_LOG: 'info,stint=debug,stint_client=debug',
      // logind is looked for on the system bus: here, the stand-in on the test's own bus.
      DBUS_SYSTEM_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    },
  });
  driverUrl = `http://127.0.0.1:${port}`;
  await waitFor('tauri-driver', async () => (await fetch(`${driverUrl}/status`)).ok);
  const created = await wd('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        'tauri:options': {
          application: path.join(binDir, 'stint'),
          args: ['--data-dir', tempDir('desktop'), '--server', server.url, '--sign-in-email', ANA.email],
        },
      },
    },
  });
  session = created.sessionId;
}, DEADLINE);

after(async () => {
  // What the app and the server logged: why, when a test above failed.
  const logs = path.join(process.env.XDG_DATA_HOME ?? path.join(appHome, '.local/share'), 'dev.stint.desktop/logs');
  for (const file of existsSync(logs) ? readdirSync(logs) : []) {
    const lines = readFileSync(path.join(logs, file), 'utf8').split('\n').filter(Boolean);
    console.error(`--- the app's log (${file}), last 150 lines:\n${lines.slice(-150).join('\n')}`);
  }
  const serverLines = (server?.child.output() ?? '').split('\n').filter(Boolean);
  console.error(`--- the server's log, last 40 lines:\n${serverLines.slice(-40).join('\n')}`);
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  tray?.close();
  notifications?.close();
  logind?.close();
  keyring?.kill();
  driver?.kill();
  server?.child.kill();
}, DEADLINE);

test('the app shows the tasks, a click starts the timer; the tray shows it, pauses, resumes and stops it, and starts work too', DEADLINE, async () => {
  const tasks = await waitFor('the task list', async () => {
    const found = await find('[data-testid=task]');
    return found.length >= 7 ? found : null;
  });
  // Signed in with the token in the keyring: no "no keyring" notice.
  assert.deepEqual(await find('.notice'), []);

  const title = await wd('POST', `/session/${session}/execute/sync`, {
    script: "return document.querySelector('[data-testid=task] .title').textContent.trim()",
    args: [],
  });
  assert.ok(title, 'the first task has a title');
  await click(tasks[0]);
  await waitFor('the running timer', async () => {
    const shown = await find('[data-testid=timer-task]');
    return shown.length === 1 && (await text(shown[0])) === title;
  });

  // The tray: the first, disabled line names the task; Pause and Stop are offered.
  const running = await waitFor('the tray to show the running timer', async () => {
    const menu = await tray.menu();
    return menu[0]?.label.startsWith(`${title} — `) ? menu : null;
  });
  assert.equal(running[0].enabled, false);
  const labels = running.map((entry) => entry.label.replace(/_/g, ''));
  for (const label of ['Start Work', 'Pause', 'Stop', 'Open Stint', 'Quit Stint']) {
    assert.ok(labels.includes(label), `tray menu has ${label}: ${JSON.stringify(labels)}`);
  }
  assert.equal(running.find((e) => e.label === 'Stop').enabled, true);
  await waitFor('the running icon', async () => (await trayIconColour()) === ICON_COLOURS.running);

  // Let WebKit paint the running timer before taking pictures of it.
  await wd('POST', `/session/${session}/execute/async`, {
    script: 'const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done()));',
    args: [],
  });
  const screenshot = await wd('GET', `/session/${session}/screenshot`);
  writeFileSync(path.join(artifacts, 'desktop-window.png'), Buffer.from(screenshot, 'base64'));
  execFileSync('import', ['-window', 'root', path.join(artifacts, 'desktop-screen.png')]);

  // Pause and resume from the tray: label, icon and window follow.
  await tray.click('Pause');
  await waitFor('the tray to show the pause', async () => (await tray.menu())[0].label.endsWith('(paused)'));
  await waitFor('the paused icon', async () => (await trayIconColour()) === ICON_COLOURS.paused);
  await waitFor('the window to offer Resume', async () => (await find('[data-testid=resume]')).length === 1);
  await tray.click('Resume');
  await waitFor('the window to offer Pause', async () => (await find('[data-testid=pause]')).length === 1);
  await waitFor('the running icon again', async () => (await trayIconColour()) === ICON_COLOURS.running);

  // The tray's Stop asks for the review in the window (T4): submitted from there.
  await tray.click('Stop');
  await waitFor('the review dialog', async () => (await find('[data-testid=review]')).length === 1);
  const review = await wd('GET', `/session/${session}/screenshot`);
  writeFileSync(path.join(artifacts, 'desktop-review-from-tray.png'), Buffer.from(review, 'base64'));
  await answerReview('review-submit');
  await waitFor('the window to show the timer stopped', async () => (await find('[data-testid=idle]')).length === 1);
  const idle = await tray.menu();
  assert.equal(idle[0].label, 'Not tracking');
  assert.equal(idle.find((e) => e.label === 'Stop').enabled, false);
  assert.equal(await trayIconColour(), ICON_COLOURS.idle);

  const [submitted] = await waitFor('the entry to reach the server', async () => {
    const entries = await entriesOnServer(server.url);
    return entries.length === 1 ? entries : null;
  });
  assert.equal(submitted.status, 'submitted');

  // Start Work from the tray (D1): the task just worked on under "Recent", then my assigned
  // tasks; the window follows.
  const startWork = (await tray.menu()).find((e) => e.label === 'Start Work');
  const startLabels = startWork.children.map((e) => e.label).filter(Boolean);
  assert.equal(startLabels[0], 'Recent', JSON.stringify(startLabels));
  assert.equal(startLabels[1], title);
  assert.ok(startLabels.indexOf('Assigned to me') > 1, JSON.stringify(startLabels));
  const mine = startWork.children.filter(isTask);
  assert.ok(mine.length >= 2, `my tasks in the tray: ${JSON.stringify(startWork.children.map((e) => e.label))}`);
  await tray.click('Start Work', mine[1].label);
  await waitFor('the window to show the task started from the tray', async () => {
    const shown = await find('[data-testid=timer-task]');
    return shown.length === 1 && (await text(shown[0])) === mine[1].label;
  });
  await tray.click('Stop');
  await answerReview('review-draft');
  await waitFor('the second entry to reach the server', async () => (await entriesOnServer(server.url)).length === 2);
});

/** Answers the review dialog a Stop outside the window opened there: `button` is its test id. */
async function answerReview(button) {
  await followWindow();
  await waitFor('the review dialog in the window', async () => (await find('[data-testid=review]')).length === 1);
  await click((await find(`[data-testid=${button}]`))[0]);
  await waitFor('the dialog to close', async () => (await find('[data-testid=review]')).length === 0);
}

/** The demo workspace's admin: their bearer header and the workspace's API root. */
async function signInAdmin() {
  const admin = await fetch(`${server.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ANA.password, device_name: 'e2e admin' }),
  }).then((r) => r.json());
  return {
    auth: { authorization: `Bearer ${admin.token}` },
    workspace: `${server.url}/api/v1/workspaces/${admin.workspaces[0].id}`,
  };
}

/** An admin changes the workspace's time settings; then the desktop has them. */
async function changeTimeSettings(change) {
  const { auth, workspace } = await signInAdmin();
  const changed = await fetch(`${workspace}/time/settings`, {
    method: 'PATCH',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  assert.equal(changed.status, 200, await changed.text());
  await waitFor('the desktop to have the settings', async () => {
    await deskCall({ method: 'sync_now' });
    const settings = await deskCall({ method: 'time_settings' });
    return Object.entries(change).every(([key, value]) => settings[key] === value);
  });
}

/** The shortest idle threshold the workspace allows, one minute, on the desktop. */
const idleMinutesOne = () => changeTimeSettings({ idle_minutes: 1 });

/** Starts the first task of the tray's Start Work; its title. */
async function startFromTray() {
  const startWork = (await tray.menu()).find((e) => e.label === 'Start Work');
  const task = startWork.children.find(isTask).label;
  await tray.click('Start Work', task);
  await waitFor('the timer', async () => (await tray.menu())[0].label.startsWith(`${task} — `));
  return task;
}

/** Input every few seconds for `ms`: X11 sees the user present all along. */
async function keepMovingFor(ms) {
  const until = Date.now() + ms;
  for (let x = 100; Date.now() < until; x = x === 100 ? 110 : 100) {
    execFileSync('xdotool', ['mousemove', String(x), '100']);
    await new Promise((resolve) => setTimeout(resolve, Math.min(4000, Math.max(0, until - Date.now()))));
  }
}

/** The idle dialog the window raises, once the notification about it came. */
async function idlePromptAfter(seenNotifications) {
  const told = await waitFor('the notification', () =>
    notifications.received.slice(seenNotifications).find((n) => n.body.startsWith('You were away for')));
  const [dialog] = await waitFor('the window to ask', async () => {
    const found = await find('[data-testid=idle-prompt]');
    return found.length === 1 ? found : null;
  });
  return { told, dialog, prompt: await deskCall({ method: 'idle_prompt' }) };
}

/** The window was closed and opened again (above): WebDriver follows the new one. */
async function followWindow() {
  const [handle] = await wd('GET', `/session/${session}/window/handles`);
  await wd('POST', `/session/${session}/window`, { handle });
}

/** One Desk call from inside the window, as the UI makes it. */
const deskCall = (call) =>
  wd('POST', `/session/${session}/execute/async`, {
    script: "const done = arguments[1]; window.__TAURI_INTERNALS__.invoke('desk', { call: arguments[0] }).then(done, (e) => done({ error: e }));",
    args: [call],
  });

test('an admin stopping the timer reaches the desktop as a notification naming them', DEADLINE, async () => {
  const startWork = (await tray.menu()).find((e) => e.label === 'Start Work');
  await tray.click('Start Work', startWork.children.find(isTask).label);
  const { auth, workspace } = await signInAdmin();
  const timers = `${workspace}/timers`;
  const [running] = await waitFor('the timer on the server', async () => {
    const now = await fetch(timers, { headers: auth }).then((r) => r.json());
    return now.timers.length === 1 ? now.timers : null;
  });
  const stopped = await fetch(`${timers}/${running.timer_id}/stop`, { method: 'POST', headers: auth });
  assert.equal(stopped.status, 200);

  const shown = await waitFor('the notification', () =>
    notifications.received.find((n) => n.body === 'Your timer was stopped: by Ada Admin.'));
  assert.equal(shown.summary, 'Stint');
  await waitFor('the tray to show the timer stopped', async () => (await tray.menu())[0].label === 'Not tracking');
  // Told once: later changes (the sync that follows) do not repeat it.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(notifications.received.filter((n) => n.body === shown.body).length, 1);
});

/** X windows titled "Stint" (the main window), by id. */
function stintWindows() {
  try {
    return execFileSync('xdotool', ['search', '--onlyvisible', '--name', '^Stint$'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
}

test('closing the window keeps the tray running; Open Stint brings the window back', DEADLINE, async () => {
  assert.ok(stintWindows().length > 0, 'the window is open');
  // Close it the way the window manager's close button does (a close request to the window);
  // WebDriver's own "close window" would end the session and the app with it.
  await wd('POST', `/session/${session}/execute/sync`, {
    // Asked a moment later, so this script's answer gets out before the window is gone.
    script: "setTimeout(() => window.__TAURI_INTERNALS__.invoke('plugin:window|close', { label: 'main' }), 100); return true;",
    args: [],
  });
  await waitFor('the window to close', () => stintWindows().length === 0);
  // The app lives on in the tray and still answers.
  const menu = await tray.menu();
  assert.equal(menu[0].label, 'Not tracking');
  await tray.click('Open Stint');
  await waitFor('the window to come back', () => stintWindows().length > 0);
});

test('a second launch hands over to the running app and ends', DEADLINE, async () => {
  assert.equal(stintWindows().length, 1, 'one window to begin with');
  const second = spawn(path.join(binDir, 'stint'), ['--data-dir', tempDir('second'), '--server', server.url], {
    stdio: 'ignore',
  });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the second launch is still running')), 15000);
    second.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  }).finally(() => second.kill());
  assert.equal(code, 0);
  assert.equal(stintWindows().length, 1, 'no second window');
  // The first one goes on.
  assert.equal((await tray.menu())[0].label, 'Not tracking');
});

test('Start Stint at login, in the tray, writes the autostart entry and takes it back', DEADLINE, async () => {
  const dir = path.join(appHome, '.config/autostart');
  const entries = () => (existsSync(dir) ? readdirSync(dir) : []);
  const toggle = async () => (await tray.menu()).find((e) => e.label === 'Start Stint at login');
  assert.equal((await toggle()).checked, false);
  assert.deepEqual(entries(), []);

  await tray.click('Start Stint at login');
  const [file] = await waitFor('the autostart entry', () => (entries().length === 1 ? entries() : null));
  const desktopEntry = readFileSync(path.join(dir, file), 'utf8');
  assert.match(desktopEntry, /^Exec=\S*stint --hidden$/m, desktopEntry);
  await waitFor('the tray to show it on', async () => (await toggle()).checked);

  await tray.click('Start Stint at login');
  await waitFor('the entry to be gone', () => entries().length === 0);
  await waitFor('the tray to show it off', async () => !(await toggle()).checked);
});

test('the global shortcut starts the latest task and stops it from any app; one another app holds is turned off, saying why', DEADLINE, async () => {
  await followWindow();
  assert.equal((await tray.menu())[0].label, 'Not tracking');
  const startWork = (await tray.menu()).find((e) => e.label === 'Start Work');
  const latest = startWork.children.find(isTask).label;

  execFileSync('xdotool', ['key', 'ctrl+alt+s']);
  await waitFor('the timer started by the shortcut', async () => (await tray.menu())[0].label.startsWith(`${latest} — `));
  await waitFor('its notification', () => notifications.received.find((n) => n.body === `Started “${latest}”.`));
  execFileSync('xdotool', ['key', 'ctrl+alt+s']);
  await waitFor('the timer stopped by the shortcut', async () => (await tray.menu())[0].label === 'Not tracking');
  await waitFor('its notification', () =>
    notifications.received.find((n) => n.body.startsWith(`Stopped “${latest}” at `)));
  await answerReview('review-draft');

  // Another app holds Ctrl+Alt+K: choosing it turns the shortcut off, and the window says why.
  // It holds the keys while its stdin stays open.
  const holder = spawn('python3', [path.join(import.meta.dirname, 'grab-key.py'), 'k'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  try {
    await deskCall({ method: 'set_shortcut', args: { shortcut: 'Ctrl+Alt+K' } });
    const refused = await waitFor('the shortcut turned off', async () => {
      const device = await deskCall({ method: 'device_settings' });
      return device.shortcut === null ? device : null;
    });
    assert.match(refused.shortcut_problem, /“Ctrl\+Alt\+K” is taken by another app/);
  } finally {
    holder.kill();
  }
  // Chosen again (free now), it works again.
  await deskCall({ method: 'set_shortcut', args: { shortcut: 'Ctrl+Alt+K' } });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await deskCall({ method: 'device_settings' })).shortcut_problem, null);
  execFileSync('xdotool', ['key', 'ctrl+alt+k']);
  await waitFor('the timer started by the new shortcut', async () => (await tray.menu())[0].label.startsWith(`${latest} — `));
  execFileSync('xdotool', ['key', 'ctrl+alt+k']);
  await waitFor('and stopped', async () => (await tray.menu())[0].label === 'Not tracking');
  await answerReview('review-draft');
});

test('away for the idle minutes with a timer running, the desktop asks on return; Discard ends the entry where the user left', { timeout: 240000 }, async () => {
  await followWindow();
  await idleMinutesOne();
  const before = (await entriesOnServer(server.url)).length;

  execFileSync('xdotool', ['mousemove', '200', '200']); // present: the last input is now
  const leftAt = Date.now();
  const task = await startFromTray();

  // Real X11 idle time: no input for a minute and more (the tray host talks D-Bus, not X).
  await new Promise((resolve) => setTimeout(resolve, 70000));
  assert.deepEqual(await find('[data-testid=idle-prompt]'), [], 'not asked while still away');
  execFileSync('xdotool', ['mousemove', '300', '300']); // back
  const backAt = Date.now();

  const { told, dialog } = await idlePromptAfter(0);
  assert.match(told.body, new RegExp(`^You were away for 1 min while “${task}” ran`));
  assert.match(await text(dialog), /You were away for 1 min/);
  const screenshot = await wd('GET', `/session/${session}/screenshot`);
  writeFileSync(path.join(artifacts, 'desktop-idle-prompt.png'), Buffer.from(screenshot, 'base64'));

  await click((await find('[data-testid=idle-discard]'))[0]);
  await waitFor('the dialog to close', async () => (await find('[data-testid=idle-prompt]')).length === 0);
  // The timer goes on from the return, on the same task.
  const timer = await deskCall({ method: 'current_timer' });
  assert.equal(timer.task.title, task);
  const startedAt = Date.parse(timer.started_at);
  assert.ok(startedAt >= backAt - 1000 && startedAt <= Date.now(), `the timer goes on from ${timer.started_at}`);
  // The entry ends where the user left: it holds the seconds before, not the minute away.
  const entries = await waitFor('the entry on the server', async () => {
    const all = await entriesOnServer(server.url);
    return all.length === before + 1 ? all : null;
  });
  const entry = entries.find((e) => Date.parse(e.started_at) >= leftAt - 1000);
  assert.ok(entry, JSON.stringify(entries));
  assert.ok(entry.raw_duration_secs < 15, `the entry holds ${entry.raw_duration_secs} s`);
  assert.ok(Date.parse(entry.ended_at) < backAt - 60000, `it ends at ${entry.ended_at}`);
  assert.equal(entry.status, 'draft');

  await tray.click('Stop');
  await waitFor('the timer stopped', async () => (await tray.menu())[0].label === 'Not tracking');
  await answerReview('review-draft');
});

/** Within `slack` ms of an instant (the ISO string of a prompt). */
function near(iso, at, slack, what) {
  const off = Date.parse(iso) - at;
  assert.ok(Math.abs(off) <= slack, `${what}: ${iso} is ${off} ms from ${new Date(at).toISOString()}`);
}

test('a screen locked for the idle minutes is time away from the lock on, though the lock screen took input; asked on unlock', { timeout: 240000 }, async () => {
  await idleMinutesOne();
  const task = await startFromTray();
  const seen = notifications.received.length;
  const lockedAt = Date.now();
  logind.lock();
  // The lock screen takes input (a nudged mouse, the password): X11 sees the user present.
  await keepMovingFor(70000);
  assert.deepEqual(await find('[data-testid=idle-prompt]'), [], 'not asked while locked');
  const unlockedAt = Date.now();
  logind.unlock();

  const { told, prompt } = await idlePromptAfter(seen);
  assert.match(told.body, new RegExp(`^You were away for 1 min while “${task}” ran`));
  near(prompt.since, lockedAt, 2000, 'away since the lock');
  near(prompt.back_at, unlockedAt, 5000, 'back at the unlock');
  const screenshot = await wd('GET', `/session/${session}/screenshot`);
  writeFileSync(path.join(artifacts, 'desktop-idle-after-lock.png'), Buffer.from(screenshot, 'base64'));

  // Keep: the time counts, the timer runs on from its start.
  const startedAt = (await deskCall({ method: 'current_timer' })).started_at;
  await click((await find('[data-testid=idle-keep]'))[0]);
  await waitFor('the dialog to close', async () => (await find('[data-testid=idle-prompt]')).length === 0);
  assert.equal((await deskCall({ method: 'current_timer' })).started_at, startedAt);
  await tray.click('Stop');
  await waitFor('the timer stopped', async () => (await tray.menu())[0].label === 'Not tracking');
  await answerReview('review-draft');
});

test('a sleep logind tells is time away: the desktop asks as soon as the user is back after the wake', { timeout: 240000 }, async () => {
  await idleMinutesOne();
  const task = await startFromTray();
  const seen = notifications.received.length;
  execFileSync('xdotool', ['mousemove', '150', '150']); // the last input before the sleep
  const sleptAt = Date.now();
  logind.sleep();
  // Nothing here suspends the machine, so X11's idle counter would go on counting; in a real
  // sleep it stands still. Input keeps it near zero: only logind's word can make this an absence.
  await keepMovingFor(65000);
  const wokeAt = Date.now();
  logind.wake();
  // Back: the lid opened, the user works on (the input after the wake ends the absence).
  await new Promise((resolve) => setTimeout(resolve, 1000));
  execFileSync('xdotool', ['mousemove', '160', '160']);

  // The looks come every 30 s while the user is present; the wake brings one at once.
  const { told, prompt } = await idlePromptAfter(seen);
  assert.ok(Date.now() - wokeAt < 15000, `asked ${Date.now() - wokeAt} ms after the wake`);
  assert.match(told.body, new RegExp(`^You were away for 1 min while “${task}” ran`));
  near(prompt.since, sleptAt, 6000, 'away since the sleep');

  await click((await find('[data-testid=idle-discard-stop]'))[0]);
  await waitFor('the timer stopped', async () => (await tray.menu())[0].label === 'Not tracking');
});

test('Pomodoro: the tray shows the phase and the minutes left; each phase change is a notification, the break pauses the timer', { timeout: 240000 }, async () => {
  // The shortest phases the workspace allows: one minute.
  await changeTimeSettings({ pomodoro_focus_minutes: 1, pomodoro_break_minutes: 1 });
  const task = await startFromTray();
  const seen = notifications.received.length;
  await deskCall({ method: 'start_pomodoro' });
  await waitFor('the focus in the tray', async () => (await tray.menu())[0].label === `${task} — Focus, 1 min left`);

  // At work all along (the idle minutes are one too).
  await keepMovingFor(60000);
  const told = await waitFor('the break told', () =>
    notifications.received.slice(seen).find((n) => n.body.startsWith('Focus 1 of 4 done.')));
  assert.equal(told.body, 'Focus 1 of 4 done. Take a 1-minute break.');
  await waitFor('the break in the tray', async () => (await tray.menu())[0].label === `${task} — Short break, 1 min left`);
  assert.equal((await deskCall({ method: 'current_timer' })).state, 'paused');
  await waitFor('the paused icon', async () => (await trayIconColour()) === ICON_COLOURS.paused);

  await deskCall({ method: 'end_pomodoro' });
  await tray.click('Stop');
  await waitFor('the timer stopped', async () => (await tray.menu())[0].label === 'Not tracking');
  await answerReview('review-draft');
});
