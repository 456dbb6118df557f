// The one registry of Kafka APIs this broker serves, ordered by API key. Dispatch looks handlers up here and
// the ApiVersions response is derived from it, so an API is advertised exactly when it has a handler.
import type { Handler } from './handler';

export class HandlerRegistry {
  private readonly byKey: (Handler | undefined)[] = [];

  constructor(handlers: readonly Handler[]) {
    for (const h of handlers) {
      if (this.byKey[h.api.apiKey]) throw new Error(`two handlers for ${h.api.name}`);
      this.byKey[h.api.apiKey] = h;
    }
  }

  get(apiKey: number): Handler | undefined {
    return apiKey >= 0 ? this.byKey[apiKey] : undefined;
  }

  /** Handlers in API-key order. */
  list(): Handler[] {
    return this.byKey.filter((h): h is Handler => h !== undefined);
  }

  /** A copy with some handlers replaced or removed (tests use this for fault injection). */
  with(overrides: readonly Handler[], remove: readonly number[] = []): HandlerRegistry {
    const keep = this.list().filter((h) => !remove.includes(h.api.apiKey) && !overrides.some((o) => o.api.apiKey === h.api.apiKey));
    return new HandlerRegistry([...keep, ...overrides]);
  }
}
