import type { WebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import type { CalendarStore } from './state.ts';
import { errors, fail } from './wire.ts';
import { rfc1123 } from './time.ts';

/**
 * Push notification channels (events.watch / channels.stop).
 * https://developers.google.com/calendar/api/guides/push
 *
 * A notification has no body: everything is in X-Goog-* headers. The receiver verifies it by
 * checking the channel id, token and resource id against the channel it created; that is
 * Google's whole verification scheme (there is no signature).
 */

export interface Channel {
  id: string;
  resourceId: string;
  resourceUri: string;
  address: string;
  token?: string;
  /** Epoch ms. */
  expiration: number;
  params?: Record<string, string>;
  /** Last X-Goog-Message-Number sent. */
  messageNumber: number;
  createdAt: number;
}

const DAY = 86_400_000;
export const DEFAULT_TTL_MS = 7 * DAY;
export const MAX_TTL_MS = 30 * DAY;

// Google's own crawler identity, sent on every notification.
const USER_AGENT = 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)';

export interface PushChannels {
  watch(body: unknown, resourceUri: string): Channel;
  stop(body: unknown): void;
  /** Tells every live channel that the calendar changed (`exists`). */
  notifyChange(): void;
  list(): Channel[];
  clear(): void;
  /** The open channels: a saved sandbox keeps notifying the hub that watched it. */
  snapshot(): Map<string, Channel>;
  restore(saved: Map<string, Channel>): void;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function createPushChannels(store: CalendarStore, dispatcher: WebhookDispatcher): PushChannels {
  const channels = new Map<string, Channel>();

  const send = (channel: Channel, state: 'sync' | 'exists') => {
    channel.messageNumber++;
    const number = channel.messageNumber;
    const headers: Record<string, string> = {
      'User-Agent': USER_AGENT,
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': rfc1123(channel.expiration),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(number),
    };
    if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token;
    dispatcher.enqueue({
      eventId: `${channel.id}#${number}`,
      type: `calendar.push.${state}`,
      url: channel.address,
      build: () => ({ method: 'POST', headers }),
    });
  };

  const live = (channel: Channel) => {
    if (channel.expiration > store.now()) return true;
    channels.delete(channel.id); // an expired channel is gone for good, as at Google
    return false;
  };

  return {
    snapshot: () => channels,
    restore(saved) {
      channels.clear();
      for (const [id, channel] of saved) channels.set(id, channel);
    },
    watch(body, resourceUri) {
      if (!isObject(body)) return fail(errors.parseError());
      const { id, type, address, token, expiration, params } = body;
      if (typeof id !== 'string' || id === '') return fail(errors.required('Required', 'id'));
      if (id.length > 64 || !/^[A-Za-z0-9\-_+/=]+$/.test(id))
        return fail(errors.invalid(`Invalid channel id: '${id}'.`, 'id'));
      if (typeof type !== 'string' || type === '') return fail(errors.required('Required', 'type'));
      if (type !== 'web_hook' && type !== 'webhook')
        return fail(errors.invalid(`Invalid channel type: '${type}'.`, 'type'));
      if (typeof address !== 'string' || address === '') return fail(errors.required('Required', 'address'));
      let url: URL;
      try {
        url = new URL(address);
      } catch {
        return fail(errors.invalid(`Invalid webhook address: '${address}'.`, 'address'));
      }
      // Google requires https; the sandbox also takes http so tests can listen on loopback.
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        return fail(errors.invalid(`WebHook callback must be HTTPS: ${address}`, 'address'));
      }
      if (token !== undefined && (typeof token !== 'string' || token.length > 256))
        return fail(errors.invalid('Invalid channel token.', 'token'));
      if (channels.has(id) && live(channels.get(id) as Channel)) {
        return fail(errors.channelIdNotUnique(id));
      }
      const now = store.now();
      let ttl = DEFAULT_TTL_MS;
      if (expiration !== undefined && expiration !== null) {
        const ms = typeof expiration === 'number' ? expiration : Number(expiration);
        if (!Number.isInteger(ms) || (typeof expiration === 'string' && !/^\d+$/.test(expiration)))
          return fail(errors.invalid('Invalid expiration.', 'expiration'));
        if (ms <= now) return fail(errors.invalid('Channel expiration is in the past.', 'expiration'));
        ttl = ms - now;
      }
      let channelParams: Record<string, string> | undefined;
      if (params !== undefined && params !== null) {
        if (!isObject(params) || Object.values(params).some((v) => typeof v !== 'string'))
          return fail(errors.invalid('Invalid channel params.', 'params'));
        channelParams = params as Record<string, string>;
        // params.ttl: "The time-to-live in seconds for the notification channel. Default is
        // 604800 seconds." An explicit `expiration` wins.
        const ttlParam = channelParams.ttl;
        if (ttlParam !== undefined && (expiration === undefined || expiration === null)) {
          if (!/^\d+$/.test(ttlParam) || Number(ttlParam) < 1)
            return fail(errors.invalid(`Invalid ttl: '${ttlParam}'.`, 'params.ttl'));
          ttl = Number(ttlParam) * 1000;
        }
      }
      const channel: Channel = {
        id,
        resourceId: store.resourceId,
        resourceUri,
        address,
        token: token as string | undefined,
        expiration: now + Math.min(ttl, MAX_TTL_MS),
        params: channelParams,
        messageNumber: 0,
        createdAt: now,
      };
      channels.set(id, channel);
      send(channel, 'sync');
      return channel;
    },
    stop(body) {
      if (!isObject(body)) return fail(errors.parseError());
      const { id, resourceId } = body;
      if (typeof id !== 'string' || id === '') return fail(errors.required('Required', 'id'));
      if (typeof resourceId !== 'string' || resourceId === '')
        return fail(errors.required('Required', 'resourceId'));
      const channel = channels.get(id);
      if (!channel || channel.resourceId !== resourceId)
        return fail(errors.notFound(`Channel '${id}' not found for project.`));
      channels.delete(id);
    },
    notifyChange() {
      for (const channel of [...channels.values()]) if (live(channel)) send(channel, 'exists');
    },
    list: () => [...channels.values()].map((c) => ({ ...c })),
    clear: () => channels.clear(),
  };
}

export const channelToWire = (channel: Channel) => ({
  kind: 'api#channel',
  id: channel.id,
  resourceId: channel.resourceId,
  resourceUri: channel.resourceUri,
  ...(channel.token !== undefined ? { token: channel.token } : {}),
  expiration: String(channel.expiration),
});
