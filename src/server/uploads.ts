/**
 * Multipart uploads: the one file part is streamed to a private temporary folder (never held in
 * memory), keeping its base name so the import services see its extension and name; the text fields
 * come back beside it. The caller removes the folder with `cleanup` when the import is done.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { HuikuanError } from '../shared/errors.ts';
import { limits } from './context.ts';
import { RequestFieldError } from './errors.ts';

export interface Upload {
  filePath: string;
  fileName: string;
  bytes: number;
  fields: Record<string, string>;
  cleanup(): Promise<void>;
}

function safeName(name: string): string {
  const base = path.basename(name || 'upload').replace(/[^\p{L}\p{N}._ -]/gu, '_');
  const trimmed = base.replace(/^\.+/, '').slice(-120);
  return trimmed === '' ? 'upload' : trimmed;
}

export async function receiveUpload(request: FastifyRequest, fieldNames: readonly string[]): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new RequestFieldError('body', 'send multipart/form-data with the file in the field "file"');
  }
  const folder = await mkdtemp(path.join(tmpdir(), 'huikuan-upload-'));
  const cleanup = () => rm(folder, { recursive: true, force: true });
  const fields: Record<string, string> = {};
  let filePath: string | null = null;
  let fileName = '';
  let bytes = 0;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || filePath !== null) {
          part.file.resume();
          throw new RequestFieldError(part.fieldname, 'send exactly one file, in the field "file"');
        }
        fileName = safeName(part.filename);
        filePath = path.join(folder, fileName);
        const out = createWriteStream(filePath, { mode: 0o600 });
        part.file.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        await pipeline(part.file, out);
        if (part.file.truncated) {
          throw new HuikuanError(
            'limit_exceeded',
            `The file is larger than the upload limit (${limits.uploadBytes / 1024 / 1024} MiB); split it into smaller files.`,
          );
        }
      } else {
        if (!fieldNames.includes(part.fieldname)) {
          throw new RequestFieldError(
            part.fieldname,
            `unknown field; the fields are file, ${fieldNames.join(', ')}`,
          );
        }
        fields[part.fieldname] = String(part.value ?? '');
      }
    }
    if (filePath === null) throw new RequestFieldError('file', 'attach the file in the field "file"');
    return { filePath, fileName, bytes, fields, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
