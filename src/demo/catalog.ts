import type { SalesChannel } from '../domain/orders/events';

/**
 * The demo shop: a tea and coffee retailer with a small catalogue and a few hundred customers. Prices are in
 * minor units and the same figures in every currency, which keeps the numbers easy to follow in the tour.
 */

export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly unitPrice: number;
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'TEA-EARL-GREY', name: 'Earl Grey tea, 100 g', unitPrice: 450 },
  { sku: 'TEA-SENCHA', name: 'Sencha green tea, 100 g', unitPrice: 720 },
  { sku: 'TEA-ASSAM', name: 'Assam breakfast tea, 250 g', unitPrice: 890 },
  { sku: 'TEA-ROOIBOS', name: 'Rooibos vanilla tea, 100 g', unitPrice: 520 },
  { sku: 'TEA-CHAI', name: 'Masala chai tea, 100 g', unitPrice: 610 },
  { sku: 'COF-ESPRESSO', name: 'Espresso coffee beans, 250 g', unitPrice: 890 },
  { sku: 'COF-ETHIOPIA', name: 'Ethiopia Yirgacheffe coffee, 250 g', unitPrice: 1190 },
  { sku: 'COF-COLOMBIA', name: 'Colombia Huila coffee, 250 g', unitPrice: 1050 },
  { sku: 'COF-DECAF', name: 'Decaf house coffee, 250 g', unitPrice: 940 },
  { sku: 'MUG-STONE', name: 'Stoneware mug', unitPrice: 1200 },
  { sku: 'POT-GLASS', name: 'Glass teapot, 1 l', unitPrice: 2990 },
  { sku: 'KET-GOOSENECK', name: 'Gooseneck kettle', unitPrice: 5490 },
  { sku: 'GRN-HAND', name: 'Hand coffee grinder', unitPrice: 3990 },
  { sku: 'FLT-PAPER', name: 'Paper coffee filters, 100', unitPrice: 390 },
  { sku: 'CHO-DARK', name: 'Dark chocolate 70 %', unitPrice: 320 },
  { sku: 'BIS-SHORT', name: 'Butter shortbread biscuits', unitPrice: 410 },
  { sku: 'HON-ACACIA', name: 'Acacia honey, 250 g', unitPrice: 650 },
];

/** A word many product names share: the tour's search looks for it. */
export const SEARCH_WORD = 'tea';

export interface DemoCustomer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** The currency this customer shops in. */
  readonly currency: string;
}

const FIRST = (
  'Ada,Alan,Grace,Edsger,Barbara,Donald,Frances,Ken,Margaret,Dennis,Radia,John,Hedy,Tim,Sophie,' +
  'Linus,Katherine,Guido,Annie,Niklaus'
).split(',');
const LAST = (
  'Lovelace,Turing,Hopper,Dijkstra,Liskov,Knuth,Allen,Thompson,Hamilton,Ritchie,Perlman,Backus,' +
  'Lamarr,Berners-Lee,Wilson,Torvalds,Johnson,van Rossum,Easley,Wirth'
).split(',');

/**
 * `count` customers with distinct ids and emails. Most shop in EUR, some in USD or GBP, so the reports have
 * more than one currency.
 */
export function demoCustomers(count: number): DemoCustomer[] {
  return Array.from({ length: count }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const n = String(i + 1).padStart(4, '0');
    return {
      id: `cust-${n}`,
      name: `${first} ${last}`,
      email: `${first}.${last.replace(/[^A-Za-z]/g, '')}.${n}@example.com`.toLowerCase(),
      currency: i % 10 < 7 ? 'EUR' : i % 10 < 9 ? 'USD' : 'GBP',
    };
  });
}

export const CHANNELS: readonly SalesChannel[] = ['web', 'web', 'web', 'marketplace', 'phone', 'store'];
export const CANCEL_REASONS = [
  'customer changed their mind',
  'ordered twice by mistake',
  'found it cheaper elsewhere',
  'delivery too slow',
];
