/**
 * The sandbox portal's CRM data: contacts, deals and notes in memory, with HubSpot's write rules
 * (property validation, unique-value properties, associations) and the list of changes each write
 * made, which the webhook emitter turns into events.
 */
import { createRandom, type Random } from '../../../src/sandbox/kit/random.ts';
import { customerAt, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import {
  ASSOCIATION_TYPES,
  LIFECYCLE_STAGES,
  OBJECT_TYPE_NAMES,
  OBJECT_TYPES,
  type ObjectType,
  type ObjectTypeDef,
  type PropertyDef,
} from './schema.ts';
import { badRequest, fail, isRecord } from './wire.ts';

export interface CrmRecord {
  id: string;
  type: ObjectType;
  /** Only properties with a value; HubSpot returns the others as null when asked for. */
  props: Map<string, string>;
  createdAt: Date;
  updatedAt: Date;
  archived: boolean;
  archivedAt?: Date;
  assoc: Record<ObjectType, Set<string>>;
}

export interface StoreSnapshot {
  records: Record<ObjectType, Map<string, CrmRecord>>;
  lastId: Record<ObjectType, number>;
  idRandom: Record<ObjectType, number>;
}

export interface Change {
  objectType: ObjectType;
  objectId: string;
  kind: 'creation' | 'deletion' | 'propertyChange';
  propertyName?: string;
  propertyValue?: string;
}

export interface AssociationInput {
  toType: ObjectType;
  toId: string;
}

export interface Store {
  /** Active and archived records per type, in id order (ids only grow). */
  records: Record<ObjectType, Map<string, CrmRecord>>;
  /** An active record by id, or by a unique property's value when `idProperty` is given. */
  find(type: ObjectType, id: string, idProperty?: string, archived?: boolean): CrmRecord | undefined;
  /** Checks and normalises a `properties` object from a write; 400 on any problem. */
  validate(type: ObjectType, input: unknown): Map<string, string>;
  /** Checks `associations` of a create input; 400 on any problem. */
  validateAssociations(type: ObjectType, input: unknown): AssociationInput[];
  /** 409 when a unique value is already taken by another record. */
  checkUnique(type: ObjectType, props: Map<string, string>, selfId?: string): void;
  create(
    type: ObjectType,
    props: Map<string, string>,
    associations?: AssociationInput[],
  ): { record: CrmRecord; changes: Change[] };
  update(record: CrmRecord, props: Map<string, string>): Change[];
  /**
   * `props` without what an API write may not change: an earlier `lifecyclestage` than the
   * record's (HubSpot ignores it, answering 200 as if written). Edits in the UI skip this.
   */
  forwardOnly(record: CrmRecord, props: Map<string, string>): Map<string, string>;
  archive(record: CrmRecord): Change[];
  counts(): Record<ObjectType, number>;
  /** Records, id counters and id streams (sandbox mode saves them across restarts). */
  snapshot(): StoreSnapshot;
  restore(saved: StoreSnapshot): void;
}

const DAY = 86_400_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Unique values compare trimmed; email also ignores case, as HubSpot does. */
const uniqueKey = (prop: string, value: string) =>
  prop === 'email' ? value.trim().toLowerCase() : value.trim();

interface Problem {
  isValid: false;
  message: string;
  error: string;
  name: string;
  localizedErrorMessage: string;
}

function problem(name: string, error: string, message: string): Problem {
  return { isValid: false, message, error, name, localizedErrorMessage: message };
}

/** HubSpot's VALIDATION_ERROR for property values: the problems JSON-encoded inside the message. */
function failProperties(problems: Problem[]): never {
  return badRequest(`Property values were not valid: ${JSON.stringify(problems)}`, {
    errors: problems.map((p) => ({ message: p.message, code: p.error, context: { propertyName: [p.name] } })),
  });
}

function parseInstant(raw: string): number | undefined {
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Normalises one value to HubSpot's stored string form, or returns the problem with it. */
function normaliseValue(def: PropertyDef, raw: string): string | Problem {
  if (raw === '') return '';
  switch (def.type) {
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw))
        ? raw.trim()
        : problem(def.name, 'INVALID_FLOAT', `${raw} was not a valid number.`);
    case 'enumeration':
      return def.options?.includes(raw)
        ? raw
        : problem(
            def.name,
            'INVALID_OPTION',
            `${raw} was not one of the allowed options: [${(def.options ?? []).join(', ')}]`,
          );
    case 'datetime': {
      const ms = parseInstant(raw.trim());
      return ms === undefined
        ? problem(def.name, 'INVALID_DATETIME', `${raw} is not a valid datetime.`)
        : new Date(ms).toISOString();
    }
    case 'date': {
      const ms = /^\d{4}-\d{2}-\d{2}$/.test(raw.trim())
        ? Date.parse(`${raw.trim()}T00:00:00Z`)
        : parseInstant(raw.trim());
      if (ms === undefined || Number.isNaN(ms))
        return problem(def.name, 'INVALID_DATE', `${raw} is not a valid date.`);
      if (ms % DAY !== 0)
        return problem(
          def.name,
          'INVALID_DATE',
          `${raw} is at ${new Date(ms).toISOString()}, not midnight UTC.`,
        );
      return new Date(ms).toISOString().slice(0, 10);
    }
    default:
      if (def.name === 'email' && !EMAIL.test(raw.trim()))
        return problem(def.name, 'INVALID_EMAIL', `Email address ${raw} is invalid`);
      return raw;
  }
}

export function createStore(business: SeedBusiness): Store {
  const random: Random = createRandom(`hubspot:${business.seed}`);
  const idRandom: Record<ObjectType, Random> = {
    contacts: random.fork('contacts'),
    deals: random.fork('deals'),
    notes: random.fork('notes'),
  };
  const records: Record<ObjectType, Map<string, CrmRecord>> = {
    contacts: new Map(),
    deals: new Map(),
    notes: new Map(),
  };
  const unique: Record<ObjectType, Map<string, Map<string, string>>> = {
    contacts: new Map(),
    deals: new Map(),
    notes: new Map(),
  };
  // Notes are activities: HubSpot gives them ids in a far larger range than contacts.
  const lastId: Record<ObjectType, number> = { contacts: 0, deals: 0, notes: 52_000_000_000 };

  for (const type of OBJECT_TYPE_NAMES) {
    for (const p of OBJECT_TYPES[type].properties.values()) if (p.unique) unique[type].set(p.name, new Map());
  }

  const index = (record: CrmRecord, prop: string, oldValue: string | undefined, newValue: string) => {
    const byValue = unique[record.type].get(prop);
    if (!byValue) return;
    if (oldValue) byValue.delete(uniqueKey(prop, oldValue));
    if (newValue && !record.archived) byValue.set(uniqueKey(prop, newValue), record.id);
  };

  const setProp = (record: CrmRecord, prop: string, value: string) => {
    const old = record.props.get(prop);
    if (value === '') record.props.delete(prop);
    else record.props.set(prop, value);
    index(record, prop, old, value);
  };

  const insert = (
    type: ObjectType,
    id: string,
    props: Record<string, string | undefined>,
    createdAt: Date,
    updatedAt: Date,
  ) => {
    const def = OBJECT_TYPES[type];
    const record: CrmRecord = {
      id,
      type,
      props: new Map(),
      createdAt,
      updatedAt,
      archived: false,
      assoc: { contacts: new Set(), deals: new Set(), notes: new Set() },
    };
    records[type].set(id, record);
    lastId[type] = Math.max(lastId[type], Number(id));
    for (const [k, v] of Object.entries(props)) if (v !== undefined && v !== '') setProp(record, k, v);
    setProp(record, 'hs_object_id', id);
    setProp(record, def.createdProperty, createdAt.toISOString());
    setProp(record, def.modifiedProperty, updatedAt.toISOString());
    return record;
  };

  const associate = (a: CrmRecord, b: CrmRecord) => {
    a.assoc[b.type].add(b.id);
    b.assoc[a.type].add(a.id);
  };

  // Seed: one contact per customer HubSpot has, one deal per invoice.
  const contactByCustomer = new Map<string, CrmRecord>();
  for (const customer of business.customers) {
    const person = customerAt(customer, 'hubspot');
    if (!person) continue;
    const record = insert(
      'contacts',
      customer.ids.hubspotContactId,
      {
        firstname: person.firstName,
        lastname: person.lastName,
        email: person.email,
        phone: person.phone,
        company: person.company,
        lifecyclestage: customer.lifecycleStage,
        city: customer.city,
        zip: customer.postcode,
        address: customer.addressLine,
      },
      customer.createdAt,
      customer.createdAt,
    );
    contactByCustomer.set(customer.key, record);
  }
  let dealId = 21_000_000_000;
  for (const invoice of business.invoices) {
    dealId += idRandom.deals.int(1, 17);
    const paid = invoice.status === 'PAID';
    const record = insert(
      'deals',
      String(dealId),
      {
        dealname: `${invoice.number} ${invoice.lines[0]?.description ?? ''}`.trim(),
        amount: String(invoice.total / 100),
        dealstage: paid ? 'closedwon' : 'presentationscheduled',
        pipeline: 'default',
        closedate: (paid ? (invoice.payments[0]?.date ?? invoice.updatedAt) : invoice.dueDate).toISOString(),
      },
      invoice.date,
      invoice.updatedAt,
    );
    const contact = contactByCustomer.get(invoice.customerKey);
    if (contact) associate(record, contact);
  }

  const nextId = (type: ObjectType) => {
    lastId[type] += idRandom[type].int(1, type === 'contacts' ? 7 : 17);
    return String(lastId[type]);
  };

  const touch = (record: CrmRecord, at: Date) => {
    record.updatedAt = at;
    setProp(record, OBJECT_TYPES[record.type].modifiedProperty, at.toISOString());
  };

  const store: Store = {
    records,
    find(type, id, idProperty, archived = false) {
      if (idProperty && idProperty !== 'hs_object_id') {
        const def = OBJECT_TYPES[type].properties.get(idProperty);
        if (!def) badRequest(`Property "${idProperty}" does not exist`);
        if (!def.unique)
          badRequest(`${idProperty} is not a unique property. idProperty must be a unique value property.`);
        if (archived) {
          const key = uniqueKey(idProperty, id);
          return [...records[type].values()].find(
            (r) => r.archived && uniqueKey(idProperty, r.props.get(idProperty) ?? '') === key,
          );
        }
        const found = unique[type].get(idProperty)?.get(uniqueKey(idProperty, id));
        return found ? records[type].get(found) : undefined;
      }
      const record = records[type].get(id);
      return record && record.archived === archived ? record : undefined;
    },
    validate(type, input) {
      const def: ObjectTypeDef = OBJECT_TYPES[type];
      if (input === undefined || input === null) return new Map();
      if (!isRecord(input))
        badRequest('Invalid input JSON: "properties" must be an object of property names to values.');
      const out = new Map<string, string>();
      const problems: Problem[] = [];
      for (const [name, value] of Object.entries(input)) {
        const prop = def.properties.get(name);
        if (!prop) {
          problems.push(problem(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`));
          continue;
        }
        if (prop.readOnly) {
          problems.push(
            problem(name, 'READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`),
          );
          continue;
        }
        if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
          problems.push(
            problem(name, 'INVALID_VALUE', `Property "${name}" must be a string, number or boolean.`),
          );
          continue;
        }
        const normalised = normaliseValue(prop, value === null ? '' : String(value));
        if (typeof normalised === 'string') out.set(name, normalised);
        else problems.push(normalised);
      }
      if (problems.length > 0) failProperties(problems);
      return out;
    },
    validateAssociations(type, input) {
      if (input === undefined || input === null) return [];
      if (!Array.isArray(input)) badRequest('Invalid input JSON: "associations" must be a list.');
      return input.map((item: unknown, i) => {
        const to = isRecord(item) ? item.to : undefined;
        const types = isRecord(item) ? item.types : undefined;
        const toId = isRecord(to) ? to.id : undefined;
        if (
          (typeof toId !== 'string' && typeof toId !== 'number') ||
          !Array.isArray(types) ||
          types.length === 0
        ) {
          badRequest(
            `Invalid input JSON: associations[${i}] needs "to": {"id"} and a non-empty "types" list.`,
          );
        }
        const spec = types[0] as unknown;
        const typeId = isRecord(spec) ? Number(spec.associationTypeId) : NaN;
        const known = ASSOCIATION_TYPES[typeId];
        if (!known || known.from !== type) {
          badRequest(
            `Invalid association type ${String(isRecord(spec) ? spec.associationTypeId : spec)} for ${type}.`,
            {
              subCategory: 'crm.associations.INVALID_ASSOCIATION_TYPE',
            },
          );
        }
        const target = records[known.to].get(String(toId));
        if (!target || target.archived) {
          badRequest(
            `One or more associations are invalid: ${OBJECT_TYPES[known.to].errorName} ${String(toId)} does not exist.`,
            {
              subCategory: 'crm.associations.INVALID_OBJECT_IDS',
              context: { ids: [String(toId)] },
            },
          );
        }
        return { toType: known.to, toId: String(toId) };
      });
    },
    checkUnique(type, props, selfId) {
      for (const [name, value] of props) {
        const byValue = unique[type].get(name);
        if (!byValue || value === '') continue;
        const owner = byValue.get(uniqueKey(name, value));
        if (owner && owner !== selfId) {
          const singular = OBJECT_TYPES[type].singular;
          const label = `${singular[0]?.toUpperCase() ?? ''}${singular.slice(1)}`;
          fail(409, `${label} already exists. Existing ID: ${owner}`, { category: 'CONFLICT' });
        }
      }
    },
    create(type, props, associations = []) {
      const missing = (OBJECT_TYPES[type].requiredOnCreate ?? []).filter((name) => !props.get(name));
      if (missing.length > 0)
        failProperties(
          missing.map((name) =>
            problem(
              name,
              'REQUIRED_FIELD',
              `${name} is required to create a ${OBJECT_TYPES[type].singular}.`,
            ),
          ),
        );
      store.checkUnique(type, props);
      const now = new Date();
      const createdate = props.get('createdate');
      const createdAt = createdate ? new Date(createdate) : now;
      const rest = Object.fromEntries([...props].filter(([k]) => k !== 'createdate'));
      const record = insert(type, nextId(type), rest, createdAt, now);
      for (const a of associations) {
        const target = records[a.toType].get(a.toId);
        if (target) associate(record, target);
      }
      const changes: Change[] = [{ objectType: type, objectId: record.id, kind: 'creation' }];
      // HubSpot also reports the properties set at creation as property changes.
      for (const [name, value] of props) {
        if (value !== '')
          changes.push({
            objectType: type,
            objectId: record.id,
            kind: 'propertyChange',
            propertyName: name,
            propertyValue: value,
          });
      }
      return { record, changes };
    },
    update(record, props) {
      store.checkUnique(record.type, props, record.id);
      const changes: Change[] = [];
      for (const [name, value] of props) {
        if ((record.props.get(name) ?? '') === value) continue;
        setProp(record, name, value);
        if (name === 'createdate') record.createdAt = new Date(value);
        changes.push({
          objectType: record.type,
          objectId: record.id,
          kind: 'propertyChange',
          propertyName: name,
          propertyValue: value,
        });
      }
      if (changes.length > 0) touch(record, new Date());
      return changes;
    },
    forwardOnly(record, props) {
      const next = props.get('lifecyclestage');
      const current = record.props.get('lifecyclestage');
      if (record.type !== 'contacts' || !next || !current) return props;
      const rank = (stage: string) => (LIFECYCLE_STAGES as readonly string[]).indexOf(stage);
      if (rank(next) >= rank(current)) return props;
      return new Map([...props].filter(([name]) => name !== 'lifecyclestage'));
    },
    archive(record) {
      if (record.archived) return [];
      for (const [name, value] of record.props) index(record, name, value, '');
      record.archived = true;
      record.archivedAt = new Date();
      touch(record, record.archivedAt);
      return [{ objectType: record.type, objectId: record.id, kind: 'deletion' }];
    },
    snapshot: () => ({
      records,
      lastId: { ...lastId },
      idRandom: {
        contacts: idRandom.contacts.position(),
        deals: idRandom.deals.position(),
        notes: idRandom.notes.position(),
      },
    }),
    restore(saved) {
      for (const type of ['contacts', 'deals'] as const) {
        if (!(saved.records?.[type] instanceof Map)) throw new Error(`no HubSpot ${type} in the saved state`);
      }
      for (const type of OBJECT_TYPE_NAMES) {
        // State saved before the sandbox had notes has none: the portal starts with no notes.
        const kept = saved.records[type] ?? new Map<string, CrmRecord>();
        records[type].clear();
        for (const byValue of unique[type].values()) byValue.clear();
        for (const [id, record] of kept) {
          record.assoc.notes ??= new Set();
          records[type].set(id, record);
          // The unique-value index (email, ...) is derived: rebuilt rather than saved.
          for (const [name, value] of record.props) index(record, name, undefined, value);
        }
        if (saved.lastId[type] !== undefined) lastId[type] = saved.lastId[type];
        if (saved.idRandom[type] !== undefined) idRandom[type].seek(saved.idRandom[type]);
      }
    },
    counts() {
      const count = (type: ObjectType) => [...records[type].values()].filter((r) => !r.archived).length;
      return { contacts: count('contacts'), deals: count('deals'), notes: count('notes') };
    },
  };
  return store;
}
