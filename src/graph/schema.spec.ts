import { describe, expect, it } from 'vitest';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, printSchema } from 'graphql';
import { buildSchema } from './schema.ts';
import { directiveScopes } from '../security/scopes.ts';

/** `a and b, or c` for `[["a", "b"], ["c"]]`. */
const describeScopes = (scopes: string[][] | undefined) =>
  scopes?.map((alternative) => alternative.join(' and ')).join(', or ');

const schema = buildSchema();

describe('the GraphQL schema', () => {
  it('is the contract: any change shows up as a diff of the printed schema', async () => {
    await expect(printSchema(schema)).toMatchFileSnapshot('./__snapshots__/schema.graphql');
  });

  it('says who may call what: every field with the scopes it needs, a diff when one changes', async () => {
    const lines: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
      const onType = describeScopes(directiveScopes(type.astNode?.directives));
      for (const field of Object.values(type.getFields())) {
        const needs = [onType, describeScopes(directiveScopes(field.astNode?.directives))].filter(Boolean);
        const args = field.args
          .map((arg) => [arg.name, describeScopes(directiveScopes(arg.astNode?.directives))])
          .filter(([, scopes]) => scopes)
          .map(([name, scopes]) => `; with ${name}: ${scopes}`);
        lines.push(`${type.name}.${field.name}: ${needs.join(' + ') || '(none)'}${args.join('')}`);
      }
    }
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('./__snapshots__/scopes.txt');
  });

  it('is secure by default: every query, mutation and subscription needs a scope', () => {
    const open: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      if (!root) continue;
      const onType = directiveScopes(root.astNode?.directives);
      for (const field of Object.values(root.getFields())) {
        if (!onType && !directiveScopes(field.astNode?.directives)) open.push(`${root.name}.${field.name}`);
      }
    }
    expect(open).toEqual([]);
  });

  it('describes every type, field, argument and enum value for the frontend developer', () => {
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name))
        continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
