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
  publish(event: DomainEvent): Promise<void>;
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
  return {
    kind: 'local',
    publish: async (event) => listeners.dispatch(event, logger),
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
  return {
    kind: 'redis',
    async publish(event) {
      await publisher.publish(`${eventsChannel}${event.workspace}`, encodeEvent(event));
    },
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
