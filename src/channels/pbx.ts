/**
 * The phone channel's one interface to a PBX (docs/pbx.md): originate a call from the agent's
 * extension to a number, hang it up, and report what happened — answered, ended (with the duration,
 * the hang-up cause, whether it connected and the recording's reference). Asterisk's AMI implements
 * it (ami.ts). The service (calls.ts) is the only caller, after the rule gate.
 */

export interface OriginateRequest {
  /** Huikuan's id of the call, echoed in every event (AMI: the ActionID and a channel variable). */
  callId: string;
  /** The agent's extension: the PBX rings it first, then dials the number. */
  extension: string;
  /** The number dialled, as the dialplan takes it (E.164 as stored). */
  number: string;
  callerId: string | null;
}

/** Why a call that did not connect ended, in the gate's outcome words (compliance.md). */
export type UnconnectedOutcome = 'no_answer' | 'busy' | 'not_in_service';

export type PbxEvent =
  | { kind: 'answered'; callId: string; pbxCallId: string | null; at: Date }
  | {
      kind: 'ended';
      callId: string;
      pbxCallId: string | null;
      at: Date;
      /** Whether the called party answered. */
      answered: boolean;
      /** For a call that did not connect: why. */
      outcome: UnconnectedOutcome | null;
      /** The PBX's cause, e.g. "16 Normal Clearing". */
      cause: string;
      /** The recording's file name or reference, when the PBX recorded the call. */
      recording: string | null;
      /** From answer to hang-up; 0 when not answered. */
      durationSeconds: number;
    };

export interface PbxAdapter {
  readonly provider: 'asterisk';
  /** Asks the PBX to place the call; resolves when the PBX accepted it. Throws on refusal or time-out. */
  originate(request: OriginateRequest, timeoutMs: number): Promise<void>;
  /** Hangs up a call in progress (Huikuan's call id). */
  hangup(callId: string, timeoutMs: number): Promise<void>;
  /** Every event of every call goes to `listener` (one listener: the service's). */
  onEvent(listener: (event: PbxEvent) => void): void;
  close(): Promise<void>;
}
