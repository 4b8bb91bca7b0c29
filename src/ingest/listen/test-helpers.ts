/** Shared by this folder's tests: a sink that records what it is given, and socket helpers. */
import net from 'node:net';
import type { MessageSink, RawMessage } from './types.js';

/** Records every batch. While `hold()` is in force, accept() does not resolve until `release()`. */
export class RecordingSink implements MessageSink {
  readonly batches: RawMessage[][] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  /** When set, accept() rejects with this error. */
  failWith: Error | undefined;

  accept(batch: RawMessage[]): Promise<void> {
    this.batches.push(batch);
    if (this.failWith) return Promise.reject(this.failWith);
    return this.gate ?? Promise.resolve();
  }

  get messages(): RawMessage[] {
    return this.batches.flat();
  }

  texts(): string[] {
    return this.messages.map((m) => m.text);
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }
}

/** Polls `condition` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export function connectTcp(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves when the socket is closed (by either side). */
export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

/** Sends `data` on a new TCP connection, ends it, and waits until the server has closed it too. */
export async function sendTcp(port: number, data: string | Buffer): Promise<void> {
  const socket = await connectTcp(port);
  socket.end(data);
  await closed(socket);
}

export function write(socket: net.Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
}

export const octet = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;
