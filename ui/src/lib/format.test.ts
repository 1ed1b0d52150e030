import { describe, expect, it } from 'vitest';
import { clockWarning, durationWords, pomodoroText, elapsedAt, formatHm, formatHms, parseDuration, syncLabel } from './format';
import type { CurrentTimer } from './generated/CurrentTimer';

const timer = (state: 'running' | 'paused'): CurrentTimer => ({
  timer_id: 't',
  task: {
    id: 'task',
    title: 'Write docs',
    status: 'in_progress',
    percent_complete: 0,
    project_id: 'p',
    project_name: 'Docs',
    project_color: '#3b82f6',
    assignees: [],
    teams: [],
  },
  state,
  started_at: '2026-11-23T09:00:00Z',
  elapsed_secs: 600,
  as_of: '2026-11-23T09:10:00Z',
  segments: [],
  pomodoro: null,
});

describe('durations', () => {
  it('formats h:mm and h:mm:ss with padding', () => {
    expect(formatHm(0)).toBe('0:00');
    expect(formatHm(3599)).toBe('0:59');
    expect(formatHm(3600 * 26 + 60 * 5)).toBe('26:05');
    expect(formatHms(3661)).toBe('1:01:01');
    expect(formatHm(-5)).toBe('0:00');
  });

  it('adds the time since the reading only while running', () => {
    expect(elapsedAt(timer('running'), 90_000)).toBe(690);
    expect(elapsedAt(timer('paused'), 90_000)).toBe(600);
  });
});

describe('sync label', () => {
  it('speaks calmly about being offline and counts waiting changes', () => {
    const base = { online: false, pending: 3, issues: 0, progress: null, clock_offset_secs: 0, notice: null, last_synced_at: null, last_error: 'down' };
    expect(syncLabel({ ...base, offline_since: '2026-11-23T10:42:00Z' })).toMatch(/^Offline since .+ — 3 changes waiting$/);
    expect(syncLabel({ ...base, pending: 1, offline_since: '2026-11-23T10:42:00Z' })).toMatch(/1 change waiting$/);
    const synced = { online: true, pending: 0, issues: 0, progress: null, clock_offset_secs: 0, notice: null, offline_since: null, last_error: null };
    expect(syncLabel({ ...synced, last_synced_at: '2026-11-23T10:42:00Z' })).toMatch(/^Synced at /);
    expect(syncLabel({ ...synced, last_synced_at: null })).toBe('Not synced yet');
    expect(syncLabel(null)).toBe('Checking sync…');
  });
});

describe('sync progress and the clock', () => {
  const synced = { online: true, pending: 0, issues: 0, clock_offset_secs: 0, notice: null, offline_since: null, last_error: null, last_synced_at: null };

  it('counts a backlog with thousands separators while it syncs', () => {
    const progress = { done: 3200, total: 20000 };
    expect(syncLabel({ ...synced, pending: 16800, progress })).toBe('Syncing 3,200 of 20,000 changes…');
  });

  it('warns only about a clock more than a minute off, in plain words', () => {
    expect(clockWarning(0)).toBeNull();
    expect(clockWarning(-60)).toBeNull();
    expect(clockWarning(7200)).toMatch(/^This computer's clock is 2 h behind the server's\./);
    expect(clockWarning(-7500)).toMatch(/is 2 h 5 min ahead of the server's/);
    expect(clockWarning(180)).toMatch(/is 3 min behind/);
  });
});

describe('typed durations', () => {
  it('reads h:mm, hours, minutes and both', () => {
    for (const text of ['1:30', '1.5h', '1,5 h', '90m', '90 min', '1h 30m', '1h30m', '1.5', ' 1:30 ']) {
      expect(parseDuration(text), text).toBe(5400);
    }
    expect(parseDuration('0:05')).toBe(300);
    expect(parseDuration('2')).toBe(7200);
    expect(parseDuration('0')).toBe(0);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', 'abc', '1:75', '-1', '1h-30m', 'h', '1:3:0']) {
      expect(parseDuration(text), text).toBeNull();
    }
  });
});

describe('durationWords', () => {
  it('says minutes, and hours past the hour', () => {
    expect(durationWords(70)).toBe('1 min');
    expect(durationWords(59 * 60 + 59)).toBe('59 min');
    expect(durationWords(3600 + 5 * 60)).toBe('1 h 05 min');
  });
});

describe('pomodoroText', () => {
  const asOf = '2026-12-07T10:00:00Z';
  it('says the phase, the round and the time left', () => {
    const ends_at = '2026-12-07T10:12:30Z';
    expect(pomodoroText({ phase: 'focus', focus_done: 5, ends_at }, asOf, 0)).toBe('Focus 2 of 4 · 12:30 left');
    expect(pomodoroText({ phase: 'short_break', focus_done: 1, ends_at }, asOf, 30_000)).toBe('Short break · 12:00 left');
    expect(pomodoroText({ phase: 'long_break', focus_done: 4, ends_at }, asOf, 13 * 60000)).toBe('Long break · 0:00 left');
  });
});
