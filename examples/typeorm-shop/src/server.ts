import 'reflect-metadata';
import { buildApp } from './app';
import { dataSource } from './data-source';
import { pool } from './tributary';

/** `npm start`: the shop on PORT (default 3000; 0 = any free port), until SIGINT or SIGTERM. */
async function main(): Promise<void> {
  await dataSource.initialize();
  const app = buildApp(dataSource);
  const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
  console.log(`typeorm-shop listening on ${address}`);
  const stop = async () => {
    await app.close();
    await dataSource.destroy();
    await pool.end();
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`typeorm-shop: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
