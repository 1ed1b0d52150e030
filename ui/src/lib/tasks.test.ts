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

const none = { team_ids: [], recent_task_ids: [] };

describe('groupTasks', () => {
  it('puts my tasks first and keeps the rest searchable', () => {
    const groups = groupTasks(tasks, 'ana', none, '');
    expect(groups.mine.map((t) => t.title)).toEqual(['Migrate blog posts', 'Triage new tickets']);
    expect(groups.others.map((t) => t.title)).toEqual(['Fix checkout redirect']);
  });

  it('matches every word against title and project, ignoring case', () => {
    expect(groupTasks(tasks, 'ana', none, 'website BLOG').mine.map((t) => t.title)).toEqual(['Migrate blog posts']);
    expect(groupTasks(tasks, 'ana', none, 'support').others).toEqual([]);
    expect(groupTasks(tasks, 'ana', none, 'nothing matches').mine).toEqual([]);
  });

  it('counts a task assigned to one of my teams as mine', () => {
    const teamTask = { ...task('Plan the sprint', 'Website', []), teams: [{ team_id: 'web', name: 'Web team' }] };
    const mine = (teams: string[]) =>
      groupTasks([...tasks, teamTask], 'ben', { team_ids: teams, recent_task_ids: [] }, '').mine.map((t) => t.title);
    expect(mine(['web'])).toEqual(['Fix checkout redirect', 'Triage new tickets', 'Plan the sprint']);
    expect(mine(['other'])).toEqual(['Fix checkout redirect', 'Triage new tickets']);
  });

  it('lists recent tasks first, latest first, each task in one list only', () => {
    const my = { team_ids: [], recent_task_ids: ['Triage new tickets', 'Fix checkout redirect', 'gone'] };
    const groups = groupTasks(tasks, 'ana', my, '');
    expect(groups.recent.map((t) => t.title)).toEqual(['Triage new tickets', 'Fix checkout redirect']);
    expect(groups.mine.map((t) => t.title)).toEqual(['Migrate blog posts']);
    expect(groups.others).toEqual([]);
    expect(groupTasks(tasks, 'ana', my, 'checkout').recent.map((t) => t.title)).toEqual(['Fix checkout redirect']);
  });
});
