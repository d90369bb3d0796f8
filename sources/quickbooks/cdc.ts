import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SourceStateRepository } from '../../src/store/source-state.ts';
import type { InboxEventInput } from '../../src/webhooks/types.ts';
import { createReader } from '../../src/upstream/validate.ts';
import { CDC_MAX_OBJECTS, type Entity, type QuickbooksApi } from './api.ts';
import { isVoided, parseQuickbooksDate } from './mappers.ts';
import { toInboxEvent, type EntityChange } from './webhooks.ts';

/**
 * Change data capture: what changed since a time, as the inbox events the webhooks would have
 * brought, so a hub that was down (or a delivery Intuit gave up on) loses nothing.
 * https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture
 *
 * CDC returns each changed record's current state, not its history, so several changes of one
 * record since then come back as one: the latest, with the id the webhook for that latest change
 * had (webhooks.ts), so the two collapse in the inbox. The operation is inferred from the record:
 * deleted (`status: "Deleted"`), voided (an invoice with the void marks), created (created and last
 * updated in the same second) or updated.
 */

/** The entities whose changes the hub acts on (Payments show up as Invoice updates). */
export const CDC_ENTITIES: readonly Entity[] = ['Customer', 'Invoice'];
/** How far back QBO's CDC looks at most. */
export const CDC_LOOKBACK_MS = 30 * 86_400_000;
/** The catch-up's time, per workspace (`source_state`, system `quickbooks`). */
export const CDC_SINCE_KEY = 'cdc_since';
/** One replica catches up at a time. */
export const CDC_LEASE_KEY = 'cdc_lease';
/** Clock skew between the hub and Intuit: the next catch-up starts this long before this one did. */
export const CLOCK_SKEW_MS = 60_000;

const read = createReader('quickbooks');
const LEASE_MS = 5 * 60_000;
/** Kept off the 30-day edge, where Intuit's clock and the hub's would decide whether it is refused. */
const LOOKBACK_MARGIN_MS = 3_600_000;

const second = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : undefined);

/** One CDC record as the change a webhook would have named; undefined when it says nothing usable. */
export function cdcChange(realmId: string, name: Entity, raw: unknown): EntityChange | undefined {
  const record = read.object(raw, `cdc ${name}`);
  const id = read.string(record, 'Id', `cdc ${name}`);
  const meta =
    record.MetaData === undefined || record.MetaData === null
      ? {}
      : read.object(record.MetaData, `cdc ${name} ${id}.MetaData`);
  const lastUpdated = parseQuickbooksDate(meta.LastUpdatedTime);
  if (!lastUpdated) return undefined;
  let operation: string;
  if (record.status === 'Deleted') operation = 'Delete';
  else if (name === 'Invoice' && isVoided(record)) operation = 'Void';
  else operation = second(parseQuickbooksDate(meta.CreateTime)) === second(lastUpdated) ? 'Create' : 'Update';
  return { realmId, name, id, operation, lastUpdated };
}

/**
 * The inbox events for everything changed since `since`, oldest first. One CDC answer holds at
 * most 1000 objects; when it is that full some may be missing, so each entity is then read on its
 * own, moving `since` up to the latest change seen until an answer has room to spare.
 */
export async function cdcEvents(
  api: QuickbooksApi,
  since: Date,
  signal?: AbortSignal,
): Promise<InboxEventInput[]> {
  const changes: EntityChange[] = [];
  const collect = (entity: Entity, records: unknown[]) => {
    for (const raw of records) {
      const change = cdcChange(api.realmId, entity, raw);
      if (change) changes.push(change);
    }
  };
  // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
  const first = await api.cdc(CDC_ENTITIES, since, signal);
  const size = [...first.values()].reduce((n, records) => n + records.length, 0);
  if (size < CDC_MAX_OBJECTS) {
    for (const [entity, records] of first) collect(entity, records);
  } else {
    for (const entity of CDC_ENTITIES) {
      for (let from = since; ;) {
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
        const records = (await api.cdc([entity], from, signal)).get(entity) ?? [];
        const before = changes.length;
        collect(entity, records);
        if (records.length < CDC_MAX_OBJECTS) break;
        const latest = Math.max(...changes.slice(before).map((c) => c.lastUpdated.getTime()));
        // A thousand changes within one second: the rest come with the webhooks or the next run.
        if (!(latest > from.getTime())) break;
        from = new Date(latest);
      }
    }
  }
  const byId = new Map<string, InboxEventInput>();
  for (const change of changes) {
    const event = toInboxEvent(change);
    byId.set(event.eventId, event);
  }
  return [...byId.values()].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
}

export interface CatchUpDeps {
  workspace: string;
  state: SourceStateRepository;
  /** What changed since then (the source's `changeEvents`). */
  changeEvents(since: Date): Promise<InboxEventInput[]>;
  enqueue(events: InboxEventInput[]): Promise<void>;
  logger: Pick<Logger, 'warn'>;
  now?: () => Date;
}

export interface CatchUp {
  /** One catch-up: events stored, or null when another replica holds the catch-up lease. */
  run(): Promise<number | null>;
}

/**
 * The catch-up the webhook registration runs at start and then every few minutes. The first run of
 * a workspace only records the time: what happened before the hub was connected is the backfill's.
 * Each run reads from the time the previous one recorded and records its own start, less a minute
 * of clock skew, after its events are stored: a crash in between repeats the window, and the inbox
 * deduplicates what it already has.
 */
export function createCdcCatchUp(deps: CatchUpDeps): CatchUp {
  const { workspace, state, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const holder = randomUUID();
  return {
    async run() {
      if (!(await state.acquireLease(workspace, 'quickbooks', CDC_LEASE_KEY, holder, LEASE_MS))) return null;
      try {
        const started = now().getTime();
        const next = new Date(started - CLOCK_SKEW_MS).toISOString();
        const stored = await state.get(workspace, 'quickbooks', CDC_SINCE_KEY);
        const since = stored === undefined ? undefined : parseQuickbooksDate(stored);
        if (!since) {
          await state.set(workspace, 'quickbooks', CDC_SINCE_KEY, next);
          return 0;
        }
        const oldest = started - CDC_LOOKBACK_MS + LOOKBACK_MARGIN_MS;
        let from = since;
        if (from.getTime() < oldest) {
          from = new Date(oldest);
          logger.warn(
            { since: since.toISOString(), from: from.toISOString() },
            'QuickBooks CDC looks back 30 days at most: changes before then were missed; run a backfill',
          );
        }
        const events = await deps.changeEvents(from);
        if (events.length > 0) await deps.enqueue(events);
        await state.set(workspace, 'quickbooks', CDC_SINCE_KEY, next);
        return events.length;
      } finally {
        await state.releaseLease(workspace, 'quickbooks', CDC_LEASE_KEY, holder);
      }
    },
  };
}
