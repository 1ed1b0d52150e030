// Typed calls to Desk. Both what a call sends (`DeskCall`) and what it answers (`DeskReplies`)
// are generated from the call table in Rust (stint-api's `desk.rs`), so a change there that the
// UI does not follow fails `npm run check` instead of breaking at run time.

import { createBackend } from './backend';
import type { DeskCall } from './generated/DeskCall';
import type { DeskReplies } from './generated/DeskReplies';
import type { TimeSettingsChange } from './generated/TimeSettingsChange';
import type { TaskProgress } from './generated/TaskProgress';
import type { TimerAction } from './generated/TimerAction';
import type { IdleAnswer } from './generated/IdleAnswer';

export const backend = createBackend();

/** What Desk answers to `C`, as the Rust call table declares it. */
export type DeskReply<C extends DeskCall> = DeskReplies[C['method']];

/** Sends one call. The transport hands back plain JSON; Rust's `DeskHandler` guarantees its type. */
export async function call<C extends DeskCall>(request: C): Promise<DeskReply<C>> {
  return (await backend.call(request)) as DeskReply<C>;
}

export const desk = {
  session: () => call({ method: 'session' }),
  signIn: (server_url: string, email: string, password: string) =>
    call({ method: 'sign_in', args: { server_url, email, password } }),
  signOut: () => call({ method: 'sign_out' }),
  switchWorkspace: (workspace_id: string) => call({ method: 'switch_workspace', args: { workspace_id } }),
  tasks: () => call({ method: 'tasks' }),
  myTasks: () => call({ method: 'my_tasks' }),
  startWork: (task_id: string) => call({ method: 'start_work', args: { task_id } }),
  pause: () => call({ method: 'pause' }),
  resume: () => call({ method: 'resume' }),
  stop: () => call({ method: 'stop' }),
  askedReview: () => call({ method: 'asked_review' }),
  reviewEntry: (
    entry_id: string,
    duration_secs: number,
    description: string,
    billable: boolean,
    submit: boolean,
    task: TaskProgress | null,
  ) => call({ method: 'review_entry', args: { entry_id, duration_secs, description, billable, submit, task } }),
  discardEntry: (entry_id: string) => call({ method: 'discard_entry', args: { entry_id } }),
  timeSettings: () => call({ method: 'time_settings' }),
  changeTimeSettings: (change: TimeSettingsChange) => call({ method: 'change_time_settings', args: { change } }),
  teamNow: () => call({ method: 'team_now' }),
  controlTimer: (timerId: string, action: TimerAction) =>
    call({ method: 'control_timer', args: { timer_id: timerId, action } }),
  currentTimer: () => call({ method: 'current_timer' }),
  idlePrompt: () => call({ method: 'idle_prompt' }),
  startPomodoro: () => call({ method: 'start_pomodoro' }),
  skipPomodoroPhase: () => call({ method: 'skip_pomodoro_phase' }),
  endPomodoro: () => call({ method: 'end_pomodoro' }),
  answerIdle: (answer: IdleAnswer) => call({ method: 'answer_idle', args: { answer } }),
  weekEntries: () => call({ method: 'week_entries' }),
  deviceSettings: () => call({ method: 'device_settings' }),
  setShortcut: (shortcut: string | null) => call({ method: 'set_shortcut', args: { shortcut } }),
  syncNow: () => call({ method: 'sync_now' }),
  syncStatus: () => call({ method: 'sync_status' }),
  syncIssues: () => call({ method: 'sync_issues' }),
  retrySyncIssue: (id: number) => call({ method: 'retry_sync_issue', args: { id } }),
  dismissSyncIssue: (id: number) => call({ method: 'dismiss_sync_issue', args: { id } }),
};
