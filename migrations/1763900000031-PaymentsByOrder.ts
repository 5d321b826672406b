import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Finds the payments of an order in the event store: a payment is checked against what the order's payments
 * already hold (src/commands/payment-checks.ts), which reads the PaymentRecorded events of that order. A
 * partial index on those events only, so the other appends pay nothing for it.
 */
export class PaymentsByOrder1763900000031 implements MigrationInterface {
  name = 'PaymentsByOrder1763900000031';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      create index events_payments_by_order on events ((data->>'orderId'))
       where event_type = 'PaymentRecorded'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`drop index events_payments_by_order`);
  }
}
