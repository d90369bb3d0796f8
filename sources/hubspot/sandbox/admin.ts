/**
 * HubSpot-specific admin routes under `/__sandbox/`: rate limits, and changes "made in the
 * HubSpot UI" by a user, which emit webhooks with `changeSource: CRM_UI` like real UI edits.
 */
import {
  ResponseError,
  type Route,
  type SandboxRequest,
  type SandboxResponse,
} from '../../../src/sandbox/kit/http.ts';
import type { HubspotContext } from './context.ts';
import { toWire } from './format.ts';
import { parseLimits, type RateLimiter } from './limits.ts';
import { OBJECT_TYPES, type ObjectType } from './schema.ts';
import type { Change } from './state.ts';

const json = (status: number, body: unknown): SandboxResponse => ({ status, body });

/** Runs a store operation, turning HubSpot error envelopes into the admin surface's `{error}`. */
function adminCall(handler: (req: SandboxRequest) => SandboxResponse) {
  return (req: SandboxRequest): SandboxResponse => {
    try {
      return handler(req);
    } catch (error) {
      if (!(error instanceof ResponseError)) throw error;
      const { status, body } = error.response;
      const message =
        typeof body === 'object' && body !== null && 'message' in body
          ? String(body.message)
          : `HTTP ${status}`;
      return json(status, { error: message, hubspot: body });
    }
  };
}

function body(req: SandboxRequest): Record<string, unknown> {
  const input = req.json();
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ResponseError(json(400, { error: 'body must be a JSON object' }));
  return input as Record<string, unknown>;
}

function idOf(input: Record<string, unknown>): string {
  const id = input.id;
  if ((typeof id !== 'string' || id === '') && typeof id !== 'number')
    throw new ResponseError(
      json(400, { error: '"id" is required: the record id (or an email with "idProperty":"email")' }),
    );
  return String(id);
}

export function adminRoutes(ctx: HubspotContext, limiter: RateLimiter): Route[] {
  const actions: Route[] = (['contacts', 'deals'] as ObjectType[]).flatMap((type) => {
    const singular = OBJECT_TYPES[type].singular;
    const emit = (changes: Change[]) => ctx.emit(changes, 'CRM_UI');
    const find = (input: Record<string, unknown>) => {
      const id = idOf(input);
      const idProperty = typeof input.idProperty === 'string' ? input.idProperty : undefined;
      const record = ctx.store.find(type, id, idProperty);
      if (!record) throw new ResponseError(json(404, { error: `no ${singular} "${id}"` }));
      return record;
    };
    return [
      {
        method: 'POST',
        path: `/__sandbox/actions/create-${singular}`,
        operation: `admin.actions.create-${singular}`,
        handler: adminCall((req) => {
          const input = body(req);
          const props = ctx.store.validate(type, input.properties);
          const associations = ctx.store.validateAssociations(type, input.associations);
          const { record, changes } = ctx.store.create(type, props, associations);
          emit(changes);
          return json(201, {
            [singular]: toWire(ctx.store, record, { properties: [...props.keys()] }),
            events: changes.length,
          });
        }),
      },
      {
        method: 'POST',
        path: `/__sandbox/actions/edit-${singular}`,
        operation: `admin.actions.edit-${singular}`,
        handler: adminCall((req) => {
          const input = body(req);
          const record = find(input);
          const props = ctx.store.validate(type, input.properties);
          const changes = ctx.store.update(record, props);
          emit(changes);
          return json(200, {
            [singular]: toWire(ctx.store, record, { properties: [...props.keys()] }),
            changed: changes.map((c) => c.propertyName),
          });
        }),
      },
      {
        method: 'POST',
        path: `/__sandbox/actions/delete-${singular}`,
        operation: `admin.actions.delete-${singular}`,
        handler: adminCall((req) => {
          const record = find(body(req));
          emit(ctx.store.archive(record));
          return json(200, { archived: record.id });
        }),
      },
    ];
  });

  return [
    {
      method: 'GET',
      path: '/__sandbox/limits',
      operation: 'admin.limits.get',
      handler: () => json(200, { limits: limiter.limits() }),
    },
    {
      method: 'POST',
      path: '/__sandbox/limits',
      operation: 'admin.limits.configure',
      handler: (req) => {
        const patch = parseLimits(req.json());
        if (typeof patch === 'string') return json(400, { error: patch });
        return json(200, { limits: limiter.configure(patch) });
      },
    },
    ...actions,
  ];
}
