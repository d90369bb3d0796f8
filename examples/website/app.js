// @ts-check
/**
 * The booking page: services → free slots → enquiry → deposit link. Plain browser JavaScript (an ES
 * module, no framework, no build step), type-checked by TypeScript through these JSDoc comments
 * (`tsconfig.json` beside it). Everything the hub sends is written with textContent, never as HTML.
 */
import { hubUrl, publishableKey, timeZone } from './config.js';

/** How far ahead the page offers times. */
const DAYS_AHEAD = 14;
const LOCALE = document.documentElement.lang || 'en-GB';

/**
 * @typedef {{ formatted: string }} Money
 * @typedef {{ code: string, name: string, durationMinutes: number, price: Money, deposit: Money | null }} Service
 * @typedef {{ start: string, end: string }} Slot
 * @typedef {{ url: string, expiresAt: string, amount: Money }} Deposit
 * @typedef {{ reference: string, heldUntil: string | null, deposit: Deposit | null }} Enquiry
 */

/** A refusal or failure from the hub, with its `extensions.code` (`BAD_USER_INPUT`, `SLOT_TAKEN`, …). */
class HubError extends Error {
  /**
   * @param {string} message
   * @param {string | undefined} code
   * @param {Record<string, unknown>} [extensions]
   */
  constructor(message, code, extensions = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

/**
 * One GraphQL request with the publishable key. The hub's message is what the visitor sees, so a
 * refusal says what to fix or when to try again.
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @returns {Promise<any>}
 */
async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch(`${hubUrl.replace(/\/+$/, '')}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        authorization: `Bearer ${publishableKey}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new HubError(
      'The booking service could not be reached. Check your connection and try again.',
      'NETWORK',
    );
  }
  /** @type {any} */
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const first = body?.errors?.[0];
  if (first) throw new HubError(String(first.message), first.extensions?.code, first.extensions ?? {});
  if (!response.ok || !body?.data) {
    throw new HubError(
      body?.error ?? `The booking service answered ${response.status}; please try again shortly.`,
      body?.code,
    );
  }
  return body.data;
}

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function byId(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ text?: string, className?: string }} [options]
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, { text, className } = {}) {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
}

const page = {
  status: byId('status', HTMLElement),
  services: byId('services', HTMLFieldSetElement),
  slotStep: byId('step-slot', HTMLElement),
  zoneHint: byId('zone-hint', HTMLElement),
  days: byId('days', HTMLElement),
  detailsStep: byId('step-details', HTMLElement),
  chosen: byId('chosen', HTMLElement),
  form: byId('enquiry', HTMLFormElement),
  formError: byId('form-error', HTMLElement),
  send: byId('send', HTMLButtonElement),
  doneStep: byId('step-done', HTMLElement),
  reference: byId('reference', HTMLElement),
  deposit: byId('deposit', HTMLElement),
  depositLink: byId('deposit-link', HTMLAnchorElement),
  held: byId('held', HTMLElement),
  noDeposit: byId('no-deposit', HTMLElement),
};

const dayFormat = new Intl.DateTimeFormat(LOCALE, {
  timeZone,
  weekday: 'long',
  day: 'numeric',
  month: 'long',
});
const timeFormat = new Intl.DateTimeFormat(LOCALE, { timeZone, hour: '2-digit', minute: '2-digit' });
/** A day's key in the business's time zone (`2026-12-07`), for grouping slots. */
const dayKey = new Intl.DateTimeFormat('en-CA', {
  timeZone,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** @type {{ services: Service[], service: Service | null, slot: Slot | null, loading: number }} */
const state = { services: [], service: null, slot: null, loading: 0 };

/** @param {string} text */
const say = (text) => {
  page.status.textContent = text;
};

/** @param {HubError | Error} error */
function describe(error) {
  if (error instanceof HubError && error.code === 'RATE_LIMITED') {
    const seconds = Number(error.extensions.retryAfterSeconds);
    const wait =
      seconds > 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds > 0 ? seconds : 'a few'} seconds`;
    // The hub's message speaks to developers (the limit, per address); the visitor needs when.
    return `Too many enquiries from your connection just now. Please try again in ${wait}.`;
  }
  return error.message;
}

async function loadServices() {
  say('Loading services…');
  try {
    const data = await gql(
      `{ services { code name durationMinutes price { formatted } deposit { formatted } } }`,
    );
    state.services = data.services;
  } catch (error) {
    say(`The services could not be loaded: ${describe(/** @type {Error} */ (error))}`);
    return;
  }
  for (const service of state.services) {
    const label = make('label', { className: 'choice' });
    const radio = make('input');
    radio.type = 'radio';
    radio.name = 'service';
    radio.value = service.code;
    radio.addEventListener('change', () => chooseService(service));
    const name = make('span', { text: service.name, className: 'name' });
    const facts = [`${service.durationMinutes} min`, service.price.formatted];
    if (service.deposit) facts.push(`deposit ${service.deposit.formatted}`);
    const meta = make('span', { text: facts.join(' · '), className: 'meta' });
    label.append(radio, name, meta);
    page.services.append(label);
  }
  say(
    state.services.length
      ? `${state.services.length} services. Choose one to see free times.`
      : 'No services are offered just now.',
  );
}

/** @param {Service} service */
async function chooseService(service) {
  state.service = service;
  state.slot = null;
  page.detailsStep.hidden = true;
  page.slotStep.hidden = false;
  page.zoneHint.textContent = `Times are shown in the ${timeZone.replace(/_/g, ' ')} time zone.`;
  await loadSlots();
}

async function loadSlots() {
  const service = state.service;
  if (!service) return;
  const ticket = ++state.loading;
  page.days.replaceChildren();
  page.days.setAttribute('aria-busy', 'true');
  say(`Finding free times for ${service.name}…`);
  const from = new Date();
  const to = new Date(from.getTime() + DAYS_AHEAD * 86_400_000);
  /** @type {Slot[]} */
  let slots;
  try {
    const data = await gql(
      `query Slots($service: String!, $from: DateTime!, $to: DateTime!) {
        availability(service: $service, from: $from, to: $to) { start end }
      }`,
      { service: service.code, from: from.toISOString(), to: to.toISOString() },
    );
    slots = data.availability;
  } catch (error) {
    if (ticket !== state.loading) return;
    page.days.removeAttribute('aria-busy');
    say(`Free times could not be loaded: ${describe(/** @type {Error} */ (error))}`);
    return;
  }
  if (ticket !== state.loading) return; // another service was chosen meanwhile
  page.days.removeAttribute('aria-busy');
  /** @type {Map<string, Slot[]>} */
  const byDay = new Map();
  for (const slot of slots) {
    const key = dayKey.format(new Date(slot.start));
    byDay.set(key, [...(byDay.get(key) ?? []), slot]);
  }
  for (const [key, daySlots] of byDay) {
    const group = make('fieldset', { className: 'day' });
    group.dataset.day = key;
    group.append(make('legend', { text: dayFormat.format(new Date(daySlots[0].start)) }));
    const times = make('div', { className: 'times' });
    for (const slot of daySlots) {
      const label = make('label', { className: 'time' });
      const radio = make('input');
      radio.type = 'radio';
      radio.name = 'slot';
      radio.value = slot.start;
      radio.addEventListener('change', () => chooseSlot(slot));
      label.append(radio, make('span', { text: timeFormat.format(new Date(slot.start)) }));
      times.append(label);
    }
    group.append(times);
    page.days.append(group);
  }
  say(
    slots.length
      ? `${slots.length} free times for ${service.name} over the next ${DAYS_AHEAD} days.`
      : `No free times for ${service.name} in the next ${DAYS_AHEAD} days. Please try another service or call us.`,
  );
}

/** @param {Slot} slot */
function chooseSlot(slot) {
  state.slot = slot;
  const service = /** @type {Service} */ (state.service);
  const start = new Date(slot.start);
  page.chosen.textContent = `${service.name}, ${dayFormat.format(start)} at ${timeFormat.format(start)}.`;
  page.detailsStep.hidden = false;
  page.formError.hidden = true;
  say(`Chosen: ${page.chosen.textContent} Now fill in your details.`);
}

/** Clears the marks a previous refusal left on the fields. */
function clearFieldErrors() {
  for (const input of page.form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    input.removeAttribute('aria-describedby');
  }
}

/** @param {string} message @param {string | undefined} argument the hub's `extensions.argument`, e.g. `input.email` */
function showFormError(message, argument) {
  page.formError.textContent = message;
  page.formError.hidden = false;
  const name = argument?.replace(/^input\./, '');
  const field = name ? page.form.elements.namedItem(name) : null;
  if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) {
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', 'form-error');
    field.focus();
  }
}

/** @param {SubmitEvent} event */
async function submit(event) {
  event.preventDefault();
  const service = state.service;
  const slot = state.slot;
  clearFieldErrors();
  if (!service || !slot) {
    showFormError('Please pick a time above first.', undefined);
    return;
  }
  page.formError.hidden = true;
  const value = (/** @type {string} */ name) => {
    const field = page.form.elements.namedItem(name);
    return field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement ? field.value : '';
  };
  const input = {
    firstName: value('firstName'),
    lastName: value('lastName'),
    email: value('email'),
    phone: value('phone').trim() || null,
    message: value('message').trim() || null,
    service: service.code,
    preferredStart: slot.start,
    // Empty for people; a bot that fills it is answered as usual and its enquiry kept nowhere.
    website: value('website'),
  };
  page.send.disabled = true;
  say('Sending your enquiry…');
  /** @type {Enquiry} */
  let enquiry;
  try {
    const data = await gql(
      `mutation Enquire($input: EnquiryInput!) {
        submitEnquiry(input: $input) { reference heldUntil deposit { url expiresAt amount { formatted } } }
      }`,
      { input },
    );
    enquiry = data.submitEnquiry;
  } catch (error) {
    page.send.disabled = false;
    const failure = /** @type {Error} */ (error);
    const hubError = failure instanceof HubError ? failure : undefined;
    if (hubError?.code === 'SLOT_TAKEN') {
      showFormError(`${failure.message} Please pick another time: the list has been refreshed.`, undefined);
      say('That time was just taken. The free times have been refreshed.');
      state.slot = null;
      page.chosen.textContent = 'Please pick another time above.';
      await loadSlots();
      page.detailsStep.hidden = false;
      return;
    }
    const argument =
      typeof hubError?.extensions.argument === 'string' ? hubError.extensions.argument : undefined;
    showFormError(describe(failure), argument);
    say('Your enquiry was not sent.');
    return;
  }
  showDone(enquiry);
}

/** @param {Enquiry} enquiry */
function showDone(enquiry) {
  page.form.reset();
  page.reference.textContent = enquiry.reference;
  const link = enquiry.deposit;
  let url;
  try {
    url = link ? new URL(link.url) : undefined;
  } catch {
    url = undefined;
  }
  if (link && url && (url.protocol === 'https:' || url.protocol === 'http:')) {
    page.depositLink.href = url.href;
    page.depositLink.textContent = `Pay the ${link.amount.formatted} deposit`;
    const until = enquiry.heldUntil ?? link.expiresAt;
    page.held.textContent = `Your time is held until ${timeFormat.format(new Date(until))}; if the deposit is not paid by then it is let go.`;
    page.deposit.hidden = false;
    page.noDeposit.hidden = true;
  } else {
    page.deposit.hidden = true;
    page.noDeposit.hidden = false;
  }
  byId('step-service', HTMLElement).hidden = true;
  page.slotStep.hidden = true;
  page.detailsStep.hidden = true;
  page.doneStep.hidden = false;
  page.doneStep.focus();
  say(`Enquiry sent. Your reference is ${enquiry.reference}.`);
}

page.form.addEventListener('submit', (event) => void submit(event));
void loadServices();
