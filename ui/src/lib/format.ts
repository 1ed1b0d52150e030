// Display rules: durations are `h:mm` everywhere; the running timer shows seconds too.

import type { CurrentTimer } from './generated/CurrentTimer';
import type { EntryFlag } from './generated/EntryFlag';
import type { PomodoroNow } from './generated/PomodoroNow';
import type { SyncStatus } from './generated/SyncStatus';

export function formatHm(secs: number): string {
  const minutes = Math.floor(Math.max(0, secs) / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

export function formatHms(secs: number): string {
  const whole = Math.floor(Math.max(0, secs));
  return `${formatHm(whole)}:${String(whole % 60).padStart(2, '0')}`;
}

/** A stretch of time in words: "45 min", "1 h 05 min" (whole minutes, rounded down). */
export function durationWords(secs: number): string {
  const minutes = Math.floor(Math.max(0, secs) / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** T10: "Focus 2 of 4 · 12:30 left", "Short break · 3:05 left", `sinceMs` after `asOf`. */
export function pomodoroText(pomodoro: PomodoroNow, asOf: string, sinceMs: number): string {
  const left = formatMs(Math.max(0, (Date.parse(pomodoro.ends_at) - Date.parse(asOf) - sinceMs) / 1000));
  if (pomodoro.phase === 'focus') return `Focus ${(pomodoro.focus_done % 4) + 1} of 4 · ${left} left`;
  return `${pomodoro.phase === 'long_break' ? 'Long' : 'Short'} break · ${left} left`;
}

/** 750 → "12:30" (minutes and seconds). */
function formatMs(secs: number): string {
  const whole = Math.ceil(secs);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * Counted seconds of `timer`, `sinceMs` after it was read: its figure plus the time since, if
 * running. (Time since the reading, on this device's clock: `as_of` is on the server's, which
 * may differ by minutes.)
 */
export function elapsedAt(timer: CurrentTimer, sinceMs: number): number {
  if (timer.state !== 'running') return timer.elapsed_secs;
  return timer.elapsed_secs + Math.max(0, sinceMs / 1000);
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function dayLabel(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
}

/** 20000 → "20,000". */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "Synced at 10:42", "Syncing 3,200 of 20,000 changes…", "Offline since 10:42 — 3 changes waiting", … */
export function syncLabel(status: SyncStatus | null): string {
  if (!status) return 'Checking sync…';
  if (status.progress) {
    return `Syncing ${count(status.progress.done)} of ${count(status.progress.total)} changes…`;
  }
  const waiting = status.pending === 1 ? '1 change waiting' : `${status.pending} changes waiting`;
  if (status.offline_since) {
    const since = `Offline since ${clockTime(status.offline_since)}`;
    return status.pending > 0 ? `${since} — ${waiting}` : since;
  }
  if (status.last_error) return `Sync problem: ${status.last_error}`;
  if (status.pending > 0) return `Syncing — ${waiting}`;
  if (status.last_synced_at) return `Synced at ${clockTime(status.last_synced_at)}`;
  return 'Not synced yet';
}

/** "2 h 5 min", "3 min", for a clock difference. */
function span(secs: number): string {
  const minutes = Math.round(Math.abs(secs) / 60);
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${minutes} min`;
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/**
 * A warning when this device's clock is over a minute off the server's, else null. The offset is
 * server minus device: positive means the device is behind.
 */
export function clockWarning(offsetSecs: number): string | null {
  if (Math.abs(offsetSecs) <= 60) return null;
  const way = offsetSecs > 0 ? 'behind' : 'ahead of';
  return `This computer's clock is ${span(offsetSecs)} ${way} the server's. Stint records the server's time; set the clock right to see the same times everywhere.`;
}

/**
 * Seconds from what a person types for hours: `1:30`, `1.5h`, `1,5 h`, `90m`, `1h 30m` or a plain
 * number of hours (`2`, `0.25`). Null when it is none of these.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase().replace(',', '.');
  let match = /^(\d+):([0-5]?\d)$/.exec(t);
  if (match) return Number(match[1]) * 3600 + Number(match[2]) * 60;
  match = /^(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?$/.exec(t);
  if (match && (match[1] || match[2])) {
    return Math.round(Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60);
  }
  match = /^\d+(?:\.\d+)?$/.exec(t);
  if (match) return Math.round(Number(t) * 3600);
  return null;
}

/** Why an entry was flagged (T8, T11), in words; `open`: its author may still change it. */
export function flagText(flag: EntryFlag, open: boolean): string {
  if (flag === 'needs_description') return 'Stopped for you — add a description to submit it';
  return open ? 'Stopped at the runaway limit — check its hours' : 'Stopped at the runaway limit';
}
