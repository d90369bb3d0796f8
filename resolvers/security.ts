import { GraphQLError } from 'graphql';
import type { GraphContext } from '../src/graph/context.ts';
import type { ApiKeyKind, AuditOutcome, Resolvers, Scope } from '../src/graph/resolvers-types.generated.ts';
import { checkFirst, cursorPage, decodeCursor } from '../src/graph/connection.ts';
import { badInput } from '../src/graph/errors.ts';
import { isActive, keyPrefix, parseDuration, type ApiKeyRecord } from '../src/security/keys.ts';
import { normaliseOrigin } from '../src/security/authenticate.ts';
import { noteAuditTarget } from '../src/security/plugins.ts';
import { enumValueFromScope, scopeFromEnumValue } from '../src/security/scopes.ts';

const MAX_LIFETIME_MS = 3_650 * 86_400_000; // ten years
const MAX_OVERLAP_MS = 30 * 86_400_000; // 30 days

/** A key of another workspace is as unknown as one that does not exist. */
async function ownKey(ctx: GraphContext, id: string): Promise<ApiKeyRecord> {
  const key = await ctx.security.keys.get(id);
  if (!key || key.workspace !== ctx.workspace.id) {
    throw new GraphQLError(`No API key ${id.slice(0, 40)} in this workspace.`, {
      extensions: { code: 'NOT_FOUND', argument: 'id' },
    });
  }
  return key;
}

/** Allowed origins of a publishable key: https (http only for localhost), no path. */
function checkOrigins(origins: readonly string[]): string[] {
  return origins.map((raw) => {
    const origin = normaliseOrigin(raw);
    const host = origin ? new URL(origin).hostname : '';
    const local = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
    if (!origin || (!origin.startsWith('https://') && !local)) {
      throw badInput(
        `"${raw.slice(0, 100)}" is not an allowed origin: give https://host[:port] (http://localhost… for development), without a path`,
        'allowedOrigins',
      );
    }
    return origin;
  });
}

const keyCursor = (key: ApiKeyRecord) => `k:${key.createdAt.toISOString()}|${key.id}`;
const entryCursor = (entry: { at: Date; id: string }) => `a:${entry.at.toISOString()}|${entry.id}`;
function splitCursor(cursor: string, prefix: string): { at: Date; id: string } {
  const [at, id] = decodeCursor(cursor, prefix).split('|');
  const date = new Date(at ?? '');
  if (!id || Number.isNaN(date.getTime())) throw badInput('"after" is not a cursor from this list', 'after');
  return { at: date, id };
}

export const securityResolvers: Resolvers = {
  ApiKey: {
    kind: (key) => key.kind.toUpperCase() as ApiKeyKind,
    mode: (key) => (key.mode === 'live' ? 'LIVE' : 'TEST'),
    prefix: (key) => keyPrefix(key),
    scopes: (key) => key.scopes.map(enumValueFromScope) as Scope[],
    active: (key) => isActive(key),
  },
  CreatedApiKey: {
    apiKey: (created) => created.key,
    secret: (created) => created.text,
  },
  AuditEntry: {
    outcome: (entry) => entry.outcome as AuditOutcome,
  },
  Query: {
    apiKeys: async (_, args, ctx) => {
      const first = checkFirst(args.first, 200, 50);
      const after = args.after ? splitCursor(args.after, 'k') : undefined;
      const keys = await ctx.security.keys.list({
        workspace: ctx.workspace.id,
        includeInactive: args.includeRevoked ?? false,
        first: first + 1,
        after: after && { createdAt: after.at, id: after.id },
      });
      return cursorPage(keys.slice(0, first), {
        cursor: keyCursor,
        hasNextPage: keys.length > first,
        hasPreviousPage: Boolean(after),
      });
    },
    auditLog: async (_, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const after = args.after ? splitCursor(args.after, 'a') : undefined;
      const entries = await ctx.security.audit.list(ctx.workspace.id, {
        actor: args.actor ?? undefined,
        action: args.action ?? undefined,
        outcomes: args.outcomes ?? undefined,
        since: args.since ?? undefined,
        first: first + 1,
        after,
      });
      return cursorPage(entries.slice(0, first), {
        cursor: entryCursor,
        hasNextPage: entries.length > first,
        hasPreviousPage: Boolean(after),
      });
    },
  },
  Mutation: {
    createApiKey: async (_, { input }, ctx) => {
      const name = input.name.trim();
      if (name.length < 1 || name.length > 100) throw badInput('"name" is 1 to 100 characters', 'name');
      const scopes = [...new Set(input.scopes.map(scopeFromEnumValue))];
      if (scopes.length === 0) throw badInput('a key needs at least one scope', 'scopes');
      const beyond = scopes.filter((s) => !ctx.caller.principal.scopes.has(s));
      if (beyond.length > 0) {
        throw new GraphQLError(
          `A key cannot grant more than its maker holds; this credential lacks ${beyond.map((s) => `\`${s}\``).join(', ')}.`,
          { extensions: { code: 'FORBIDDEN', missingScopes: beyond } },
        );
      }
      const kind = input.kind === 'PUBLISHABLE' ? 'publishable' : 'secret';
      let allowedOrigins: string[] = [];
      if (kind === 'publishable') {
        const secret = scopes.filter((s) => !ctx.security.catalog.publishable.has(s));
        if (secret.length > 0) {
          throw badInput(
            `a publishable key can carry only publishable scopes (${[...ctx.security.catalog.publishable].join(', ')}); ${secret.join(', ')} need a secret key`,
            'scopes',
          );
        }
        allowedOrigins = checkOrigins(input.allowedOrigins ?? []);
        if (allowedOrigins.length === 0) {
          throw badInput(
            'a publishable key needs at least one allowed origin (the website it serves)',
            'allowedOrigins',
          );
        }
      } else if (input.allowedOrigins?.length) {
        throw badInput(
          'allowed origins are for publishable keys; a secret key is never used from a web page',
          'allowedOrigins',
        );
      }
      let expiresAt: Date | null = null;
      if (input.expiresIn) {
        const ms = parseDuration(input.expiresIn);
        if (!ms || ms > MAX_LIFETIME_MS) {
          throw badInput(
            `"expiresIn" is a duration such as 90d, 12h or 30m, at most 3650d; got "${input.expiresIn.slice(0, 20)}"`,
            'expiresIn',
          );
        }
        expiresAt = new Date(Date.now() + ms);
      }
      const created = await ctx.security.keys.create({
        workspace: ctx.workspace.id,
        kind,
        mode: ctx.security.mode,
        name,
        scopes,
        allowedOrigins,
        expiresAt,
        createdBy: ctx.caller.principal.actor,
      });
      ctx.security.created();
      noteAuditTarget(ctx, 'createApiKey', created.key.id);
      return created;
    },
    revokeApiKey: async (_, { id }, ctx) => {
      await ownKey(ctx, id);
      const key = await ctx.security.keys.revoke(id);
      ctx.security.revoked(id);
      noteAuditTarget(ctx, 'revokeApiKey', id);
      return key!;
    },
    rotateApiKey: async (_, { id, overlap }, ctx) => {
      const old = await ownKey(ctx, id);
      if (!isActive(old)) throw badInput(`key ${id} is revoked or expired: make a new one instead`, 'id');
      const overlapMs = parseDuration(overlap ?? '24h');
      if (overlapMs === undefined || overlapMs > MAX_OVERLAP_MS) {
        throw badInput(
          `"overlap" is a duration such as 24h, 30m or 0s, at most 30d; got "${String(overlap).slice(0, 20)}"`,
          'overlap',
        );
      }
      const rotated = await ctx.security.keys.rotate(id, overlapMs, ctx.caller.principal.actor);
      if (!rotated) throw badInput(`key ${id} was revoked or rotated meanwhile: list the keys again`, 'id');
      ctx.security.revoked(id);
      noteAuditTarget(ctx, 'rotateApiKey', id);
      return { key: rotated.key, text: rotated.text };
    },
  },
};
