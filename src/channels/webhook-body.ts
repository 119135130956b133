/**
 * Reading a provider's webhook body: JSON or a form, checked against the provider's shape with zod,
 * at most `channelLimits.webhookItems` items. A body that is not the shape is `bad_input` naming
 * the field (the route answers 400).
 */
import { z } from 'zod';
import { HuikuanError } from '../shared/errors.ts';
import { channelLimits } from './model.ts';

export function badField(field: string, message: string): HuikuanError {
  return new HuikuanError('bad_input', `${field}: ${message}`, { fields: [{ field, message }] });
}

/** The body parsed against `schema`; `bad_input` naming the first wrong field. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = ['body', ...(issue?.path ?? []).map(String)].join('.');
  throw badField(field, issue?.message ?? 'is not valid');
}

export function jsonBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw badField('body', 'is not JSON');
  }
}

/** A JSON array of at most `webhookItems` items, each checked against `item`. */
export function jsonItems<T extends z.ZodType>(raw: string, item: T): z.infer<T>[] {
  return parseBody(z.array(item).min(1).max(channelLimits.webhookItems), jsonBody(raw));
}

export function formFields(raw: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(raw));
}
