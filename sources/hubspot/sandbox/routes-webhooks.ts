/**
 * Webhooks v3 app API: the target URL (settings) and the event subscriptions of the developer
 * app. Authenticated with the developer account's API key (`?hapikey=`), not the portal token.
 * Docs: https://developers.hubspot.com/docs/api/webhooks (Webhooks API reference)
 */
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { resolveObjectType } from './schema.ts';
import type { AppSettings, AppWebhooks, Subscription } from './webhooks.ts';
import { badRequest, fail, isRecord, jsonObject } from './wire.ts';

const OBJECTS = ['contact', 'company', 'deal', 'ticket', 'product', 'line_item'];
const EVENT_TYPES = new Set([
  ...OBJECTS.flatMap((o) =>
    ['creation', 'deletion', 'propertyChange', 'merge', 'restore'].map((e) => `${o}.${e}`),
  ),
  ...OBJECTS.filter((o) => o !== 'product').map((o) => `${o}.associationChange`),
  'contact.privacyDeletion',
  'conversation.creation',
  'conversation.deletion',
  'conversation.newMessage',
  'conversation.privacyDeletion',
  'conversation.propertyChange',
]);

const settingsWire = (s: AppSettings) => ({
  targetUrl: s.targetUrl,
  throttling: { maxConcurrentRequests: s.maxConcurrentRequests, period: 'SECONDLY' },
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

const subscriptionWire = (s: Subscription) => ({
  id: s.id,
  eventType: s.eventType,
  ...(s.propertyName ? { propertyName: s.propertyName } : {}),
  active: s.active,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export function webhookRoutes(app: AppWebhooks, appId: string): Route[] {
  const base = '/webhooks/v3/:appId';

  const checkApp = (req: SandboxRequest) => {
    if (req.params.appId !== appId)
      fail(404, `App ${req.params.appId} not found for this developer account.`);
  };

  const subscription = (req: SandboxRequest): Subscription => {
    checkApp(req);
    const found = app.subscriptions.get(Number(req.params.subscriptionId));
    if (!found) return fail(404, `Subscription ${req.params.subscriptionId} not found.`);
    return found;
  };

  const activeFlag = (value: unknown, field: string): boolean | undefined => {
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean') badRequest(`Invalid input JSON: "${field}" must be true or false.`);
    return value;
  };

  const handlers = {
    getSettings(req: SandboxRequest): SandboxResponse {
      checkApp(req);
      if (!app.settings) return fail(404, `No webhook settings found for app ${appId}.`);
      return { status: 200, body: settingsWire(app.settings) };
    },
    putSettings(req: SandboxRequest): SandboxResponse {
      checkApp(req);
      const body = jsonObject(req);
      const { targetUrl, throttling } = body;
      let url: URL | undefined;
      try {
        url = typeof targetUrl === 'string' ? new URL(targetUrl) : undefined;
      } catch {
        url = undefined;
      }
      // HubSpot requires https; the sandbox also takes http so tests can listen on loopback.
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
        badRequest(`targetUrl must be an absolute https URL, got ${JSON.stringify(targetUrl ?? null)}.`);
      const max = isRecord(throttling) ? throttling.maxConcurrentRequests : undefined;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 5)
        badRequest('throttling.maxConcurrentRequests must be an integer of at least 5.');
      const now = new Date();
      app.settings = {
        targetUrl: targetUrl as string,
        maxConcurrentRequests: max,
        createdAt: app.settings?.createdAt ?? now,
        updatedAt: now,
      };
      return { status: 200, body: settingsWire(app.settings) };
    },
    deleteSettings(req: SandboxRequest): SandboxResponse {
      checkApp(req);
      app.settings = undefined;
      return { status: 204 };
    },
    listSubscriptions(req: SandboxRequest): SandboxResponse {
      checkApp(req);
      return { status: 200, body: { results: [...app.subscriptions.values()].map(subscriptionWire) } };
    },
    createSubscription(req: SandboxRequest): SandboxResponse {
      checkApp(req);
      const body = jsonObject(req);
      const { eventType, propertyName } = body;
      if (typeof eventType !== 'string' || !EVENT_TYPES.has(eventType))
        badRequest(`Invalid eventType ${JSON.stringify(eventType ?? null)}.`);
      const isPropertyChange = eventType.endsWith('.propertyChange');
      if (isPropertyChange) {
        if (typeof propertyName !== 'string' || propertyName === '')
          badRequest(`propertyName is required for ${eventType} subscriptions.`);
        const type = resolveObjectType(eventType.split('.')[0] ?? '');
        if (type && !type.properties.has(propertyName))
          badRequest(`Property "${propertyName}" does not exist on ${type.type}.`);
      } else if (propertyName !== undefined && propertyName !== null) {
        badRequest(`propertyName is only allowed on propertyChange subscriptions.`);
      }
      const name = isPropertyChange ? (propertyName as string) : undefined;
      const duplicate = [...app.subscriptions.values()].find(
        (s) => s.eventType === eventType && s.propertyName === name,
      );
      if (duplicate)
        fail(
          409,
          `A subscription for ${eventType}${name ? ` (${name})` : ''} already exists: ${duplicate.id}.`,
        );
      const now = new Date();
      const sub: Subscription = {
        id: app.nextSubscriptionId++,
        eventType,
        propertyName: name,
        // New subscriptions are paused unless created active, as in HubSpot.
        active: activeFlag(body.active, 'active') ?? false,
        createdAt: now,
        updatedAt: now,
      };
      app.subscriptions.set(sub.id, sub);
      return { status: 201, body: subscriptionWire(sub) };
    },
    getSubscription: (req: SandboxRequest): SandboxResponse => ({
      status: 200,
      body: subscriptionWire(subscription(req)),
    }),
    patchSubscription(req: SandboxRequest): SandboxResponse {
      const sub = subscription(req);
      const active = activeFlag(jsonObject(req).active, 'active');
      if (active !== undefined) {
        sub.active = active;
        sub.updatedAt = new Date();
      }
      return { status: 200, body: subscriptionWire(sub) };
    },
    deleteSubscription(req: SandboxRequest): SandboxResponse {
      const sub = subscription(req);
      app.subscriptions.delete(sub.id);
      return { status: 204 };
    },
    batchUpdate(req: SandboxRequest): SandboxResponse {
      checkApp(req);
      const startedAt = new Date();
      const inputs = jsonObject(req).inputs;
      if (!Array.isArray(inputs)) badRequest('Invalid input JSON: "inputs" must be a list.');
      const updates = inputs.map((input: unknown, i) => {
        const sub = isRecord(input) ? app.subscriptions.get(Number(input.id)) : undefined;
        const active = isRecord(input) ? activeFlag(input.active, `inputs[${i}].active`) : undefined;
        if (!sub || active === undefined)
          badRequest(`inputs[${i}] needs the id of an existing subscription and "active".`);
        return { sub, active };
      });
      for (const { sub, active } of updates) {
        sub.active = active;
        sub.updatedAt = new Date();
      }
      return {
        status: 200,
        body: {
          status: 'COMPLETE',
          results: updates.map((u) => subscriptionWire(u.sub)),
          startedAt: startedAt.toISOString(),
          completedAt: new Date().toISOString(),
        },
      };
    },
  };

  return [
    {
      method: 'GET',
      path: `${base}/settings`,
      operation: 'webhooks.settings.get',
      handler: handlers.getSettings,
    },
    {
      method: 'PUT',
      path: `${base}/settings`,
      operation: 'webhooks.settings.configure',
      handler: handlers.putSettings,
    },
    {
      method: 'DELETE',
      path: `${base}/settings`,
      operation: 'webhooks.settings.clear',
      handler: handlers.deleteSettings,
    },
    {
      method: 'GET',
      path: `${base}/subscriptions`,
      operation: 'webhooks.subscriptions.list',
      handler: handlers.listSubscriptions,
    },
    {
      method: 'POST',
      path: `${base}/subscriptions`,
      operation: 'webhooks.subscriptions.create',
      handler: handlers.createSubscription,
    },
    {
      method: 'POST',
      path: `${base}/subscriptions/batch/update`,
      operation: 'webhooks.subscriptions.batchUpdate',
      handler: handlers.batchUpdate,
    },
    {
      method: 'GET',
      path: `${base}/subscriptions/:subscriptionId`,
      operation: 'webhooks.subscriptions.get',
      handler: handlers.getSubscription,
    },
    {
      method: 'PATCH',
      path: `${base}/subscriptions/:subscriptionId`,
      operation: 'webhooks.subscriptions.update',
      handler: handlers.patchSubscription,
    },
    {
      method: 'DELETE',
      path: `${base}/subscriptions/:subscriptionId`,
      operation: 'webhooks.subscriptions.archive',
      handler: handlers.deleteSubscription,
    },
  ];
}
