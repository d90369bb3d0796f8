import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { decodeEvent, encodeEvent, type DomainEvent } from './types.ts';

export type EventListener = (event: DomainEvent) => void;

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

export function createLocalBus(logger?: Logger): EventBus {
  const listeners = createListeners();
  return {
    kind: 'local',
    publish: async (event) => listeners.dispatch(event, logger),
    listen: (workspace, listener) => listeners.add(workspace, listener),
    close: async () => {},
  };
}

const CHANNEL_PREFIX = 'switchboard:events:';

export async function createRedisBus(url: string, logger?: Logger): Promise<EventBus> {
  const listeners = createListeners();
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
  await subscriber.psubscribe(`${CHANNEL_PREFIX}*`);
  subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) => {
    try {
      listeners.dispatch(decodeEvent(message), logger);
    } catch (error) {
      logger?.error({ err: error }, 'unreadable event from Redis');
    }
  });
  return {
    kind: 'redis',
    async publish(event) {
      await publisher.publish(`${CHANNEL_PREFIX}${event.workspace}`, encodeEvent(event));
    },
    listen: (workspace, listener) => listeners.add(workspace, listener),
    async close() {
      await Promise.allSettled([subscriber.quit(), publisher.quit()]);
    },
  };
}
