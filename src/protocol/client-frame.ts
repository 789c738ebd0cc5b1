import { Errors, fail } from './errors.js';

/** Frames a client may send, after validation. */
export type ClientFrame =
  | { readonly type: 'subscribe'; readonly channel: string; readonly auth?: string; readonly channelData?: string; readonly since?: string }
  | { readonly type: 'unsubscribe'; readonly channel: string }
  | { readonly type: 'ping' }
  | { readonly type: 'pong' }
  | { readonly type: 'signin'; readonly auth: string; readonly userData: string }
  | { readonly type: 'client-event'; readonly event: string; readonly channel: string; readonly data: unknown };

export const MAX_EVENT_NAME_LENGTH = 200;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(obj: Json, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(Errors.InvalidFrame, `"${field}" must be a string`);
  return v;
}

function requiredString(obj: Json, field: string, what: string): string {
  const v = obj[field];
  if (typeof v !== 'string') fail(Errors.InvalidFrame, `${what}: "${field}" must be a string`);
  return v;
}

/** pusher-js sends `data` as an object; some clients double-encode it as a JSON string. Accept both. */
function dataObject(frame: Json, event: string): Json {
  let data = frame['data'];
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      fail(Errors.InvalidFrame, `${event}: "data" is not valid JSON`);
    }
  }
  if (!isObject(data)) fail(Errors.InvalidFrame, `${event}: "data" must be an object`);
  return data;
}

/**
 * Parses and validates one text frame from a client. Throws `GatewayError` (InvalidFrame,
 * FrameTooLarge) on anything that is not a well-formed Pusher v7 client frame; never throws
 * anything else.
 */
export function decodeClientFrame(text: string, maxBytes: number): ClientFrame {
  if (text.length > maxBytes && Buffer.byteLength(text) > maxBytes) {
    fail(Errors.FrameTooLarge, `frame larger than ${maxBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(Errors.InvalidFrame, 'frame is not valid JSON');
  }
  if (!isObject(parsed)) fail(Errors.InvalidFrame, 'frame must be a JSON object');
  const event = parsed['event'];
  if (typeof event !== 'string' || event.length === 0) fail(Errors.InvalidFrame, '"event" must be a non-empty string');
  if (!('data' in parsed)) fail(Errors.InvalidFrame, `${event}: "data" is missing`);

  switch (event) {
    case 'pusher:subscribe': {
      const data = dataObject(parsed, event);
      const channelData = data['channel_data'];
      return {
        type: 'subscribe',
        channel: requiredString(data, 'channel', event),
        auth: optionalString(data, 'auth'),
        // Some clients send channel_data as an object; its signature covers the string form.
        channelData: channelData === undefined || channelData === null ? undefined : typeof channelData === 'string' ? channelData : fail(Errors.InvalidFrame, `${event}: "channel_data" must be a string`),
        since: optionalString(data, 'since'),
      };
    }
    case 'pusher:unsubscribe':
      return { type: 'unsubscribe', channel: requiredString(dataObject(parsed, event), 'channel', event) };
    case 'pusher:ping':
      return { type: 'ping' };
    case 'pusher:pong':
      return { type: 'pong' };
    case 'pusher:signin': {
      const data = dataObject(parsed, event);
      return { type: 'signin', auth: requiredString(data, 'auth', event), userData: requiredString(data, 'user_data', event) };
    }
    default:
      break;
  }
  if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) {
    fail(Errors.InvalidFrame, `unknown event "${event}"`);
  }
  if (!event.startsWith('client-')) fail(Errors.ClientEventRejected, 'client events must be prefixed "client-"');
  if (event.length > MAX_EVENT_NAME_LENGTH) fail(Errors.ClientEventRejected, `event name longer than ${MAX_EVENT_NAME_LENGTH} characters`);
  const channel = parsed['channel'];
  if (typeof channel !== 'string') fail(Errors.ClientEventRejected, 'client event without a "channel"');
  return { type: 'client-event', event, channel, data: parsed['data'] };
}
