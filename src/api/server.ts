import type { FastifyInstance } from 'fastify';

/** Where the API listens. */
export interface ListenOptions {
  host: string;
  /** 0 picks a free port (see the returned address). */
  port: number;
}

/**
 * Starts serving `app` and resolves with the address it listens on, e.g. `http://127.0.0.1:3000`.
 * Stop it with `app.close()`, which finishes in-flight requests first.
 */
export async function startServer(app: FastifyInstance, { host, port }: ListenOptions): Promise<string> {
  return app.listen({ host, port });
}
