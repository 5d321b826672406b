import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A product of the catalogue: a plain CRUD entity. The shop changes it with `save` and `remove`; the entity
 * subscriber (product-events.ts) announces each change as an event, without a change to this class.
 */
@Entity({ name: 'products' })
export class Product {
  /** Assigned by the app (a uuid): the event stream `product-<id>` is named after it. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text', unique: true })
  sku!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'integer', name: 'price_cents' })
  priceCents!: number;

  @Column({ type: 'integer' })
  stock!: number;
}
