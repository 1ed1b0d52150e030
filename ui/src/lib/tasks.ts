import type { Task } from './generated/Task';

export interface TaskGroups {
  mine: Task[];
  others: Task[];
}

/** Filters by every word of `query` (title or project), then splits into mine and the rest. */
export function groupTasks(tasks: Task[], meId: string, query: string): TaskGroups {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = tasks.filter((task) => {
    const text = `${task.title} ${task.project_name}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const isMine = (task: Task) => task.assignees.some((a) => a.user_id === meId);
  return { mine: matching.filter(isMine), others: matching.filter((t) => !isMine(t)) };
}

export const statusLabel: Record<Task['status'], string> = {
  open: 'Open',
  in_progress: 'In progress',
  completed: 'Completed',
};
