import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reporting read model (src/projections/reporting):
 *  - report_order_contributions: what each order currently contributes to the reports (the projector's
 *    memory, so an update subtracts the old contribution and adds the new one);
 *  - report_daily, report_customers, report_skus: the reports, kept as running sums of contributions;
 *  - projection_applied_events: the ids of the events each projector applied, written in the same
 *    transaction as the read model, so a redelivered event is recognised.
 *
 * Amounts are integer minor units (bigint), always per currency. Key columns compare bytes (`collate
 * "C"`): cheaper in indexes and sorts than a linguistic collation, and the order the projector's
 * tie-breaks (first/latest order) and lock ordering assume. The sum columns have no CHECK: PostgreSQL
 * checks the proposed row of `insert … on conflict do update` before it finds the conflict, and the
 * projector upserts deltas (which may be negative); it checks the resulting sums itself instead.
 * The report tables leave a fifth of each page free: their rows are updated all the time, and an
 * update that fits on its page skips the indexes (HOT). A rebuild copies these tables with `create table
 * … (like … including all)` plus their storage parameters; keep every index and constraint on them
 * expressible that way.
 */
export class Reporting1763900000003 implements MigrationInterface {
  name = 'Reporting1763900000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create table report_order_contributions (
        order_id       text collate "C" not null primary key,
        version        int not null check (version >= 1),
        customer_id    text collate "C" not null,
        customer_name  text not null,
        customer_email text not null,
        created_at     timestamptz not null,
        -- the UTC date of created_at
        day            date not null,
        status         text collate "C" not null check (status in ('pending', 'confirmed', 'cancelled')),
        currency       text collate "C" not null check (currency ~ '^[A-Z]{3}$'),
        total_amount   bigint not null check (total_amount >= 0),
        -- [{ sku, name, quantity, lineTotal }]
        lines          jsonb not null,
        updated_at     timestamptz not null default now()
      ) with (fillfactor = 80)`);
    // Recomputing a customer's first and latest order.
    await runner.query(`
      create index report_order_contributions_customer
        on report_order_contributions (customer_id, currency, created_at, order_id)`);
    await runner.query(`
      create table report_daily (
        day      date not null,
        status   text collate "C" not null check (status in ('pending', 'confirmed', 'cancelled')),
        currency text collate "C" not null check (currency ~ '^[A-Z]{3}$'),
        orders   bigint not null,
        revenue  bigint not null,
        primary key (day, status, currency)
      ) with (fillfactor = 80)`);
    await runner.query(`
      create table report_customers (
        customer_id      text collate "C" not null,
        currency         text collate "C" not null check (currency ~ '^[A-Z]{3}$'),
        -- name and email as on the customer's latest order (created_at, then order id)
        name             text not null,
        email            text not null,
        orders           bigint not null,
        confirmed_orders bigint not null,
        cancelled_orders bigint not null,
        -- Σ total_amount of the confirmed orders
        lifetime_revenue bigint not null,
        first_order_at   timestamptz not null,
        last_order_at    timestamptz not null,
        last_order_id    text collate "C" not null,
        primary key (customer_id, currency)
      ) with (fillfactor = 80)`);
    // One row per SKU, currency and product name over confirmed orders: the name is part of the key so
    // that every column stays a plain sum. The top-SKUs query folds the names of a SKU.
    await runner.query(`
      create table report_skus (
        sku      text collate "C" not null,
        currency text collate "C" not null check (currency ~ '^[A-Z]{3}$'),
        name     text collate "C" not null,
        quantity bigint not null,
        revenue  bigint not null,
        orders   bigint not null,
        primary key (sku, currency, name)
      ) with (fillfactor = 80)`);
    await runner.query(`
      create table projection_applied_events (
        projector    text collate "C" not null,
        event_id     uuid not null,
        aggregate_id text not null,
        version      int not null,
        applied_at   timestamptz not null default now(),
        primary key (projector, event_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop table projection_applied_events`);
    await runner.query(`drop table report_skus`);
    await runner.query(`drop table report_customers`);
    await runner.query(`drop table report_daily`);
    await runner.query(`drop table report_order_contributions`);
  }
}
