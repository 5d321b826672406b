import { Column, Entity, PrimaryColumn } from 'typeorm';

export interface PurchaseLine {
  productId: string;
  sku: string;
  quantity: number;
  priceCents: number;
}

/** A customer's purchase: written once, by `makePurchase` (purchases.ts), which appends `PurchaseMade`. */
@Entity({ name: 'purchases' })
export class Purchase {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text', name: 'customer_email' })
  customerEmail!: string;

  @Column({ type: 'jsonb' })
  lines!: PurchaseLine[];

  @Column({ type: 'integer', name: 'total_cents' })
  totalCents!: number;

  @Column({ type: 'timestamptz', name: 'made_at' })
  madeAt!: Date;
}
