import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { CacheTarget } from '../cache/keys.ts';
import { decodeEvent, encodeEvent, type DomainEvent } from './types.ts';

export type EventListener = (event: DomainEvent) => void;
export type InvalidationListener = (workspace: string, targets: readonly CacheTarget[]) => void;

/**
 * Fan-out of domain events to every subscriber of a workspace. In one process it is a plain
 * dispatch; with Redis, every replica publishes to and listens on one channel per workspace, so an
 * event received by one replica reaches subscribers connected to any (and every replica drops the
 * cache entries the event names).
 */
export interface EventBus {
  readonly kind: 'local' | 'redis';
  /**
   * Publishes events, in order. This replica's `beforePublish` hooks run first, once for the whole
   * batch, and are awaited: when one fails, nothing is published and the caller's retry (the inbox's)
   * runs them again, so what a hook stores is never lost and never depends on a subscriber.
   */
  publish(...events: DomainEvent[]): Promise<void>;
  /**
   * Work that follows from events published on this replica, run once per event whichever replica's
   * subscribers receive it (the sync rules, src/sync/rules.ts). Returns the way to stop.
   */
  beforePublish(hook: PublishHook): () => void;
  /** Listens to one workspace's events (or every workspace's with '*'); returns the way to stop. */
  listen(workspace: string, listener: EventListener): () => void;
  /**
   * Drops cache entries a write made stale, on this replica before it resolves and on every other
   * one through Redis: a write is not a domain event, but every replica's cache must forget it.
   */
  invalidate(workspace: string, targets: readonly CacheTarget[]): Promise<void>;
  /** Where invalidations (this replica's and others') are applied; returns the way to stop. */
  onInvalidate(listener: InvalidationListener): () => void;
  close(): Promise<void>;
}

/**
 * Events are published at least once (a replica that dies between publishing and recording it
 * leaves the event to be processed again); each replica drops an id it has dispatched already, so
 * its subscribers get every event once.
 */
export type PublishHook = (events: readonly DomainEvent[]) => Promise<void>;

function createHooks() {
  const hooks = new Set<PublishHook>();
  return {
    add(hook: PublishHook) {
      hooks.add(hook);
      return () => void hooks.delete(hook);
    },
    async run(events: readonly DomainEvent[]) {
      if (events.length === 0) return;
      for (const hook of hooks) await hook(events);
    },
  };
}

function createListeners() {
  const byWorkspace = new Map<string, Set<EventListener>>();
  const seen = new LRUCache<string, true>({ max: 100_000 });
  return {
    add(workspace: string, listener: EventListener) {
      let set = byWorkspace.get(workspace);
      if (!set) byWorkspace.set(workspace, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
    dispatch(event: DomainEvent, logger?: Logger) {
      if (seen.has(event.id)) return;
      seen.set(event.id, true);
      for (const key of ['*', event.workspace]) {
        for (const listener of byWorkspace.get(key) ?? []) {
          try {
            listener(event);
          } catch (error) {
            logger?.error({ err: error, event: event.id }, 'event listener failed');
          }
        }
      }
    },
  };
}

function createInvalidationListeners(logger?: Logger) {
  const listeners = new Set<InvalidationListener>();
  return {
    add(listener: InvalidationListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    dispatch(workspace: string, targets: readonly CacheTarget[]) {
      for (const listener of listeners) {
        try {
          listener(workspace, targets);
        } catch (error) {
          logger?.error({ err: error }, 'cache invalidation listener failed');
        }
      }
    },
  };
}

export function createLocalBus(logger?: Logger): EventBus {
  const listeners = createListeners();
  const invalidations = createInvalidationListeners(logger);
  const hooks = createHooks();
  return {
    kind: 'local',
    async publish(...events) {
      await hooks.run(events);
      for (const event of events) listeners.dispatch(event, logger);
    },
    beforePublish: (hook) => hooks.add(hook),
    listen: (workspace, listener) => listeners.add(workspace, listener),
    invalidate: async (workspace, targets) => invalidations.dispatch(workspace, targets),
    onInvalidate: (listener) => invalidations.add(listener),
    close: async () => {},
  };
}

export interface RedisBusOptions {
  logger?: Logger;
  /**
   * Prefix of the bus's channels (`<prefix>:events:<workspace>`, `<prefix>:invalidate:<workspace>`):
   * deployments sharing one Redis hear only their own (SWITCHBOARD_REDIS_PREFIX).
   */
  prefix?: string;
}

export async function createRedisBus(url: string, options: RedisBusOptions = {}): Promise<EventBus> {
  const { logger, prefix = 'switchboard' } = options;
  const eventsChannel = `${prefix}:events:`;
  const invalidateChannel = `${prefix}:invalidate:`;
  const listeners = createListeners();
  const invalidations = createInvalidationListeners(logger);
  /** Invalidations this replica published, applied at once and not again when Redis echoes them. */
  const own = new Set<string>();
  // A subscribed connection can do nothing else, so publishing needs its own.
  const publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const subscriber = new Redis(url, { lazyConnect: true });
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`REDIS_URL ${url.replace(/\/\/[^@/]*@/, '//***@')} is not reachable: ${message}`);
  }
  await subscriber.psubscribe(`${eventsChannel}*`, `${invalidateChannel}*`);
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
    try {
      if (channel.startsWith(eventsChannel)) {
        listeners.dispatch(decodeEvent(message), logger);
        return;
      }
      const { id, targets } = JSON.parse(message) as { id: string; targets: CacheTarget[] };
      if (own.delete(id)) return;
      invalidations.dispatch(channel.slice(invalidateChannel.length), targets);
    } catch (error) {
      logger?.error({ err: error, channel }, 'unreadable message from Redis');
    }
  });
  const hooks = createHooks();
  return {
    kind: 'redis',
    async publish(...events) {
      await hooks.run(events);
      for (const event of events) {
        await publisher.publish(`${eventsChannel}${event.workspace}`, encodeEvent(event));
      }
    },
    beforePublish: (hook) => hooks.add(hook),
    listen: (workspace, listener) => listeners.add(workspace, listener),
    async invalidate(workspace, targets) {
      invalidations.dispatch(workspace, targets);
      const id = randomUUID();
      own.add(id);
      try {
        await publisher.publish(`${invalidateChannel}${workspace}`, JSON.stringify({ id, targets }));
      } catch (error) {
        own.delete(id);
        // The other replicas keep the stale entries until their TTL: said, not silent.
        logger?.error({ err: error, workspace }, 'publishing a cache invalidation to Redis failed');
      }
    },
    onInvalidate: (listener) => invalidations.add(listener),
    async close() {
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}
