import {
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getDirectiveValues,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type GraphQLSchema,
  type ValidationContext,
} from 'graphql';
import type { Caller } from './requests.ts';
import { directiveScopes, missingScopes } from './scopes.ts';

/** What one field of one type requires: the type's own `@requiresScopes`, the field's, its arguments'. */
interface FieldRequirement {
  type?: string[][];
  field?: string[][];
  args?: Map<string, string[][]>;
}

/** Every type's and field's `@requiresScopes`, read from the SDL once per schema. */
function compile(schema: GraphQLSchema): Map<string, Map<string, FieldRequirement>> {
  const byType = new Map<string, Map<string, FieldRequirement>>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
    const typeScopes = directiveScopes([
      ...(type.astNode?.directives ?? []),
      ...type.extensionASTNodes.flatMap((n) => n.directives ?? []),
    ]);
    const fields = new Map<string, FieldRequirement>();
    for (const field of Object.values(type.getFields())) {
      const args = new Map<string, string[][]>();
      for (const arg of field.args) {
        const required = directiveScopes(arg.astNode?.directives);
        if (required) args.set(arg.name, required);
      }
      const requirement: FieldRequirement = {
        type: typeScopes,
        field: directiveScopes(field.astNode?.directives),
        args: args.size ? args : undefined,
      };
      if (requirement.type || requirement.field || requirement.args) fields.set(field.name, requirement);
    }
    byType.set(type.name, fields);
  }
  return byType;
}

const compiled = new WeakMap<GraphQLSchema, Map<string, Map<string, FieldRequirement>>>();
/** Verdicts by document and scope set: a document checked once per kind of caller. */
const verdicts = new WeakMap<DocumentNode, Map<string, GraphQLError[]>>();
const scopeKeys = new WeakMap<ReadonlySet<string>, string>();
const NO_SCOPES: ReadonlySet<string> = new Set();

const keyOf = (scopes: ReadonlySet<string>) => {
  let key = scopeKeys.get(scopes);
  if (key === undefined) {
    key = [...scopes].sort().join(' ');
    scopeKeys.set(scopes, key);
  }
  return key;
};

/** A document whose selections depend on variables (`@skip(if: $x)`) is checked per request. */
const dependsOnVariables = (document: DocumentNode) => {
  const body = document.loc?.source.body;
  return body === undefined || body.includes('@skip') || body.includes('@include');
};

function forbidden(what: string, field: string, missing: string[], node: FieldNode): GraphQLError {
  const list = missing.map((s) => `\`${s}\``).join(' and ');
  return new GraphQLError(
    `${what} needs the ${list} scope${missing.length > 1 ? 's' : ''}, which this credential does not have.`,
    {
      nodes: [node],
      extensions: { code: 'FORBIDDEN', missingScopes: missing, field, http: { status: 403 } },
    },
  );
}

/**
 * The `@requiresScopes` check, as an extended-validation rule (@envelop/extended-validation): it
 * runs after validation and before execution, so a refused operation never reaches a resolver or a
 * vendor. Each selected field is checked against its type's scopes, its own, and those of the
 * arguments given; a field left out by `@skip`/`@include` is not. The requirements are read from
 * the SDL once per schema and each document's verdict is kept per set of scopes, so a repeated query
 * costs a map lookup. (@envelop/generic-auth implements the same directive but re-reads the
 * directive arguments for every field of every request: 0.6 ms on the customer-360 query.)
 */
export function scopeRule(context: ValidationContext, args: ExecutionArgs): ASTVisitor {
  const schema = context.getSchema();
  let requirements = compiled.get(schema);
  if (!requirements) {
    requirements = compile(schema);
    compiled.set(schema, requirements);
  }
  const held = (args.contextValue as { caller?: Caller } | undefined)?.caller?.principal.scopes ?? NO_SCOPES;
  const memoise = !dependsOnVariables(args.document);
  const key = keyOf(held);
  if (memoise) {
    const known = verdicts.get(args.document)?.get(key);
    if (known) {
      for (const error of known) context.reportError(error);
      return {};
    }
  }
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const errors: GraphQLError[] = [];
  const byType = requirements;
  return {
    Field(node) {
      if (node.directives?.length) {
        if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
        if (getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if === false) return false;
      }
      const parent = context.getParentType();
      if (!parent) return undefined;
      const named = getNamedType(parent);
      const requirement = byType.get(named.name)?.get(node.name.value);
      if (!requirement) return undefined;
      const field = `${named.name}.${node.name.value}`;
      let missing = missingScopes(requirement.type, held) ?? missingScopes(requirement.field, held);
      let what = field;
      if (!missing && requirement.args && node.arguments) {
        for (const arg of node.arguments) {
          const required = requirement.args.get(arg.name.value);
          if (!required || arg.value.kind === Kind.NULL) continue;
          missing = missingScopes(required, held);
          if (missing) {
            what = `the ${arg.name.value} argument of ${field}`;
            break;
          }
        }
      }
      if (missing) {
        const error = forbidden(what, field, missing, node);
        errors.push(error);
        context.reportError(error);
        // Nothing under a refused field is checked: one error names what is missing.
        return false;
      }
      return undefined;
    },
    Document: {
      leave() {
        if (!memoise) return;
        let byScopes = verdicts.get(args.document);
        if (!byScopes) {
          byScopes = new Map();
          verdicts.set(args.document, byScopes);
        }
        byScopes.set(key, errors);
      },
    },
  };
}
