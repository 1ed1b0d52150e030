// Typed calls to Desk. The payload types are generated from the Rust structs (stint-api).

import { createBackend } from './backend';
import type { CurrentTimer } from './generated/CurrentTimer';
import type { Session } from './generated/Session';
import type { SyncStatus } from './generated/SyncStatus';
import type { Task } from './generated/Task';
import type { WeekEntry } from './generated/WeekEntry';

export const backend = createBackend();

export const desk = {
  session: () => backend.call<Session | null>({ method: 'session' }),
  signIn: (server_url: string, email: string, password: string) =>
    backend.call<Session>({ method: 'sign_in', args: { server_url, email, password } }),
  signOut: () => backend.call<null>({ method: 'sign_out' }),
  tasks: () => backend.call<Task[]>({ method: 'tasks' }),
  startWork: (task_id: string) => backend.call<CurrentTimer>({ method: 'start_work', args: { task_id } }),
  pause: () => backend.call<CurrentTimer>({ method: 'pause' }),
  resume: () => backend.call<CurrentTimer>({ method: 'resume' }),
  stop: () => backend.call<WeekEntry>({ method: 'stop' }),
  currentTimer: () => backend.call<CurrentTimer | null>({ method: 'current_timer' }),
  weekEntries: () => backend.call<WeekEntry[]>({ method: 'week_entries' }),
  syncNow: () => backend.call<SyncStatus>({ method: 'sync_now' }),
  syncStatus: () => backend.call<SyncStatus>({ method: 'sync_status' }),
};
