import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { it } from 'node:test';
import { TaxiiClient, TaxiiClientError } from '../index.js';

it('says why a hub cannot be reached, not only that fetch failed', async () => {
  // A port that was just free: nothing listens there now.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  const client = new TaxiiClient(`http://127.0.0.1:${port}/taxii2/intel/`, { token: 'lf_0000000000000000_x' });
  await assert.rejects(client.collections(), (err: unknown) => err instanceof TaxiiClientError && err.status === 0 && /ECONNREFUSED/.test(err.message) && err.category === 'technical');
});
