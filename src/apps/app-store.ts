import type { App } from './app.js';

/**
 * Where apps come from. Lookups are synchronous and cheap: they sit on the connection and API
 * paths. An implementation backed by a database keeps its own in-memory snapshot.
 */
export interface AppStore {
  byKey(key: string): App | undefined;
  byId(id: string): App | undefined;
  all(): readonly App[];
}

/** Apps fixed at start-up, from configuration. */
export class StaticAppStore implements AppStore {
  private readonly keys = new Map<string, App>();
  private readonly ids = new Map<string, App>();

  constructor(apps: readonly App[]) {
    for (const app of apps) {
      this.keys.set(app.key, app);
      this.ids.set(app.id, app);
    }
  }

  byKey(key: string): App | undefined {
    return this.keys.get(key);
  }

  byId(id: string): App | undefined {
    return this.ids.get(id);
  }

  all(): readonly App[] {
    return [...this.ids.values()];
  }
}
