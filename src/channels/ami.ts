/**
 * The PBX adapter for Asterisk's Manager Interface (AMI, TCP, default port 5038): one connection,
 * opened on first use and again after it drops; `Action: Login`, then `Action: Originate` (Async)
 * ringing the agent's channel (HUIKUAN_AMI_CHANNEL, default PJSIP/{extension}) and dialling the
 * number in the configured context, with `HUIKUAN_CALL=<call id>` set as a channel variable. The AMI
 * line protocol: `Key: Value` lines, a blank line ends a block; a `Response:` block answers the
 * action with the same ActionID, `Event:` blocks report. Read here: OriginateResponse (the agent's
 * leg placed or not, its Uniqueid), DialEnd (the debtor answered, was busy, did not answer, or the
 * number is not reachable), VarSet of MIXMONITOR_FILENAME (the recording) and Hangup (the end).
 */
import net from 'node:net';
import type { AmiSettings } from './config.ts';
import type { OriginateRequest, PbxAdapter, PbxEvent, UnconnectedOutcome } from './pbx.ts';

export const amiLimits = {
  /** The largest block (an action's answer or an event) read; a longer one closes the connection. */
  blockBytes: 64 * 1024,
  /** Calls followed at once; the oldest is forgotten beyond it. */
  liveCalls: 1_000,
  /** How long the debtor's phone rings before the PBX gives up (Originate's Timeout). */
  ringMs: 30_000,
} as const;

export type AmiBlock = Record<string, string>;

/** Reads `Key: Value` blocks from the AMI stream (CRLF or LF), each ended by a blank line. */
export class AmiParser {
  private buffer = '';

  /** The complete blocks in `chunk`; throws when a block grows past the limit. */
  push(chunk: string): AmiBlock[] {
    this.buffer += chunk;
    const blocks: AmiBlock[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.buffer);
      if (!match) break;
      const text = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const block: AmiBlock = {};
      for (const line of text.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        // repeated keys (Variable, ChanVariable) keep the first; the ones read here are not repeated
        if (!(key in block)) block[key] = value;
      }
      if (Object.keys(block).length > 0) blocks.push(block);
    }
    if (this.buffer.length > amiLimits.blockBytes) throw new Error('An AMI block is over the size limit.');
    return blocks;
  }
}

/** One AMI action as the wire carries it; values may not hold line breaks. */
export function amiAction(fields: Array<[string, string]>): string {
  return `${fields.map(([key, value]) => `${key}: ${value.replace(/[\r\n]+/g, ' ')}`).join('\r\n')}\r\n\r\n`;
}

/** OriginateResponse's Reason when the agent's leg failed (Asterisk's last control frame). */
function reasonOutcome(reason: string): UnconnectedOutcome {
  if (reason === '5') return 'busy';
  if (reason === '3') return 'no_answer';
  return 'not_in_service';
}

function dialOutcome(status: string): UnconnectedOutcome | 'answered' | null {
  switch (status.toUpperCase()) {
    case 'ANSWER':
      return 'answered';
    case 'BUSY':
      return 'busy';
    case 'NOANSWER':
    case 'CANCEL':
      return 'no_answer';
    case 'CHANUNAVAIL':
    case 'CONGESTION':
    case 'INVALIDARGS':
      return 'not_in_service';
    default:
      return null;
  }
}

interface LiveCall {
  callId: string;
  /** The agent's channel as the PBX named it (OriginateResponse's Channel), for Hangup. */
  channel: string | null;
  uniqueIds: Set<string>;
  answeredAt: Date | null;
  outcome: UnconnectedOutcome | null;
  recording: string | null;
}

export class AmiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmiError';
  }
}

export function amiAdapter(settings: AmiSettings): PbxAdapter {
  let socket: net.Socket | null = null;
  let ready: Promise<void> | null = null;
  let listener: (event: PbxEvent) => void = () => {};
  let nextAction = 0;
  const pending = new Map<string, { resolve: (block: AmiBlock) => void; reject: (error: Error) => void }>();
  const calls = new Map<string, LiveCall>();
  const byUniqueId = new Map<string, LiveCall>();

  const at = (block: AmiBlock) => {
    const stamp = Number(block.Timestamp);
    return Number.isFinite(stamp) && stamp > 0 ? new Date(Math.round(stamp * 1000)) : new Date();
  };

  function follow(call: LiveCall, uniqueId: string | undefined) {
    if (!uniqueId) return;
    call.uniqueIds.add(uniqueId);
    byUniqueId.set(uniqueId, call);
  }

  function forget(call: LiveCall) {
    calls.delete(call.callId);
    for (const id of call.uniqueIds) byUniqueId.delete(id);
  }

  function ended(call: LiveCall, block: AmiBlock, cause: string) {
    const when = at(block);
    forget(call);
    const answered = call.answeredAt !== null;
    listener({
      kind: 'ended',
      callId: call.callId,
      pbxCallId: [...call.uniqueIds][0] ?? null,
      at: when,
      answered,
      outcome: answered ? null : (call.outcome ?? 'no_answer'),
      cause,
      recording: call.recording,
      durationSeconds: call.answeredAt
        ? Math.max(0, Math.round((when.getTime() - call.answeredAt.getTime()) / 1000))
        : 0,
    });
  }

  function onEvent(block: AmiBlock) {
    const event = block.Event ?? '';
    if (event === 'OriginateResponse') {
      const call = calls.get(block.ActionID ?? '');
      if (!call) return;
      follow(call, block.Uniqueid);
      call.channel = block.Channel ?? null;
      if ((block.Response ?? '').toLowerCase() !== 'success') {
        call.outcome = reasonOutcome(block.Reason ?? '');
        ended(call, block, `originate failed (reason ${block.Reason ?? '?'})`);
      }
      return;
    }
    const call = byUniqueId.get(block.Uniqueid ?? '') ?? byUniqueId.get(block.DestUniqueid ?? '');
    if (!call) return;
    if (event === 'DialEnd') {
      follow(call, block.DestUniqueid);
      const outcome = dialOutcome(block.DialStatus ?? '');
      if (outcome === 'answered') {
        call.answeredAt = at(block);
        listener({
          kind: 'answered',
          callId: call.callId,
          pbxCallId: block.Uniqueid ?? null,
          at: call.answeredAt,
        });
      } else if (outcome) call.outcome = outcome;
    } else if (event === 'VarSet' && block.Variable === 'MIXMONITOR_FILENAME' && block.Value) {
      call.recording = block.Value.slice(0, 500);
    } else if (event === 'Hangup') {
      ended(call, block, `${block.Cause ?? '?'} ${block['Cause-txt'] ?? ''}`.trim().slice(0, 100));
    }
  }

  function drop(error: Error) {
    socket?.destroy();
    socket = null;
    ready = null;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  }

  /** Sends an action and waits for its answer (Originate's ActionID is the call's id: its OriginateResponse echoes it). */
  function send(
    fields: Array<[string, string]>,
    timeoutMs: number,
    actionId = `hk-${++nextAction}`,
  ): Promise<AmiBlock> {
    const current = socket;
    if (!current) return Promise.reject(new AmiError('The AMI connection is not open.'));
    return new Promise<AmiBlock>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(actionId);
        reject(
          new AmiError(`Asterisk did not answer ${fields[0]?.[1] ?? 'the action'} within ${timeoutMs} ms.`),
        );
      }, timeoutMs);
      pending.set(actionId, {
        resolve: (block) => {
          clearTimeout(timer);
          resolve(block);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      current.write(amiAction([...fields, ['ActionID', actionId]]));
    });
  }

  function connect(timeoutMs: number): Promise<void> {
    if (ready) return ready;
    ready = new Promise<void>((resolve, reject) => {
      const parser = new AmiParser();
      let banner = false;
      let greetingText = '';
      const opened = net.createConnection({ host: settings.host, port: settings.port });
      opened.setEncoding('utf8');
      const timer = setTimeout(() => {
        drop(new AmiError('The AMI connection timed out.'));
        reject(
          new AmiError(`Asterisk (${settings.host}:${settings.port}) did not greet within ${timeoutMs} ms.`),
        );
      }, timeoutMs);
      socket = opened;
      opened.on('data', (chunk: string) => {
        let text = chunk;
        if (!banner) {
          // the banner may come in pieces: kept until its line is whole
          greetingText += text;
          const end = greetingText.indexOf('\n');
          if (end < 0) {
            if (greetingText.length > 200) {
              clearTimeout(timer);
              drop(new AmiError('Not an AMI server.'));
              reject(new AmiError(`${settings.host}:${settings.port} did not greet as Asterisk's AMI.`));
            }
            return;
          }
          const greeting = greetingText.slice(0, end).trim();
          text = greetingText.slice(end + 1);
          banner = true;
          if (!greeting.startsWith('Asterisk Call Manager/')) {
            clearTimeout(timer);
            drop(new AmiError('Not an AMI server.'));
            reject(
              new AmiError(
                `${settings.host}:${settings.port} is not Asterisk's AMI (it said "${greeting.slice(0, 80)}").`,
              ),
            );
            return;
          }
          send(
            [
              ['Action', 'Login'],
              ['Username', settings.username],
              ['Secret', settings.secret],
              ['Events', 'call,dial,system'],
            ],
            timeoutMs,
          ).then(
            (answer) => {
              clearTimeout(timer);
              if ((answer.Response ?? '').toLowerCase() === 'success') resolve();
              else {
                drop(new AmiError('AMI login refused.'));
                reject(
                  new AmiError(
                    `Asterisk refused the AMI login: ${answer.Message ?? 'no reason given'}. Check HUIKUAN_AMI_URL's user and secret.`,
                  ),
                );
              }
            },
            (error: Error) => {
              clearTimeout(timer);
              reject(error);
            },
          );
        }
        let blocks: AmiBlock[];
        try {
          blocks = parser.push(text);
        } catch (error) {
          drop(error as Error);
          return;
        }
        for (const block of blocks) {
          if (block.Response !== undefined && block.Event === undefined) {
            const waiting = pending.get(block.ActionID ?? '');
            if (waiting) {
              pending.delete(block.ActionID ?? '');
              waiting.resolve(block);
            }
          } else if (block.Event !== undefined) onEvent(block);
        }
      });
      opened.on('error', (error) => {
        clearTimeout(timer);
        drop(error);
        reject(
          new AmiError(`Asterisk (${settings.host}:${settings.port}) could not be reached: ${error.message}`),
        );
      });
      opened.on('close', () => drop(new AmiError('The AMI connection closed.')));
    });
    return ready;
  }

  return {
    provider: 'asterisk',
    async originate(request: OriginateRequest, timeoutMs: number) {
      await connect(timeoutMs);
      const call: LiveCall = {
        callId: request.callId,
        channel: null,
        uniqueIds: new Set(),
        answeredAt: null,
        outcome: null,
        recording: null,
      };
      if (calls.size >= amiLimits.liveCalls) {
        const oldest = calls.values().next().value;
        if (oldest) forget(oldest);
      }
      calls.set(request.callId, call);
      const fields: Array<[string, string]> = [
        ['Action', 'Originate'],
        ['Channel', settings.channelTemplate.replace('{extension}', request.extension)],
        ['Exten', request.number],
        ['Context', settings.context],
        ['Priority', '1'],
        ['Timeout', String(amiLimits.ringMs)],
        ['Async', 'true'],
        ['Variable', `HUIKUAN_CALL=${request.callId}`],
      ];
      if (request.callerId) fields.push(['CallerID', request.callerId]);
      // the OriginateResponse event carries this action's ActionID: the call's own id
      const answer = await send(fields, timeoutMs, request.callId);
      if ((answer.Response ?? '').toLowerCase() !== 'success') {
        forget(call);
        throw new AmiError(`Asterisk refused the call: ${answer.Message ?? 'no reason given'}.`);
      }
    },
    async hangup(callId: string, timeoutMs: number) {
      const call = calls.get(callId);
      if (!call?.channel) throw new AmiError('The call is not in progress on the PBX.');
      await connect(timeoutMs);
      const answer = await send(
        [
          ['Action', 'Hangup'],
          ['Channel', call.channel],
        ],
        timeoutMs,
      );
      if ((answer.Response ?? '').toLowerCase() !== 'success') {
        throw new AmiError(`Asterisk did not hang up: ${answer.Message ?? 'no reason given'}.`);
      }
    },
    onEvent(handler) {
      listener = handler;
    },
    async close() {
      const current = socket;
      if (current) {
        try {
          current.write(amiAction([['Action', 'Logoff']]));
        } catch {
          // closing anyway
        }
      }
      drop(new AmiError('The AMI connection was closed.'));
    },
  };
}
