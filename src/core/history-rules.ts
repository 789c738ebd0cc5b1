import type { App } from '../apps/app.js';
import type { HistoryLimits } from '../cluster/history-store.js';

interface CompiledRule {
  readonly pattern: RegExp;
  readonly limits: HistoryLimits;
}

const compiled = new WeakMap<App, readonly CompiledRule[]>();

function compile(app: App): readonly CompiledRule[] {
  let rules = compiled.get(app);
  if (!rules) {
    rules = app.history.map((rule) => ({
      pattern: new RegExp(`^${rule.pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`),
      limits: { maxEvents: rule.maxEvents, ttlSeconds: rule.ttlSeconds },
    }));
    compiled.set(app, rules);
  }
  return rules;
}

/**
 * The history kept for a channel: the first of the app's rules whose pattern matches, or undefined
 * when the channel has none (and so pays nothing for history).
 */
export function historyLimitsFor(app: App, channel: string): HistoryLimits | undefined {
  if (app.history.length === 0) return undefined;
  return compile(app).find((rule) => rule.pattern.test(channel))?.limits;
}
