import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.ts';
import { createSourceStateRepository } from '../store/source-state.ts';
import { ROLES, type WebhookContext } from '../domain/source-module.ts';
import type { WorkspaceSources } from '../hub.ts';
import type { SourceBindings } from '../sources.ts';
import { createChannelStore } from './channels.ts';
import type { InboxEventInput, WebhookVerifier } from './types.ts';

export interface WorkspaceWebhooks {
  /** `/webhooks/<path>` → system (module id), for every bound module that takes webhooks. */
  routes: ReadonlyMap<string, string>;
  /** The verifier for a system; undefined when its webhooks are not configured (404). */
  verifierFor(system: string): WebhookVerifier | undefined;
  /** Registers with the vendors that allow it, telling them `publicUrl`; keeps renewals going until `stop`. */
  register(publicUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A workspace's webhooks, from its bound modules: each module's path, verifier and registration
 * (`SourceModule.webhooks`). A module without webhook settings takes none (its route answers 404).
 */
export function connectWebhooks(options: {
  workspace: string;
  /**
   * The handle a Store opened (`store.db`): webhook secrets a module learns and push channel tokens
   * are sealed with that store's key (see `storeSecrets`); any other handle throws.
   */
  db: Kysely<Database>;
  bindings: SourceBindings;
  sources: WorkspaceSources;
  /** Stores events a module found itself (a catch-up) in the inbox, as if they came by webhook. */
  enqueue?: (system: string, events: InboxEventInput[]) => Promise<void>;
  logger: Logger;
}): WorkspaceWebhooks {
  const { workspace, db, bindings, sources, logger } = options;
  const state = createSourceStateRepository(db);
  const stops: Array<() => void> = [];
  const routes = new Map<string, string>();
  const verifiers = new Map<string, WebhookVerifier>();
  const registrations: Array<{ system: string; run: (publicUrl: string) => Promise<(() => void) | void> }> =
    [];

  for (const role of ROLES) {
    const { module, webhooks: settings } = bindings[role];
    const webhooks = module.webhooks;
    if (!webhooks) continue;
    routes.set(webhooks.path, module.id);
    if (settings === undefined) continue;
    const channels = createChannelStore(db, workspace, module.id);
    const context: WebhookContext<unknown, typeof role> = {
      workspace,
      settings: bindings[role].settings,
      source: sources[role],
      state,
      channels,
      enqueue: async (events) => {
        if (!options.enqueue) throw new Error(`this hub takes no catch-up events from ${module.label}`);
        await options.enqueue(module.id, events);
      },
      logger: logger.child({ source: module.id }),
    };
    verifiers.set(module.id, webhooks.verifier(settings, context));
    const register = webhooks.register;
    if (register) {
      registrations.push({ system: module.id, run: (publicUrl) => register(settings, publicUrl, context) });
    }
  }

  return {
    routes,
    verifierFor: (system) => verifiers.get(system),
    async register(publicUrl) {
      const results = await Promise.allSettled(registrations.map(({ run }) => run(publicUrl)));
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') {
          if (typeof result.value === 'function') stops.push(result.value);
        } else {
          logger.error(
            { err: result.reason, source: registrations[i]?.system },
            'webhook registration failed; that source sends no webhooks until it is fixed',
          );
        }
      });
    },
    async stop() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}
