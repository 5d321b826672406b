import type { Customer } from '../../src/domain/orders/events';
import type { OrderVocabulary, Product } from '../../test/fixtures/projection-events';
import { pick } from '../../test/fixtures/random';

/**
 * A shop-sized vocabulary for benches: many customers with names from a few thousand first/last name pairs,
 * a catalog of products with varied names, and skewed popularity (a few customers and products account for
 * many orders, most for few), as in real order data. The tests' vocabulary (20 customers, 6 products) makes
 * every search match a large share of the index; this one gives searches the selectivity real ones have.
 * Deterministic: the same sizes give the same customers and products.
 */

// prettier-ignore
export const FIRST_NAMES = [
  'Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken',
  'Dennis', 'Radia', 'Leslie', 'Tony', 'Niklaus', 'Hedy', 'Katherine', 'Dorothy', 'Mary', 'Claude',
  'Linus', 'Guido', 'Bjarne', 'James', 'Anders', 'Sophie', 'Yukihiro', 'Brendan', 'Rasmus', 'Larry',
  'Adele', 'Jean', 'Kathleen', 'Evelyn', 'Shafi', 'Silvio', 'Whitfield', 'Martin', 'Ivan', 'Butler',
] as const;

// prettier-ignore
export const LAST_NAMES = [
  'Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Backus', 'Hamilton', 'Thompson',
  'Ritchie', 'Perlman', 'Lamport', 'Hoare', 'Wirth', 'Lamarr', 'Johnson', 'Vaughan', 'Jackson', 'Shannon',
  'Torvalds', 'Rossum', 'Stroustrup', 'Gosling', 'Hejlsberg', 'Wilson', 'Matsumoto', 'Eich', 'Lerdorf',
  'Wall', 'Goldberg', 'Sammet', 'Booth', 'Berners', 'Goldwasser', 'Micali', 'Diffie', 'Hellman', 'Sutherland',
  'Lampson', 'Cerf', 'Kahn', 'Engelbart', 'Kay', 'McCarthy', 'Minsky', 'Hinton', 'Bengio', 'LeCun', 'Ng',
  'Pike', 'Kernighan', 'Aho', 'Ullman', 'Tarjan', 'Karp', 'Cook', 'Rabin', 'Scott', 'Floyd',
] as const;

// prettier-ignore
const ADJECTIVES = [
  'classic', 'organic', 'compact', 'deluxe', 'vintage', 'slim', 'heavy', 'light', 'wireless', 'waterproof',
  'recycled', 'premium', 'travel', 'kids', 'outdoor', 'ergonomic', 'folding', 'smart', 'handmade', 'eco',
] as const;
// prettier-ignore
const MATERIALS = [
  'cotton', 'wool', 'leather', 'steel', 'bamboo', 'ceramic', 'linen', 'oak', 'glass', 'denim',
  'silicone', 'copper', 'canvas', 'walnut', 'aluminium',
] as const;
// prettier-ignore
export const PRODUCT_NOUNS = [
  'shirt', 'jacket', 'mug', 'lamp', 'backpack', 'kettle', 'chair', 'scarf', 'bottle', 'notebook',
  'headphones', 'blanket', 'knife', 'wallet', 'umbrella', 'sneakers', 'teapot', 'desk', 'pillow', 'watch',
  'belt', 'bowl', 'candle', 'speaker', 'charger', 'gloves', 'hat', 'vase', 'tray', 'basket',
] as const;

/** An index in [0, size) with popularity skew: low indices are drawn far more often (density ~ 1/√x). */
const skewed = (random: () => number, size: number) => Math.floor(size * random() ** 2);

export interface Catalog {
  vocabulary: OrderVocabulary;
  customers: readonly Customer[];
  products: readonly Product[];
  /** A customer or product as orders reference them: with the same popularity skew. */
  popularCustomer(random: () => number): Customer;
  popularProduct(random: () => number): Product;
}

/** `customers` customers and `products` products (SKU-00000…); each order draws from 6 distinct products. */
export function shopCatalog(sizes: { customers: number; products: number }): Catalog {
  const customers: Customer[] = Array.from({ length: sizes.customers }, (_, i) => {
    const first = FIRST_NAMES[i % FIRST_NAMES.length]!;
    const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]!;
    return {
      id: `cust-${i}`,
      name: `${first} ${last}`,
      email: `${first}.${last}.${i}@example.com`.toLowerCase(),
    };
  });
  const products: Product[] = Array.from({ length: sizes.products }, (_, i) => ({
    sku: `SKU-${String(i).padStart(5, '0')}`,
    // Every noun within the first 30 products, so popular products span the whole range of words.
    name: [
      ADJECTIVES[Math.floor(i / PRODUCT_NOUNS.length) % ADJECTIVES.length],
      MATERIALS[(i * 7) % MATERIALS.length],
      PRODUCT_NOUNS[i % PRODUCT_NOUNS.length],
    ].join(' '),
  }));
  const popularCustomer = (random: () => number) => customers[skewed(random, customers.length)]!;
  const popularProduct = (random: () => number) => products[skewed(random, products.length)]!;
  return {
    customers,
    products,
    popularCustomer,
    popularProduct,
    vocabulary: {
      customer: popularCustomer,
      products(random) {
        const chosen = new Map<string, Product>();
        for (let tries = 0; chosen.size < 6 && tries < 30; tries++) {
          const product = popularProduct(random);
          chosen.set(product.sku, product);
        }
        return [...chosen.values()];
      },
    },
  };
}

/** A word of a product name, for full-text searches. */
export const productWord = (random: () => number) => pick(random, PRODUCT_NOUNS);
