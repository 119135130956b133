/**
 * The server's problems shown next to the field they name: the editor provides every problem keyed by
 * the form item that shows it (model.ts `problemsByItem`), each `ProblemField` shows its own.
 */
import { Typography } from 'antd';
import { createContext, type ReactNode, useContext } from 'react';
import type { Problem } from './model.ts';
import { problemText, useWords } from './words.ts';

export const ProblemsContext = createContext<Map<string, Problem[]>>(new Map());

/** The DOM id of a form item's box (the problems summary scrolls to it). */
export function itemId(path: string): string {
  return `strategy-item-${path.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

export function ProblemField({ path, children }: { path: string; children: ReactNode }) {
  const problems = useContext(ProblemsContext).get(path) ?? [];
  const words = useWords();
  const errors = problems.some((problem) => problem.severity === 'error');
  return (
    <div
      id={itemId(path)}
      data-path={path}
      data-invalid={errors ? 'true' : undefined}
      style={
        problems.length > 0
          ? { borderLeft: `2px solid ${errors ? '#ff4d4f' : '#faad14'}`, paddingLeft: 6 }
          : undefined
      }
    >
      {children}
      {problems.map((problem) => (
        <Typography.Text
          key={`${problem.path}:${problem.message}`}
          type={problem.severity === 'error' ? 'danger' : 'warning'}
          role={problem.severity === 'error' ? 'alert' : undefined}
          data-testid={`problem-${path}`}
          style={{ display: 'block', fontSize: 12 }}
        >
          {problemText(problem, words)}
        </Typography.Text>
      ))}
    </div>
  );
}
