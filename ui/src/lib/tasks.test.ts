import { describe, expect, it } from 'vitest';
import type { Task } from './generated/Task';
import { groupTasks } from './tasks';

const task = (title: string, project: string, assignees: string[]): Task => ({
  id: title,
  title,
  status: 'open',
  percent_complete: 0,
  project_id: project,
  project_name: project,
  project_color: '#000000',
  assignees: assignees.map((user_id) => ({ user_id, name: user_id })),
  teams: [],
});

const tasks = [
  task('Fix checkout redirect', 'Website', ['ben']),
  task('Migrate blog posts', 'Website', ['ana']),
  task('Triage new tickets', 'Support', ['ana', 'ben']),
];

describe('groupTasks', () => {
  it('puts my tasks first and keeps the rest searchable', () => {
    const groups = groupTasks(tasks, 'ana', '');
    expect(groups.mine.map((t) => t.title)).toEqual(['Migrate blog posts', 'Triage new tickets']);
    expect(groups.others.map((t) => t.title)).toEqual(['Fix checkout redirect']);
  });

  it('matches every word against title and project, ignoring case', () => {
    expect(groupTasks(tasks, 'ana', 'website BLOG').mine.map((t) => t.title)).toEqual(['Migrate blog posts']);
    expect(groupTasks(tasks, 'ana', 'support').others).toEqual([]);
    expect(groupTasks(tasks, 'ana', 'nothing matches').mine).toEqual([]);
  });
});
