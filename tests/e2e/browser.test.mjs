// The real UI in headless Chromium, against the dev bridge (the real Rust core) and a real
// workspace server: sign in, Start Work, stop and review, and the entry is listed and reaches
// the server.

import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ADMIN_EMAIL, ANA, artifacts, binDir, entriesOnServer, onServer, root, runningTimerOnServer, start, startServer, stopAndDescribeOnAnotherDevice, tempDir, waitFor } from './harness.mjs';

let server;
let bridge;
let bridgeUrl;
let browser;

// Nothing here may hang a CI run: every step has a deadline.
const DEADLINE = { timeout: 120000 };

/** A dev bridge (the real Rust core) with a data directory of its own: its process and URL. */
async function startBridge() {
  const child = start(path.join(binDir, 'stint-bridge'), [
    '--data-dir', tempDir('bridge'),
    '--ui-dir', path.join(root, 'ui/dist'),
  ]);
  const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
  return { child, url: JSON.parse(line).url };
}

before(async () => {
  server = await startServer();
  ({ child: bridge, url: bridgeUrl } = await startBridge());
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, DEADLINE);

after(async () => {
  await browser?.close();
  bridge?.kill();
  server?.child?.kill();
}, DEADLINE);

test('sign in, start work, stop: the entry is listed and synced', DEADLINE, async () => {
  const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
  await page.goto(`${bridgeUrl}&server=${encodeURIComponent(server.url)}`);

  // A wrong password is refused with a clear message and nothing else changes.
  await page.getByLabel('Email').fill(ANA.email);
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();

  await page.getByLabel('Password').fill(ANA.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Assigned to me' }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'browser-tasks.png') });

  // Type to filter, then start work on the match.
  await page.getByTestId('search').fill('blog');
  const task = page.getByTestId('task').first();
  const title = (await task.locator('.title').textContent()).trim();
  assert.equal(title, 'Migrate blog posts');
  await task.click();
  await page.getByTestId('timer-task').filter({ hasText: title }).waitFor();
  // The task worked on heads the list, under "Recent", and is listed once.
  await page.getByRole('heading', { name: 'Recent' }).waitFor();
  assert.equal(await page.getByTestId('task').first().locator('.title').textContent(), title);
  assert.equal(await page.getByTestId('task').filter({ hasText: title }).count(), 1);
  await page.screenshot({ path: path.join(artifacts, 'browser-running.png') });

  // Stop opens the review dialog (T4): the hours take `1:30`, a bad value is refused in place.
  await page.getByTestId('stop').click();
  const review = page.getByTestId('review');
  await review.waitFor();
  await page.getByTestId('idle').waitFor();
  assert.match(await page.getByTestId('review-counted').textContent(), /^\s*Counted 0:00/);
  await page.getByTestId('review-hours').fill('an hour');
  await page.getByTestId('review-submit').click();
  await review.getByRole('alert').filter({ hasText: 'Type the hours like 1:30' }).waitFor();
  await page.getByTestId('review-hours').fill('1:30');
  await page.getByTestId('review-notes').fill('Moved the first ten posts');
  await page.getByTestId('review-billable').check();
  // The task's progress, too: a bad % is refused in place.
  await page.getByTestId('review-task-percent').fill('150');
  await page.getByTestId('review-submit').click();
  await review.getByRole('alert').filter({ hasText: 'from 0 to 100' }).waitFor();
  await page.getByTestId('review-task-percent').fill('60');
  await page.screenshot({ path: path.join(artifacts, 'browser-review.png') });
  await page.getByTestId('review-notes').press('Enter');
  await review.waitFor({ state: 'detached' });

  await page.getByTestId('tab-week').click();
  const entry = page.getByTestId('entry').filter({ hasText: title });
  await entry.filter({ hasText: 'submitted' }).filter({ hasText: '1:30' }).waitFor();
  // The sync loop pushes the change on its own.
  await page.getByTestId('entry').filter({ hasNotText: 'waiting to sync' }).waitFor({ timeout: 15000 });
  await page.screenshot({ path: path.join(artifacts, 'browser-week.png') });

  const held = await onServer(server.url);
  let entries = held.entries;
  assert.equal(entries.length, 1);
  assert.deepEqual(
    [entries[0].status, entries[0].duration_secs, entries[0].description, entries[0].billable],
    ['submitted', 5400, 'Moved the first ten posts', true],
  );
  const worked = held.tasks.find((t) => t.id === entries[0].task_id);
  assert.deepEqual([worked.status, worked.percent_complete], ['in_progress', 60]);

  // Discarding throws time away: it asks first, and "Keep it" keeps it.
  await page.getByRole('button', { name: 'Track' }).click();
  await page.getByTestId('search').fill('blog');
  await page.getByTestId('task').first().click();
  await page.getByTestId('timer-task').waitFor();
  await page.keyboard.press('Control+s');
  await review.waitFor();
  await page.getByTestId('review-discard').click();
  await page.getByTestId('discard-confirm').waitFor();
  await page.screenshot({ path: path.join(artifacts, 'browser-discard-confirm.png') });
  await page.getByRole('button', { name: 'Keep it' }).click();
  // Save draft keeps it in the week, where it can be reviewed again.
  await page.getByTestId('review-draft').click();
  await review.waitFor({ state: 'detached' });
  await page.getByTestId('tab-week').click();
  const draft = page.getByTestId('entry').filter({ hasText: 'draft' });
  await draft.waitFor();
  await draft.getByTestId('entry-review').click();
  await page.getByTestId('review-discard').click();
  await page.getByTestId('discard-yes').click();
  await review.waitFor({ state: 'detached' });
  await page.getByTestId('entry').filter({ hasText: 'draft' }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Sync now' }).click();
  await page.getByText(/^Synced at/).waitFor({ timeout: 15000 });
  entries = await entriesOnServer(server.url);
  assert.equal(entries.length, 1, 'the discarded draft never stays on the server');
});

test('Pomodoro on the timer: a break pauses it, skipping the break resumes it, ending leaves a plain timer', DEADLINE, async () => {
  const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
  await page.goto(`${bridgeUrl}&server=${encodeURIComponent(server.url)}`);
  await page.getByTestId('search').fill('blog');
  await page.getByTestId('task').first().click();
  await page.getByTestId('timer-task').waitFor();

  await page.getByTestId('pomodoro-start').click();
  const phase = page.getByTestId('pomodoro');
  await phase.filter({ hasText: /^\s*Focus 1 of 4 · 2[45]:\d\d left\s*$/ }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'browser-pomodoro-focus.png') });
  await page.getByTestId('pomodoro-skip').click();
  await phase.filter({ hasText: /Short break · [45]:\d\d left/ }).waitFor();
  await page.getByTestId('resume').waitFor(); // the break paused the timer
  await page.screenshot({ path: path.join(artifacts, 'browser-pomodoro-break.png') });
  await page.getByTestId('pomodoro-skip').click();
  await phase.filter({ hasText: /Focus 2 of 4/ }).waitFor();
  await page.getByTestId('pause').waitFor();
  await page.getByTestId('pomodoro-end').click();
  await phase.waitFor({ state: 'detached' });
  await page.getByTestId('pomodoro-start').waitFor();
  await page.getByTestId('pause').waitFor(); // still running

  await page.getByTestId('stop').click();
  await page.getByTestId('review-discard').click();
  await page.getByTestId('discard-yes').click();
  await page.getByTestId('idle').waitFor();
  await page.close();
});

test('a change the server decided otherwise about is listed in plain words and can be dismissed', DEADLINE, async () => {
  const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
  await page.goto(bridgeUrl);
  await page.getByRole('heading', { name: 'Assigned to me' }).waitFor();

  // The laptop starts work on a task, which reaches the server; then, offline, it stops it.
  await page.getByTestId('search').fill('blog');
  const task = page.getByTestId('task').first();
  const title = (await task.locator('.title').textContent()).trim();
  await task.click();
  await page.getByTestId('timer-task').filter({ hasText: title }).waitFor();
  const running = await waitFor('the start on the server', () => runningTimerOnServer(server.url));
  server.child.kill('SIGKILL');
  await page.getByTestId('stop').click();
  await page.getByTestId('idle').waitFor();
  // Esc closes the review: the entry stays a draft.
  await page.getByTestId('review').waitFor();
  await page.keyboard.press('Escape');
  await page.getByTestId('review').waitFor({ state: 'detached' });

  // Meanwhile Ana's phone stopped that timer too, a moment later, and wrote notes on its entry:
  // someone acted on the server's entry, so it stays, and the laptop's stop is reconciled to
  // it (had nobody touched it, the laptop's earlier stop would have replaced it).
  await server.restart();
  await stopAndDescribeOnAnotherDevice(server.url, running.id, 'Notes from the phone');
  await page.getByRole('button', { name: 'Sync now' }).click();
  const badge = page.getByTestId('issues-badge');
  await badge.filter({ hasText: '1 sync issue' }).waitFor({ timeout: 15000 });
  await badge.click();
  const issue = page.getByTestId('sync-issue');
  await issue.waitFor();
  assert.match(await issue.getByTestId('sync-issue-change').textContent(), new RegExp(`^Stop work on “${title}” at `));
  assert.match(await issue.textContent(), /Server kept its version/);
  assert.match(await issue.textContent(), /The server's entry: /);
  await page.screenshot({ path: path.join(artifacts, 'browser-sync-issues.png') });

  await issue.getByTestId('dismiss-issue').click();
  await page.getByTestId('no-issues').waitFor();
  assert.equal(await badge.count(), 0);
  await page.getByRole('button', { name: 'Track' }).click();
  await page.getByTestId('idle').waitFor();
});

test('a user in two workspaces switches between them, not while changes wait', DEADLINE, async () => {
  const twoWorkspaces = await startServer(['--second-workspace']);
  const own = await startBridge();
  try {
    const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
    await page.goto(`${own.url}&server=${encodeURIComponent(twoWorkspaces.url)}`);
    await page.getByLabel('Email').fill(ANA.email);
    await page.getByLabel('Password').fill(ANA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Assigned to me' }).waitFor();
    const chooser = page.getByTestId('workspace');
    const first = await chooser.inputValue();
    const options = await chooser.locator('option').evaluateAll((all) => all.map((o) => [o.value, o.textContent]));
    assert.equal(options.length, 2);
    const [second] = options.find(([id]) => id !== first);

    // The other workspace's tasks, and none of the first's.
    await chooser.selectOption(second);
    await page.getByTestId('task').filter({ hasText: 'Draft the colour palette' }).waitFor();
    assert.equal(await page.getByTestId('task').filter({ hasText: 'Migrate blog posts' }).count(), 0);
    await page.screenshot({ path: path.join(artifacts, 'browser-second-workspace.png') });

    // A running timer is a change waiting to be sent (offline: it cannot be): the switch is
    // refused with the reason, and the chooser shows the workspace still open.
    twoWorkspaces.child.kill('SIGKILL');
    await page.getByTestId('task').filter({ hasText: 'Draft the colour palette' }).click();
    await page.getByTestId('timer-task').waitFor();
    await chooser.selectOption(first);
    await page.getByRole('alert').filter({ hasText: /waiting|sync/i }).waitFor();
    assert.equal(await chooser.inputValue(), second);
    await page.screenshot({ path: path.join(artifacts, 'browser-switch-refused.png') });

    // Once sent, the switch goes through and the first workspace's tasks are back.
    await twoWorkspaces.restart();
    await page.getByTestId('stop').click();
    await page.getByTestId('idle').waitFor();
    await page.getByTestId('review-draft').click();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByText(/^Synced at/).waitFor({ timeout: 15000 });
    await chooser.selectOption(first);
    await page.getByTestId('task').filter({ hasText: 'Migrate blog posts' }).waitFor();
    assert.equal(await chooser.inputValue(), first);
  } finally {
    own.child.kill();
    twoWorkspaces.child?.kill();
  }
});

test('an admin changes the time settings; a refused value is shown beside its field', DEADLINE, async () => {
  const admin = await startBridge();
  const signIn = async (email) => fetch(`${server.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: ANA.password, device_name: 'e2e admin check' }),
  }).then((r) => r.json());
  const onServer = async () => {
    const { token, workspaces } = await signIn(ADMIN_EMAIL);
    return fetch(`${server.url}/api/v1/workspaces/${workspaces[0].id}/time/settings`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json());
  };
  try {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    await page.goto(`${admin.url}&server=${encodeURIComponent(server.url)}`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ANA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('tab-settings').click();
    const form = page.getByTestId('time-settings');
    await form.waitFor();

    await page.getByTestId('idle_minutes').fill('0');
    await page.getByTestId('rounding_minutes').selectOption('15');
    await page.getByTestId('save-settings').click();
    await form.getByRole('alert').filter({ hasText: 'idle_minutes must be 1 to 480' }).waitFor();
    await page.screenshot({ path: path.join(artifacts, 'browser-settings-refused.png'), fullPage: true });
    assert.equal((await onServer()).rounding_minutes, 0, 'a refused change changes nothing');

    await page.getByTestId('idle_minutes').fill('5');
    await page.getByTestId('save-settings').click();
    await page.getByTestId('settings-saved').waitFor();
    const saved = await onServer();
    assert.deepEqual([saved.idle_minutes, saved.rounding_minutes], [5, 15]);
    await page.screenshot({ path: path.join(artifacts, 'browser-settings.png'), fullPage: true });

    // Members see this computer's settings (the shortcut, D5), not the workspace's.
    const member = await browser.newPage({ viewport: { width: 420, height: 640 } });
    await member.goto(bridgeUrl);
    await member.getByTestId('tab-settings').click();
    await member.getByTestId('device-settings').waitFor();
    assert.equal(await member.getByTestId('time-settings').count(), 0);
    assert.equal(await member.getByTestId('shortcut').inputValue(), 'Ctrl+Alt+S');
    await member.getByTestId('shortcut-on').uncheck();
    await member.getByTestId('save-shortcut').click();
    await member.reload();
    await member.getByTestId('tab-settings').click();
    assert.equal(await member.getByTestId('shortcut-on').isChecked(), false);
    await member.screenshot({ path: path.join(artifacts, 'browser-device-settings.png') });

    // Back as they were, for the other tests.
    await page.getByTestId('idle_minutes').fill('10');
    await page.getByTestId('rounding_minutes').selectOption('0');
    await page.getByTestId('save-settings').click();
    await page.getByTestId('settings-saved').waitFor();
  } finally {
    admin.child.kill();
  }
});

test('an admin sees who is tracking what, pauses and stops a timer; its owner is told who', DEADLINE, async () => {
  const admin = await startBridge();
  try {
    const member = await browser.newPage({ viewport: { width: 420, height: 640 } });
    await member.goto(bridgeUrl);
    await member.getByRole('heading', { name: 'Assigned to me' }).waitFor();
    assert.equal(await member.getByTestId('tab-team').count(), 0, 'members have no Team now');
    await member.getByTestId('task').first().click();
    await member.getByTestId('timer-task').waitFor();

    const { token, workspaces } = await fetch(`${server.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ANA.password, device_name: 'e2e team check' }),
    }).then((r) => r.json());
    await waitFor('the start on the server', async () => {
      const now = await fetch(`${server.url}/api/v1/workspaces/${workspaces[0].id}/timers`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.json());
      return now.timers.length === 1;
    });

    const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
    await page.goto(`${admin.url}&server=${encodeURIComponent(server.url)}`);
    await page.getByLabel('Email').fill(ADMIN_EMAIL);
    await page.getByLabel('Password').fill(ANA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('tab-team').click();
    const row = page.getByTestId('running-timer').filter({ hasText: ANA.name });
    await row.waitFor();
    await page.screenshot({ path: path.join(artifacts, 'browser-team-now.png') });

    await row.getByTestId('pause-timer').click();
    await member.getByTestId('sync-notice').filter({ hasText: 'Your timer was paused: by Ada Admin.' }).waitFor();
    await member.locator('.timer-card.paused').waitFor();

    await row.getByTestId('stop-timer').click();
    await row.getByTestId('confirm-stop').waitFor();
    await page.screenshot({ path: path.join(artifacts, 'browser-team-now-stop.png') });
    await row.getByTestId('confirm-stop').click();
    await page.getByTestId('team-now-empty').waitFor();
    await member.getByTestId('sync-notice').filter({ hasText: 'Your timer was stopped: by Ada Admin.' }).waitFor();
    await member.getByTestId('idle').waitFor();
    await member.getByTestId('tab-week').click();
    await member.getByTestId('entry').first().filter({ hasText: 'draft' }).waitFor();
    await member.screenshot({ path: path.join(artifacts, 'browser-stopped-by-admin.png') });
  } finally {
    admin.child.kill();
  }
});

/** Ana's workspace changed by its admin through the API: `path` under the workspace, PATCHed. */
async function asAdmin(path, change) {
  const { token, workspaces } = await fetch(`${server.url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ANA.password, device_name: 'e2e admin' }),
  }).then((r) => r.json());
  const answer = await fetch(`${server.url}/api/v1/workspaces/${workspaces[0].id}${path}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  assert.ok(answer.ok, await answer.text());
}

const ANA_ID = '01900000-0000-7000-8000-000000000102';

test('timer access only: stop submits and completes the task; only a required description is asked, the task shown read-only', DEADLINE, async () => {
  await asAdmin(`/members/${ANA_ID}`, { timesheet_access: 'timer_only' });
  const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
  try {
    await page.goto(bridgeUrl);
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByText(/^Synced at/).waitFor({ timeout: 15000 });

    // Stop asks nothing: the entry is submitted and the task completed (T5).
    await page.getByTestId('search').fill('blog');
    await page.getByTestId('task').first().click();
    await page.getByTestId('timer-task').waitFor();
    await page.getByTestId('stop').click();
    await page.getByTestId('idle').waitFor();
    assert.equal(await page.getByTestId('review').count(), 0, 'no review dialog');
    await page.getByTestId('task').filter({ hasText: 'Migrate blog posts' }).filter({ hasText: 'Completed' }).waitFor();
    await page.getByTestId('tab-week').click();
    const submitted = page.getByTestId('entry').filter({ hasText: 'submitted' }).first();
    await submitted.waitFor();
    assert.equal(await submitted.getByTestId('entry-review').count(), 0, 'nothing to review');

    // With a description required, Stop asks for it alone; the task is shown, not edited.
    await asAdmin('/time/settings', { require_description: true });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await page.getByText(/^Synced at/).waitFor({ timeout: 15000 });
    await page.getByRole('button', { name: 'Track' }).click();
    await page.getByTestId('task').first().click();
    await page.getByTestId('timer-task').waitFor();
    await page.getByTestId('stop').click();
    const review = page.getByTestId('review');
    await review.waitFor();
    assert.equal(await page.getByTestId('review-hours').count(), 0, 'hours are not edited');
    assert.equal(await page.getByTestId('review-task-percent').count(), 0, '% complete is not edited');
    assert.match(await page.getByTestId('review-task-read-only').textContent(), /Task: \w.*% complete/);
    assert.equal(await page.getByTestId('review-discard').count(), 0, 'nothing is thrown away');
    await page.screenshot({ path: path.join(artifacts, 'browser-timer-only-description.png') });
    await page.getByTestId('review-notes').fill('Checked the redirects');
    await page.getByTestId('review-submit').click();
    await review.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await waitFor('the described entry on the server', async () =>
      (await entriesOnServer(server.url)).some((e) => e.description === 'Checked the redirects' && e.status === 'submitted'));
  } finally {
    await asAdmin('/time/settings', { require_description: false });
    await asAdmin(`/members/${ANA_ID}`, { timesheet_access: 'full' });
    await page.close();
  }
});

test('the bridge refuses calls without its token or from another origin', DEADLINE, async () => {
  const url = new URL(bridgeUrl);
  const desk = `${url.origin}/desk`;
  const body = JSON.stringify({ method: 'session' });
  const noToken = await fetch(desk, { method: 'POST', body });
  assert.equal(noToken.status, 401);
  const token = url.hash.replace('#bridge=', '');
  const headers = { authorization: `Bearer ${token}` };
  const foreign = await fetch(desk, { method: 'POST', body, headers: { ...headers, origin: 'http://evil.test' } });
  assert.equal(foreign.status, 403);
  const malformed = await fetch(desk, { method: 'POST', body: '{"method":', headers });
  assert.equal(malformed.status, 400);
  assert.equal((await malformed.json()).code, 'malformed_request');
  const noTimer = await fetch(desk, { method: 'POST', body: JSON.stringify({ method: 'stop' }), headers });
  assert.equal((await noTimer.json()).code, 'no_timer');
});
