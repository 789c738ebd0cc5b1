import type { Logger } from 'pino';
import type { App } from '../apps/app.js';
import { EncodedFrame } from '../protocol/encoded-frame.js';
import type { Link } from '../seams/link.js';
import type { PendingFrame } from './hub.js';

/** A signed-in user (pusher:signin). */
export interface SignedInUser {
  readonly id: string;
  /** The user_data string exactly as signed. */
  readonly userData: string;
  readonly watchlist: readonly string[];
}

/** What a presence subscription contributed, kept to undo it on unsubscribe/close. */
export interface PresenceMembership {
  readonly userId: string;
  readonly userInfo: unknown;
}

/**
 * One client connection as core sees it, whatever its transport. Holds only what the connection
 * needs (its subscriptions, its user, its keep-alive and rate-limit state) to keep idle connections
 * small.
 */
export class Connection {
  /** Subscribed channels; presence channels map to the membership they added. */
  readonly channels = new Map<string, PresenceMembership | null>();
  /** Channels whose subscription is being authorized (async), so a duplicate subscribe is ignored. */
  pendingChannels: Set<string> | undefined;
  user: SignedInUser | undefined;
  /** Live frames held per channel while missed events are replayed (see Hub.hold). */
  held: Map<string, PendingFrame[]> | undefined;
  lastSeen: number;
  readonly openedAt: number;
  pingSentAt = 0;
  clientEventWindow = 0;
  clientEventCount = 0;
  closing = false;
  private logger: Logger | undefined;

  constructor(
    readonly socketId: string,
    readonly app: App,
    readonly link: Link,
    private readonly parentLogger: Logger,
    now: number,
  ) {
    this.lastSeen = now;
    this.openedAt = now;
  }

  /** Child logger, created on first use so idle connections do not pay for it. */
  get log(): Logger {
    return (this.logger ??= this.parentLogger.child({ socketId: this.socketId, appId: this.app.id, transport: this.link.kind }));
  }

  send(text: string): void {
    this.link.send(new EncodedFrame(text));
  }
}
