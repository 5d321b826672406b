import { Column, Entity, PrimaryColumn, Unique, UpdateDateColumn } from 'typeorm';

export const CUSTOMER_TIERS = ['standard', 'gold'] as const;
export type CustomerTier = (typeof CUSTOMER_TIERS)[number];

/**
 * The example CRUD entity: an ordinary TypeORM table that stays the app's source of truth, while its changes
 * are announced as events in the same transaction. Created by `migrations/1763900000001-CrudExample.ts`,
 * which must match it exactly (`schema-drift.int.spec.ts` checks).
 *
 * Every column names its type: tsx (esbuild) emits no decorator metadata, so TypeORM cannot infer one.
 * The id is assigned by the app (not generated): the events need it as their stream id before the insert,
 * and a generated uuid column would make TypeORM create the uuid-ossp extension outside the migrations.
 */
@Entity({ name: 'crud_customers' })
@Unique('crud_customers_email_key', ['email'])
export class Customer {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'crud_customers_pkey' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text', default: 'standard' })
  tier!: CustomerTier;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}
