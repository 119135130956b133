/**
 * The one way the UI talks to the server (docs/api-contract.md): JSON under /api/v1, the session
 * cookie sent by the browser, `x-csrf-token` on every unsafe request, and the error shape
 * `{error: {code, message, details}}` turned into an ApiError whose message is translated.
 */
import i18n, { tDynamic } from './i18n.ts';

export const apiBase = '/api/v1';

let csrfToken: string | null = null;
let onUnauthenticated: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request answers 401 after login (the session expired or was ended elsewhere). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly serverMessage: string;
  readonly details: unknown;

  constructor(status: number, code: string, serverMessage: string, details?: unknown) {
    super(translateError(code, serverMessage));
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
    this.details = details;
  }
}

/** The user's-language text for an error code, with the server's own explanation after it. */
export function translateError(code: string, serverMessage: string): string {
  const title = tDynamic(`errors.${code}`, i18n.t('errors.internal'));
  if (!serverMessage || serverMessage === title) return title;
  return `${title}: ${serverMessage}`;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return i18n.t('errors.network');
  return error instanceof Error ? error.message : String(error);
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export function headersFor(method: string): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (unsafe.has(method.toUpperCase()) && csrfToken) headers['x-csrf-token'] = csrfToken;
  return headers;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = 'internal';
  let message = '';
  let details: unknown;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? '';
      details = body.error.details;
    }
  } catch {
    code = statusCode(response.status);
  }
  return new ApiError(response.status, code, message, details);
}

function statusCode(status: number): string {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'limit_exceeded';
  if (status === 429) return 'rate_limited';
  if (status === 400 || status === 422) return 'bad_input';
  if (status === 503) return 'database_unavailable';
  return 'internal';
}

export async function request<T>(
  method: string,
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  const headers = headersFor(method);
  let body: BodyInit | undefined;
  if (options.body instanceof FormData) {
    body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(withQuery(`${apiBase}${path}`, options.query), {
    method,
    headers,
    body,
    credentials: 'same-origin',
    signal: options.signal,
  });
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.quiet401) onUnauthenticated?.();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) return (await response.text()) as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body: body ?? {} }),
  del: <T>(path: string) => request<T>('DELETE', path),
};

/**
 * A file the server makes (an XLSX export): fetched with the session like any GET, its refusal
 * translated like any error, then handed to the browser as a download under the server's file name.
 */
export async function download(path: string, query?: Query, fallbackName = 'download'): Promise<string> {
  const response = await fetch(withQuery(`${apiBase}${path}`, query), {
    method: 'GET',
    headers: { accept: '*/*' },
    credentials: 'same-origin',
  });
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) onUnauthenticated?.();
    throw error;
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  try {
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = name;
    document.body.append(anchor);
    anchor.click();
    anchor.remove();
  } finally {
    // the click has started the download; give the browser a moment to take the blob
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return name;
}

/** A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can). */
export function upload<T>(path: string, form: FormData, onProgress?: (percent: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${apiBase}${path}`);
    for (const [key, value] of Object.entries(headersFor('POST'))) xhr.setRequestHeader(key, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) onProgress(Math.round((event.loaded / event.total) * 100));
    };
    xhr.onerror = () => reject(new TypeError('network'));
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        parsed = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(parsed as T);
        return;
      }
      const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)
        ?.error;
      if (xhr.status === 401) onUnauthenticated?.();
      reject(
        new ApiError(xhr.status, error?.code ?? statusCode(xhr.status), error?.message ?? '', error?.details),
      );
    };
    xhr.send(form);
  });
}

/** A list page as every list route returns it. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

/** Some routes may answer a bare array or `{items}`; both become a list. */
export function itemsOf<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  if (value && typeof value === 'object' && Array.isArray((value as { items?: unknown }).items)) {
    return (value as { items: T[] }).items;
  }
  return [];
}
