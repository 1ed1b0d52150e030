import type { MyTasks } from './generated/MyTasks';
import type { Task } from './generated/Task';

export interface TaskGroups {
  /** Used lately on this device, latest first. */
  recent: Task[];
  /** Assigned to the user by name or through one of their teams, and not in `recent`. */
  mine: Task[];
  others: Task[];
}

/**
 * Filters by every word of `query` (title or project), then splits into recent, mine and the
 * rest; a task shows in one list only.
 */
export function groupTasks(tasks: Task[], meId: string, my: MyTasks, query: string): TaskGroups {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = tasks.filter((task) => {
    const text = `${task.title} ${task.project_name}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const byId = new Map(matching.map((task) => [task.id, task]));
  const recent = my.recent_task_ids.flatMap((id) => byId.get(id) ?? []);
  const rest = matching.filter((task) => !recent.includes(task));
  const isMine = (task: Task) =>
    task.assignees.some((a) => a.user_id === meId) ||
    task.teams.some((t) => my.team_ids.includes(t.team_id));
  return { recent, mine: rest.filter(isMine), others: rest.filter((t) => !isMine(t)) };
}

export const statusLabel: Record<Task['status'], string> = {
  open: 'Open',
  in_progress: 'In progress',
  completed: 'Completed',
};
