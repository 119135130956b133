/** The strategy pages' plain words from the `strategies.*` strings of the user's language. */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Step, Words } from './model.ts';

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
