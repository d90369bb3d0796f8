import { createRandom, type Random } from '../kit/random.ts';

/**
 * The seed business every sandbox loads: one studio's customers, bookings, payments and invoices,
 * generated deterministically from a seed and a reference date. Each sandbox turns this into its
 * own vendor's records, so the same customer exists in HubSpot, Stripe and Xero, with the mess
 * real businesses have (see `SeedCustomer.variants`).
 *
 * Vendor ids are assigned here, not in the sandboxes, so that cross references (a Xero invoice
 * whose Reference is a Stripe payment intent id, a Stripe payment intent whose metadata names the
 * Xero invoice) agree between sandboxes.
 */

export interface PersonFields {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  company?: string;
}

/**
 * How one vendor's copy of a customer differs from the canonical one. `null` means the customer
 * is missing from that vendor. An absent key means an exact copy.
 */
export type Variant = Partial<PersonFields> | null;

export interface SeedCustomer extends PersonFields {
  key: string;
  createdAt: Date;
  city: string;
  postcode: string;
  addressLine: string;
  lifecycleStage: 'lead' | 'customer';
  variants: { hubspot?: Variant; stripe?: Variant; xero?: Variant; calendar?: Variant };
  /** What is off about this customer across vendors, for tests and humans ('email-case', 'missing-xero', ...). */
  mess: string[];
  ids: { hubspotContactId: string; stripeCustomerId: string; xeroContactId: string };
}

export interface Service {
  code: string;
  name: string;
  minutes: number;
  /** Price in minor units (pence). */
  price: number;
}

export interface SeedBooking {
  key: string;
  customerKey: string;
  serviceCode: string;
  start: Date;
  end: Date;
  status: 'confirmed' | 'tentative' | 'cancelled';
  createdAt: Date;
  updatedAt: Date;
  /** Order that paid for or held a deposit for this booking. */
  orderKey?: string;
  ids: { googleEventId: string };
}

export type OrderStatus = 'succeeded' | 'processing' | 'canceled' | 'requires_payment_method';

export interface SeedOrder {
  key: string;
  customerKey: string;
  description: string;
  /** Minor units. */
  amount: number;
  currency: 'gbp';
  status: OrderStatus;
  /** Minor units refunded (0 when none). */
  refunded: number;
  createdAt: Date;
  bookingKey?: string;
  invoiceKey?: string;
  isDeposit: boolean;
  ids: { stripePaymentIntentId: string; stripeChargeId?: string; stripeRefundId?: string };
}

export type InvoiceStatus = 'DRAFT' | 'AUTHORISED' | 'PAID' | 'VOIDED';

export interface SeedInvoiceLine {
  description: string;
  quantity: number;
  /** Minor units, excluding VAT. */
  unitAmount: number;
  accountCode: string;
  serviceCode: string;
}

export interface SeedInvoice {
  key: string;
  number: string;
  customerKey: string;
  status: InvoiceStatus;
  date: Date;
  dueDate: Date;
  lines: SeedInvoiceLine[];
  /** Minor units: sum of lines, then VAT at 20%. */
  subTotal: number;
  totalTax: number;
  total: number;
  payments: Array<{ key: string; date: Date; amount: number; ids: { xeroPaymentId: string } }>;
  orderKey?: string;
  updatedAt: Date;
  ids: { xeroInvoiceId: string };
}

export interface SeedBusiness {
  seed: number;
  now: Date;
  name: string;
  /** Calendar id of the bookings calendar (Google uses an email-like id). */
  calendarId: string;
  timeZone: string;
  services: Service[];
  customers: SeedCustomer[];
  bookings: SeedBooking[];
  orders: SeedOrder[];
  invoices: SeedInvoice[];
}

export interface BusinessOptions {
  seed?: number;
  /** Number of customers. Default 300. */
  customers?: number;
  /** Reference date; bookings spread 90 days either side. Default: today at 00:00 UTC. */
  now?: Date;
}

const FIRST = [
  'Oliver',
  'Amelia',
  'George',
  'Isla',
  'Harry',
  'Ava',
  'Noah',
  'Mia',
  'Jack',
  'Ivy',
  'Leo',
  'Lily',
  'Arthur',
  'Florence',
  'Muhammad',
  'Freya',
  'Oscar',
  'Poppy',
  'Charlie',
  'Emily',
  'Thomas',
  'Grace',
  'Henry',
  'Sophia',
  'Alfie',
  'Evie',
  'Archie',
  'Ella',
  'Theo',
  'Rosie',
  'Freddie',
  'Willow',
  'Harrison',
  'Daisy',
  'Joshua',
  'Sienna',
  'Sebastian',
  'Aisha',
  'Finley',
  'Priya',
  'Rhys',
  'Niamh',
  'Callum',
  'Siobhan',
  'Eilidh',
  'Dylan',
  'Megan',
  'Rory',
  'Catrin',
  'Kwame',
  'Zainab',
  'Tomasz',
  'Agnieszka',
  'Declan',
  'Bethan',
];
const LAST = [
  'Smith',
  'Jones',
  'Williams',
  'Taylor',
  'Brown',
  'Davies',
  'Evans',
  'Wilson',
  'Thomas',
  'Johnson',
  'Roberts',
  'Robinson',
  'Thompson',
  'Wright',
  'Walker',
  'White',
  'Edwards',
  'Hughes',
  'Green',
  'Hall',
  'Lewis',
  'Harris',
  'Clarke',
  'Patel',
  'Jackson',
  'Wood',
  'Turner',
  'Martin',
  'Cooper',
  'Hill',
  'Ward',
  'Morris',
  'Moore',
  'Clark',
  'Lee',
  'King',
  'Baker',
  'Harrison',
  'Morgan',
  'Allen',
  'James',
  'Scott',
  'Phillips',
  'Watson',
  'Davis',
  'Parker',
  'Price',
  'Bennett',
  'Young',
  'Griffiths',
  'Mitchell',
  'Kelly',
  'Cook',
  'Carter',
  'Richardson',
  'Bailey',
  'Collins',
  'Bell',
  'Shaw',
  'Murphy',
  "O'Neill",
  'Khan',
  'Ahmed',
  'Singh',
  'Nowak',
  'Okafor',
  'MacDonald',
  'Campbell',
  'Stewart',
  'Fraser',
  'Llewellyn',
  'Pritchard',
];
const COMPANIES = [
  'Brightwater Dental',
  'Kestrel Logistics Ltd',
  'Thistle & Rose Florists',
  'Oakfield Primary School',
  'Harbour Yard Coffee',
  'Pennine Property Group',
  'Copperleaf Accountants',
  'Severn Valley Cycles',
  'Northgate Solicitors LLP',
  'Marlow Architects',
  'Blue Anchor Brewing Co',
  'Redbrick Studios',
  'Fenwick & Daughters Joinery',
  'Ashby Veterinary Practice',
  'Tidewater Yoga',
  'Lantern Books',
];
const EMAIL_DOMAINS = [
  'gmail.com',
  'outlook.com',
  'hotmail.co.uk',
  'yahoo.co.uk',
  'btinternet.com',
  'icloud.com',
  'sky.com',
];
const CITIES: Array<[string, string]> = [
  ['Bristol', 'BS'],
  ['Manchester', 'M'],
  ['Leeds', 'LS'],
  ['Cardiff', 'CF'],
  ['Glasgow', 'G'],
  ['Edinburgh', 'EH'],
  ['Brighton', 'BN'],
  ['Norwich', 'NR'],
  ['York', 'YO'],
  ['Bath', 'BA'],
  ['Exeter', 'EX'],
  ['Sheffield', 'S'],
];
const STREETS = [
  'High Street',
  'Station Road',
  'Church Lane',
  'Victoria Road',
  'Mill Lane',
  'Park Avenue',
  'Queens Road',
  'The Green',
];

export const SERVICES: Service[] = [
  { code: 'SPORTS-60', name: 'Sports massage (60 min)', minutes: 60, price: 6500 },
  { code: 'DEEP-90', name: 'Deep tissue massage (90 min)', minutes: 90, price: 9000 },
  { code: 'PHYSIO-ASSESS', name: 'Physiotherapy assessment (45 min)', minutes: 45, price: 5500 },
  { code: 'PHYSIO-FU', name: 'Physiotherapy follow-up (30 min)', minutes: 30, price: 4000 },
  { code: 'PILATES-1TO1', name: 'Clinical Pilates 1:1 (55 min)', minutes: 55, price: 6000 },
  { code: 'ACU-45', name: 'Acupuncture (45 min)', minutes: 45, price: 5000 },
];

const DAY = 86_400_000;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

function startOfTodayUtc(): Date {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** Google event ids: base32hex characters (a-v, 0-9), 5 to 1024 long. */
function googleEventId(random: Random): string {
  return random.string(26, '0123456789abcdefghijklmnopqrstuv');
}

function ukMobile(random: Random): string {
  return `+44 7${random.int(100, 999)} ${pad(random.int(0, 999_999), 6)}`;
}

export function generateBusiness(options: BusinessOptions = {}): SeedBusiness {
  const seed = options.seed ?? 42;
  const now = options.now ?? startOfTodayUtc();
  const count = options.customers ?? 300;
  const root = createRandom(seed);
  const people = root.fork('people');
  const mess = root.fork('mess');
  const ids = root.fork('ids');
  const activity = root.fork('activity');

  const usedEmails = new Set<string>();
  const customers: SeedCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const firstName = people.pick(FIRST);
    const lastName = people.pick(LAST);
    let local = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z.]/g, '');
    if (people.chance(0.3)) local = `${firstName[0]}${lastName}`.toLowerCase().replace(/[^a-z]/g, '');
    let email = `${local}@${people.pick(EMAIL_DOMAINS)}`;
    for (let n = 2; usedEmails.has(email); n++) email = `${local}${n}@${email.split('@')[1]}`;
    usedEmails.add(email);
    const company = people.chance(0.25) ? people.pick(COMPANIES) : undefined;
    if (company && people.chance(0.6)) {
      const domain =
        company
          .toLowerCase()
          .replace(/[^a-z]/g, '')
          .slice(0, 14) + '.co.uk';
      const candidate = `${firstName.toLowerCase().replace(/[^a-z]/g, '')}@${domain}`;
      if (!usedEmails.has(candidate)) {
        usedEmails.delete(email);
        email = candidate;
        usedEmails.add(email);
      }
    }
    const [city, area] = people.pick(CITIES);
    const customer: SeedCustomer = {
      key: `cust-${pad(i + 1, 4)}`,
      firstName,
      lastName,
      email,
      phone: ukMobile(people),
      company,
      city,
      postcode: `${area}${people.int(1, 20)} ${people.int(1, 9)}${people.string(2, 'ABDEFGHJLNPQRSTUWXYZ')}`,
      addressLine: `${people.int(1, 180)} ${people.pick(STREETS)}`,
      createdAt: new Date(now.getTime() - people.int(100, 900) * DAY - people.int(0, DAY - 1)),
      lifecycleStage: people.chance(0.9) ? 'customer' : 'lead',
      variants: {},
      mess: [],
      ids: {
        hubspotContactId: String(51_000 + i * 7 + ids.int(0, 6)),
        stripeCustomerId: `cus_${ids.string(14)}`,
        xeroContactId: ids.uuid(),
      },
    };
    applyMess(customer, mess);
    // Leads have not bought anything yet: they exist only in the CRM.
    if (customer.lifecycleStage === 'lead')
      customer.variants = { ...customer.variants, stripe: null, xero: null };
    customers.push(customer);
  }

  const bookings: SeedBooking[] = [];
  const orders: SeedOrder[] = [];
  const invoices: SeedInvoice[] = [];
  let invoiceNumber = 1;
  let paymentNumber = 1;

  const newInvoice = (
    customer: SeedCustomer,
    date: Date,
    lines: SeedInvoiceLine[],
    status: InvoiceStatus,
    paidOn: Date | undefined,
  ): SeedInvoice => {
    const subTotal = lines.reduce((sum, l) => sum + l.quantity * l.unitAmount, 0);
    const totalTax = Math.round(subTotal * 0.2);
    const invoice: SeedInvoice = {
      key: `inv-${pad(invoiceNumber, 5)}`,
      number: `INV-${pad(invoiceNumber, 4)}`,
      customerKey: customer.key,
      status,
      date,
      dueDate: new Date(date.getTime() + 14 * DAY),
      lines,
      subTotal,
      totalTax,
      total: subTotal + totalTax,
      payments: [],
      updatedAt: paidOn ?? date,
      ids: { xeroInvoiceId: ids.uuid() },
    };
    invoiceNumber++;
    if (status === 'PAID' && paidOn) {
      invoice.payments.push({
        key: `pay-${pad(paymentNumber++, 5)}`,
        date: paidOn,
        amount: invoice.total,
        ids: { xeroPaymentId: ids.uuid() },
      });
    }
    invoices.push(invoice);
    return invoice;
  };

  for (const customer of customers) {
    if (customer.lifecycleStage === 'lead') continue;
    const bookingCount = activity.int(0, 5);
    for (let b = 0; b < bookingCount; b++) {
      const service = activity.pick(SERVICES);
      const dayOffset = activity.int(-90, 90);
      const hour = activity.int(8, 18);
      const minute = activity.pick([0, 15, 30, 45]);
      const start = new Date(now.getTime() + dayOffset * DAY + hour * 3_600_000 + minute * 60_000);
      const end = new Date(start.getTime() + service.minutes * 60_000);
      const isPast = start.getTime() < now.getTime();
      const cancelled = activity.chance(0.08);
      const booking: SeedBooking = {
        key: `book-${pad(bookings.length + 1, 5)}`,
        customerKey: customer.key,
        serviceCode: service.code,
        start,
        end,
        status: cancelled ? 'cancelled' : !isPast && activity.chance(0.1) ? 'tentative' : 'confirmed',
        createdAt: new Date(start.getTime() - activity.int(2, 30) * DAY),
        updatedAt: new Date(start.getTime() - activity.int(0, 2) * DAY),
        ids: { googleEventId: googleEventId(ids) },
      };
      if (booking.updatedAt > now) booking.updatedAt = new Date(now.getTime() - activity.int(1, 3600) * 1000);
      if (booking.createdAt > booking.updatedAt) booking.createdAt = booking.updatedAt;
      bookings.push(booking);

      // Past, attended bookings are paid in full by card; future ones sometimes carry a deposit.
      const paidInFull = isPast && !cancelled && activity.chance(0.75);
      const deposit = !isPast && activity.chance(0.35);
      const cancelledDeposit = cancelled && activity.chance(0.5);
      if (!paidInFull && !deposit && !cancelledDeposit) continue;
      const amount = paidInFull ? service.price : Math.round(service.price * 0.3);
      let status: OrderStatus = 'succeeded';
      if (cancelledDeposit) status = 'canceled';
      else if (deposit && activity.chance(0.1)) status = 'processing';
      else if (paidInFull && activity.chance(0.04)) status = 'requires_payment_method';
      const refunded =
        status === 'succeeded' && activity.chance(0.07)
          ? activity.chance(0.5)
            ? amount
            : Math.round(amount / 2)
          : 0;
      const order: SeedOrder = {
        key: `ord-${pad(orders.length + 1, 5)}`,
        customerKey: customer.key,
        description: paidInFull ? service.name : `Deposit: ${service.name}`,
        amount,
        currency: 'gbp',
        status,
        refunded,
        createdAt: new Date(
          Math.min(start.getTime(), now.getTime()) - activity.int(0, 3) * DAY - activity.int(0, 3600) * 1000,
        ),
        bookingKey: booking.key,
        isDeposit: !paidInFull,
        ids: {
          stripePaymentIntentId: `pi_${ids.string(24)}`,
          stripeChargeId:
            status === 'succeeded' || status === 'processing' ? `ch_${ids.string(24)}` : undefined,
          stripeRefundId: refunded > 0 ? `re_${ids.string(24)}` : undefined,
        },
      };
      orders.push(order);
      booking.orderKey = order.key;

      // Every full payment and deposit is invoiced, except cancelled deposits (voided) and
      // processing ones (still awaiting payment). VAT is on top of the price.
      const line: SeedInvoiceLine = {
        description: order.description,
        quantity: 1,
        unitAmount: Math.round(amount / 1.2),
        accountCode: '200',
        serviceCode: service.code,
      };
      const invoiceStatus: InvoiceStatus =
        status === 'succeeded'
          ? 'PAID'
          : status === 'canceled'
            ? 'VOIDED'
            : status === 'processing'
              ? 'AUTHORISED'
              : 'AUTHORISED';
      const invoice = newInvoice(
        customer,
        order.createdAt,
        [line],
        invoiceStatus,
        status === 'succeeded' ? order.createdAt : undefined,
      );
      invoice.orderKey = order.key;
      order.invoiceKey = invoice.key;
    }
  }

  // Some work is invoiced for bank transfer rather than card: a few drafts and some overdue bills.
  for (const customer of customers) {
    if (customer.lifecycleStage === 'lead' || !activity.chance(0.12)) continue;
    const service = activity.pick(SERVICES);
    const quantity = activity.int(3, 6);
    const date = new Date(now.getTime() - activity.int(0, 80) * DAY);
    const draft = activity.chance(0.3);
    const paid = !draft && activity.chance(0.4);
    const lines: SeedInvoiceLine[] = [
      {
        description: `${service.name} — course of ${quantity}`,
        quantity,
        unitAmount: Math.round(service.price / 1.2),
        accountCode: '200',
        serviceCode: service.code,
      },
    ];
    const paidOn = paid
      ? new Date(Math.min(now.getTime(), date.getTime() + activity.int(1, 20) * DAY))
      : undefined;
    newInvoice(customer, date, lines, draft ? 'DRAFT' : paid ? 'PAID' : 'AUTHORISED', paidOn);
  }

  return {
    seed,
    now,
    name: 'Harbour Lane Physio & Massage',
    calendarId: 'bookings@harbourlane.example',
    timeZone: 'Europe/London',
    services: SERVICES,
    customers,
    bookings,
    orders,
    invoices,
  };
}

/** A few percent of customers differ between systems, as in any real small business. */
function applyMess(customer: SeedCustomer, random: Random): void {
  const roll = random.next();
  const vendor = random.pick(['hubspot', 'stripe', 'xero'] as const);
  if (roll < 0.03) {
    const shouty = random.chance(0.5)
      ? customer.email.replace(/^./, (c) => c.toUpperCase()).replace(/@.*/, (d) => d.toUpperCase())
      : ` ${customer.email} `;
    customer.variants[vendor] = { email: shouty };
    customer.mess.push(`email-format-${vendor}`);
  } else if (roll < 0.06) {
    customer.variants[vendor] = null;
    customer.mess.push(`missing-${vendor}`);
  } else if (roll < 0.09) {
    customer.variants[vendor] = { phone: ukMobile(random) };
    customer.mess.push(`phone-${vendor}`);
  } else if (roll < 0.11) {
    // A dropped or added final "e": the kind of slip that survives retyping a name into another system.
    const respelt = customer.lastName.endsWith('e')
      ? customer.lastName.slice(0, -1)
      : `${customer.lastName}e`;
    // Or a first name cut short, when there is something to cut.
    customer.variants[vendor] =
      random.chance(0.5) || customer.firstName.length <= 3
        ? { lastName: respelt }
        : { firstName: customer.firstName.slice(0, 3) };
    customer.mess.push(`name-${vendor}`);
  }
}

/**
 * Confirmed bookings that start after `from` (a day from now by default), in the seed's order:
 * bookings a test or a benchmark can move without touching the past. With `heldBy`, only those whose
 * customer that vendor holds (so the booking's customer is linked there).
 */
export function upcomingBookings(
  business: SeedBusiness,
  options: { from?: Date; heldBy?: keyof SeedCustomer['variants'] } = {},
): SeedBooking[] {
  const from = options.from ?? new Date(Date.now() + 86_400_000);
  const { heldBy } = options;
  return business.bookings.filter(
    (b) =>
      b.status === 'confirmed' &&
      b.start > from &&
      (!heldBy ||
        customerAt(
          business.customers.find((c) => c.key === b.customerKey)!,
          heldBy,
        ) !== undefined),
  );
}

/** The customer as one vendor holds it, or undefined when that vendor does not have it. */
export function customerAt(
  customer: SeedCustomer,
  vendor: keyof SeedCustomer['variants'],
): (PersonFields & { key: string }) | undefined {
  const variant = customer.variants[vendor];
  if (variant === null) return undefined;
  return {
    key: customer.key,
    firstName: customer.firstName,
    lastName: customer.lastName,
    email: customer.email,
    phone: customer.phone,
    company: customer.company,
    ...variant,
  };
}
