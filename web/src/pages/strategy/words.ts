/** The strategy pages' plain words from the `strategies.*` strings of the user's language. */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Problem, Step, Words } from './model.ts';

/** `Words` over i18next: a key under `strategies.` with `{{name}}` filled; null when the key is missing. */
export function useWords(): Words {
  const { i18n } = useTranslation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: the language changes the words
  return useMemo<Words>(() => {
    const t = i18n.t as unknown as (key: string, vars?: Record<string, string>) => string;
    return (key, vars) => {
      const full = `strategies.${key}`;
      return i18n.exists(full) ? t(full, vars) : null;
    };
  }, [i18n, i18n.language]);
}

/** A step in plain words: `第 3 天 · 电子邮件 · 模板 notice` / `Day 3 after a broken promise · Task: Call`. */
export function stepWords(step: Step, words: Words): { when: string; what: string } {
  const anchor = step.from ?? 'entry';
  const day = String(step.day);
  const when =
    anchor === 'entry'
      ? (words('step.dayEntry', { day }) ?? day)
      : (words('step.dayAfter', { day, anchor: words(`anchors.${anchor}`) ?? anchor }) ?? day);
  let what: string;
  if (step.kind === 'message') {
    const channel = words(`channels.${step.channel ?? ''}`) ?? String(step.channel);
    what = words('step.message', { channel, template: step.template ?? '' }) ?? channel;
  } else {
    const task = words(`tasks.${step.task ?? ''}`) ?? String(step.task);
    what = words('step.task', { task }) ?? task;
    if (step.task === 'escalate' && step.team) what += ` · ${words('step.escalate', { team: step.team })}`;
  }
  return { when, what };
}

/**
 * A problem of the document in the user's language: `strategies.problem.<code>` with its params (a
 * field type's words from `strategies.problemType.<type>` as {{type_words}}); the server's English when
 * the code is unknown here.
 */
export function problemText(problem: Problem, words: Words): string {
  if (!problem.code) return problem.message;
  const params = Object.fromEntries(Object.entries(problem.params ?? {}).map(([k, v]) => [k, String(v)]));
  const typeWords = params.type === undefined ? null : words(`problemType.${params.type}`, params);
  if (params.channel !== undefined) params.channel = words(`channels.${params.channel}`) ?? params.channel;
  // the other segment, arm or step is named by its number from 1, as the paths are (pathWords)
  if (params.other !== undefined) params.other = String(Number(params.other) + 1);
  return (
    words(`problem.${problem.code}`, { ...params, type_words: typeWords ?? params.type ?? '' }) ??
    problem.message
  );
}
