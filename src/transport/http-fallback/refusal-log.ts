import type { Logger } from 'pino';

/**
 * Info lines for refused requests, at most `burst` per `windowMs`, so a flood of hostile requests
 * cannot flood the log. What a window drops is reported once, as a count, when the window is over.
 */
export class RefusalLog {
  private windowStart = 0;
  private written = 0;
  private suppressed = 0;

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly burst = 20,
    private readonly windowMs = 10_000,
  ) {}

  /** Logs one refusal at info, unless this window's lines are spent. */
  refused(fields: Record<string, unknown>, now: number = Date.now()): void {
    this.roll(now);
    if (this.written >= this.burst) {
      this.suppressed++;
      return;
    }
    this.written++;
    this.log.info(fields, this.message);
  }

  /** Reports the count dropped in a window that is over; the caller's timer calls this. */
  roll(now: number = Date.now()): void {
    if (now - this.windowStart < this.windowMs) return;
    if (this.suppressed > 0) this.log.info({ suppressed: this.suppressed, windowSeconds: this.windowMs / 1000 }, `${this.message} (more not logged)`);
    this.windowStart = now;
    this.written = 0;
    this.suppressed = 0;
  }
}
