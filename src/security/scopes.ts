import { Kind, isEnumType, type DirectiveNode, type GraphQLSchema } from 'graphql';

/**
 * The scopes a credential can carry are the values of the SDL's `Scope` enum (schema/security.graphql);
 * `CUSTOMERS_READ` is written `customers:read` in keys, tokens, the CLI and `@requiresScopes`.
 */
export interface ScopeCatalog {
  /** Every scope, in the schema's order. */
  all: readonly string[];
  /** Those marked `@publishable`: the only ones a publishable key may carry. */
  publishable: ReadonlySet<string>;
  /** One line per scope, for help texts. */
  describe(scope: string): string | undefined;
}

/** `CUSTOMERS_READ` → `customers:read`; `OPERATOR` → `operator`. */
export function scopeFromEnumValue(value: string): string {
  const lower = value.toLowerCase();
  const cut = lower.lastIndexOf('_');
  return cut < 0 ? lower : `${lower.slice(0, cut)}:${lower.slice(cut + 1)}`;
}

/** `customers:read` → `CUSTOMERS_READ`. */
export function enumValueFromScope(scope: string): string {
  return scope.replace(':', '_').toUpperCase();
}

const hasDirective = (directives: readonly DirectiveNode[] | undefined, name: string) =>
  directives?.some((d) => d.name.value === name) ?? false;

export function readScopeCatalog(schema: GraphQLSchema): ScopeCatalog {
  const type = schema.getType('Scope');
  if (!isEnumType(type))
    throw new Error('the schema has no `enum Scope`: schema/security.graphql is missing');
  const values = type.getValues();
  const all = values.map((v) => scopeFromEnumValue(v.name));
  const publishable = new Set(
    values
      .filter((v) => hasDirective(v.astNode?.directives, 'publishable'))
      .map((v) => scopeFromEnumValue(v.name)),
  );
  const descriptions = new Map(values.map((v) => [scopeFromEnumValue(v.name), v.description ?? '']));
  const catalog: ScopeCatalog = { all, publishable, describe: (scope) => descriptions.get(scope) };
  checkDirectiveScopes(schema, new Set(all));
  return catalog;
}

/**
 * Every scope named in a `@requiresScopes` must be in the `Scope` enum: a typo there would make a
 * field that no credential can ever read, so the schema refuses to build instead.
 */
function checkDirectiveScopes(schema: GraphQLSchema, known: ReadonlySet<string>): void {
  const unknown: string[] = [];
  const visit = (where: string, directives: readonly DirectiveNode[] | undefined) => {
    for (const directive of directives ?? []) {
      if (directive.name.value !== 'requiresScopes') continue;
      for (const scope of scopesIn(directive)) if (!known.has(scope)) unknown.push(`${where}: "${scope}"`);
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    visit(type.name, type.astNode?.directives);
    if ('getFields' in type) {
      for (const field of Object.values(type.getFields())) {
        visit(`${type.name}.${field.name}`, field.astNode?.directives);
        for (const arg of 'args' in field ? field.args : []) {
          visit(`${type.name}.${field.name}(${arg.name})`, arg.astNode?.directives);
        }
      }
    }
  }
  if (unknown.length > 0) {
    throw new Error(
      `@requiresScopes names scopes the Scope enum does not have: ${unknown.join(', ')}. Add them to schema/security.graphql or fix the name.`,
    );
  }
}

function scopesIn(directive: DirectiveNode): string[] {
  const arg = directive.arguments?.find((a) => a.name.value === 'scopes');
  const out: string[] = [];
  if (arg?.value.kind !== Kind.LIST) return out;
  for (const alternative of arg.value.values) {
    if (alternative.kind !== Kind.LIST) continue;
    for (const scope of alternative.values) if (scope.kind === Kind.STRING) out.push(scope.value);
  }
  return out;
}

/** The `scopes` of a `@requiresScopes` among AST directives (of an argument, or of a type for `node`). */
export function directiveScopes(directives: readonly DirectiveNode[] | undefined): string[][] | undefined {
  const directive = directives?.find((d) => d.name.value === 'requiresScopes');
  const arg = directive?.arguments?.find((a) => a.name.value === 'scopes');
  if (arg?.value.kind !== Kind.LIST) return undefined;
  return arg.value.values.map((alternative) =>
    alternative.kind === Kind.LIST
      ? alternative.values.flatMap((s) => (s.kind === Kind.STRING ? [s.value] : []))
      : [],
  );
}

/**
 * What the caller lacks to satisfy `required` (alternatives of scopes that must all be held): the
 * smallest set of missing scopes among the alternatives, or undefined when one alternative is met.
 */
export function missingScopes(
  required: readonly (readonly string[])[] | undefined,
  held: ReadonlySet<string>,
): string[] | undefined {
  if (!required || required.length === 0) return undefined;
  let best: string[] | undefined;
  for (const alternative of required) {
    const missing = alternative.filter((scope) => !held.has(scope));
    if (missing.length === 0) return undefined;
    if (!best || missing.length < best.length) best = missing;
  }
  return best;
}

/** Checks scope names given by people (CLI, mutations); returns the unknown ones. */
export function unknownScopes(catalog: ScopeCatalog, scopes: readonly string[]): string[] {
  return scopes.filter((s) => !catalog.all.includes(s));
}
